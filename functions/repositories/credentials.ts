/**
 * Bearer credentials for operators and agents. Only the SHA-256 of a secret
 * is stored (the secrets are 256 random bits, so a fast hash is enough); the
 * secret itself is shown once, to whoever minted it.
 */
import { createHash, randomBytes } from 'node:crypto';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { Principal } from '../../core/principal.js';
import { keys } from '../../core/table.js';
import { db, tableName } from './table.js';

const PREFIX = { operator: 'tmo_', agent: 'tma_' } as const;

export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

export function newSecret(principalType: Principal['principalType']): string {
  return PREFIX[principalType] + randomBytes(32).toString('base64url');
}

/** The item that stores a credential; also used inside enrollment's transaction. */
export function credentialItem(secret: string, principal: Principal, label: string) {
  return {
    ...keys.credential(hashSecret(secret)),
    ...keys.credentialOwner(principal.principalId),
    ...principal,
    label,
    createdAt: new Date().toISOString(),
  };
}

/** Mints a credential for a principal and returns the secret (the only time it exists in clear). */
export async function mintCredential(principal: Principal, label: string): Promise<string> {
  const secret = newSecret(principal.principalType);
  await db().send(
    new PutCommand({
      TableName: tableName(),
      Item: credentialItem(secret, principal, label),
      ConditionExpression: 'attribute_not_exists(PK)',
    }),
  );
  return secret;
}

/** The principal a secret stands for, or undefined when it is unknown or malformed. */
export async function resolveCredential(secret: string): Promise<Principal | undefined> {
  if (!/^tm[oa]_[A-Za-z0-9_-]{43}$/.test(secret)) return undefined;
  const { Item } = await db().send(
    new GetCommand({
      TableName: tableName(),
      Key: keys.credential(hashSecret(secret)),
      ConsistentRead: true,
    }),
  );
  const scope: unknown = Item?.hostScope;
  const hostScope = Array.isArray(scope) ? scope.join(',') : undefined;
  const parsed = Principal.safeParse({ ...Item, hostScope });
  return parsed.success ? parsed.data : undefined;
}
