/**
 * An operator credential's host scope: the host names it may see and act on
 * (absent means every host). It is stored on the credential item, next to
 * the principal; the authorizer hands it to every route in the principal
 * (functions/shared/host-scope.ts reads it there).
 */
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';
import { HostName } from '../../../core/host.js';
import { keys } from '../../../core/table.js';
import { hashSecret } from '../../repositories/credentials.js';
import { db, tableName } from '../../repositories/table.js';

/** The stored form: host names, at most 1,000 (functions/shared/host-scope.ts checks against them). */
export const HostScopeNames = z.array(HostName).max(1000);

/** Limits an existing credential to these hosts (names are compared in lower case). */
export async function storeHostScope(secret: string, hosts: readonly string[]): Promise<void> {
  const scope = HostScopeNames.parse(hosts).map((host) => host.toLowerCase());
  await db().send(
    new UpdateCommand({
      TableName: tableName(),
      Key: keys.credential(hashSecret(secret)),
      UpdateExpression: 'SET hostScope = :scope',
      ConditionExpression: 'attribute_exists(PK)',
      ExpressionAttributeValues: { ':scope': scope },
    }),
  );
}
