/**
 * An operator credential's host scope: the host names it may submit jobs
 * for (absent means every host). It is stored on the credential item, next
 * to the principal, and read back by the job routes from the request's own
 * credential, because the authorizer's context carries only flat strings.
 */
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { z } from 'zod';
import { HostName } from '../../../core/host.js';
import { keys } from '../../../core/table.js';
import { hashSecret } from '../../repositories/credentials.js';
import { db, tableName } from '../../repositories/table.js';
import { bearerToken } from '../authorizer.js';

export const HostScope = z.array(HostName).max(1000);

/** Limits an existing credential to these hosts (names are compared in lower case). */
export async function storeHostScope(secret: string, hosts: readonly string[]): Promise<void> {
  const scope = HostScope.parse(hosts).map((host) => host.toLowerCase());
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

/** The host scope of the request's credential; undefined when it has none (all hosts). */
export async function hostScopeOf(event: APIGatewayProxyEvent): Promise<readonly string[] | undefined> {
  const token = bearerToken(event.headers);
  if (!token) return undefined;
  const { Item } = await db().send(
    new GetCommand({ TableName: tableName(), Key: keys.credential(hashSecret(token)), ConsistentRead: true }),
  );
  const parsed = HostScope.safeParse(Item?.hostScope);
  return parsed.success ? parsed.data : undefined;
}
