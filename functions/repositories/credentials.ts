/**
 * Bearer credentials for operators and agents. Only the SHA-256 of a secret
 * is stored (the secrets are 256 random bits, so a fast hash is enough); the
 * secret itself is shown once, to whoever minted it. Revoking deletes the
 * item: the authorizer's next lookup fails (API Gateway caches its answer
 * for up to 60 s).
 */
import { createHash, randomBytes } from 'node:crypto';
import { DeleteCommand, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { type CredentialView, CredentialView as CredentialViewSchema } from '../../core/credential.js';
import { Principal } from '../../core/principal.js';
import { keys } from '../../core/table.js';
import { queryAll } from './partition-query.js';
import { db, tableName } from './table.js';

const PREFIX = { operator: 'tmo_', agent: 'tma_' } as const;

export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

export function newSecret(principalType: Principal['principalType']): string {
  return PREFIX[principalType] + randomBytes(32).toString('base64url');
}

/** The item that stores a credential; also used inside enrollment's transaction. */
export function credentialItem(secret: string, principal: Principal, label: string, hostScope?: string[]) {
  const createdAt = new Date().toISOString();
  const hash = hashSecret(secret);
  // The scope is stored as a list (the principal carries it as a string only inside the authorizer).
  const { hostScope: _flat, ...stored } = principal as Principal & { hostScope?: string };
  return {
    ...keys.credential(hash),
    ...keys.credentialOwner(principal.principalId),
    ...keys.credentialListEntry(createdAt, hash),
    ...stored,
    ...(hostScope ? { hostScope: hostScope.map((host) => host.toLowerCase()) } : {}),
    label,
    createdAt,
  };
}

/** Mints a credential for a principal and returns the secret (the only time it exists in clear). */
export async function mintCredential(
  principal: Principal,
  label: string,
  hostScope?: string[],
): Promise<string> {
  const secret = newSecret(principal.principalType);
  await db().send(
    new PutCommand({
      TableName: tableName(),
      Item: credentialItem(secret, principal, label, hostScope),
      ConditionExpression: 'attribute_not_exists(PK)',
    }),
  );
  return secret;
}

function viewOf(item: Record<string, unknown>): CredentialView {
  const id = String(item.PK ?? '').slice('CREDENTIAL#'.length);
  return CredentialViewSchema.parse({
    id,
    principalType: item.principalType,
    principalId: item.principalId,
    role: item.role,
    hostId: item.hostId,
    hostScope: item.hostScope,
    label: item.label ?? '',
    createdAt: item.createdAt ?? '',
  });
}

export async function getCredential(id: string): Promise<CredentialView | undefined> {
  const { Item } = await db().send(
    new GetCommand({ TableName: tableName(), Key: keys.credential(id), ConsistentRead: true }),
  );
  return Item ? viewOf(Item) : undefined;
}

/** Every credential minted since credentials were listed (older ones show under their principal only). */
export async function listCredentials(): Promise<CredentialView[]> {
  const items = await queryAll({
    pk: keys.credentialList().GSI2PK,
    index: { name: 'GSI2', attribute: 'GSI2PK' },
    forward: true,
  });
  return items.map(viewOf);
}

/** The credentials of one principal (an operator name, or `agent:<hostId>`). */
export async function credentialsOf(principalId: string): Promise<CredentialView[]> {
  const items = await queryAll({
    pk: keys.credentialOwner(principalId).GSI1PK,
    index: { name: 'GSI1', attribute: 'GSI1PK' },
    forward: true,
  });
  return items.filter((item) => item.SK === 'CREDENTIAL').map(viewOf);
}

export async function revokeCredential(id: string): Promise<void> {
  await db().send(new DeleteCommand({ TableName: tableName(), Key: keys.credential(id) }));
}

/** Revokes every credential of a principal but `keep`; returns how many went. */
export async function revokeCredentialsOf(principalId: string, keep?: string): Promise<number> {
  const doomed = (await credentialsOf(principalId)).filter((credential) => credential.id !== keep);
  for (const credential of doomed) await revokeCredential(credential.id);
  return doomed.length;
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
  const credentialId = Item?.principalType === 'operator' ? hashSecret(secret) : undefined;
  const parsed = Principal.safeParse({ ...Item, hostScope, credentialId });
  return parsed.success ? parsed.data : undefined;
}
