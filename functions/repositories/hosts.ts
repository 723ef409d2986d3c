/** Hosts: enrollment (with the agent's credential), unenrollment, token rotation, lookup, listing, heartbeats. */
import { randomUUID } from 'node:crypto';
import { GetCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { TidemarkError } from '../../core/error-catalogue.js';
import { type EnrollHostRequest, Host } from '../../core/host.js';
import { keys, withoutKeys } from '../../core/table.js';
import { credentialItem, hashSecret, mintCredential, newSecret, revokeCredentialsOf } from './credentials.js';
import { putNamedItem } from './named-item.js';
import { queryPage } from './partition-query.js';
import { db, isConditionFailure, setExpression, tableName } from './table.js';

export interface Enrollment {
  host: Host;
  /** The agent's credential: returned once, stored only as a hash. */
  agentToken: string;
}

export async function enrollHost(request: EnrollHostRequest, enrolledBy: string): Promise<Enrollment> {
  const host: Host = {
    id: `h-${randomUUID()}`,
    name: request.name.toLowerCase(),
    addresses: request.addresses,
    os: request.os,
    agentVersion: request.agentVersion,
    enrolledAt: new Date().toISOString(),
    enrolledBy,
  };
  const agentToken = newSecret('agent');
  const principal = agentPrincipalOf(host);
  await putNamedItem({
    claim: { ...keys.hostName(host.name), hostId: host.id },
    item: { ...keys.host(host.id), ...keys.hostListEntry(host.name), ...host },
    with: [credentialItem(agentToken, principal, `agent of ${host.name}`)],
    taken: `a host named '${host.name}' is already enrolled`,
  });
  return { host, agentToken };
}

function agentPrincipalOf(host: Pick<Host, 'id'>) {
  return { principalType: 'agent', principalId: `agent:${host.id}`, hostId: host.id } as const;
}

/** A new agent credential for the host; every earlier one is revoked. Returns the new secret. */
export async function rotateAgentToken(host: Host): Promise<{ agentToken: string; revoked: number }> {
  const principal = agentPrincipalOf(host);
  const agentToken = await mintCredential(principal, `agent of ${host.name}`);
  const revoked = await revokeCredentialsOf(principal.principalId, hashSecret(agentToken));
  return { agentToken, revoked };
}

/**
 * Removes a host: its record and name claim in one transaction, then every credential of its agent
 * (the caller has checked that no scenario names it). Returns how many credentials were revoked.
 */
export async function unenrollHost(host: Host): Promise<number> {
  try {
    await db().send(
      new TransactWriteCommand({
        TransactItems: [
          {
            Delete: {
              TableName: tableName(),
              Key: keys.host(host.id),
              ConditionExpression: 'attribute_exists(PK)',
            },
          },
          { Delete: { TableName: tableName(), Key: keys.hostName(host.name) } },
        ],
      }),
    );
  } catch (error) {
    if (isConditionFailure(error))
      throw new TidemarkError('NotFound', `no enrolled host has id '${host.id}'`, 404);
    throw error;
  }
  return revokeCredentialsOf(agentPrincipalOf(host).principalId);
}

export async function getHost(id: string): Promise<Host | undefined> {
  const { Item } = await db().send(new GetCommand({ TableName: tableName(), Key: keys.host(id) }));
  return Item ? Host.parse(withoutKeys(Item)) : undefined;
}

export async function requireHost(id: string): Promise<Host> {
  const host = await getHost(id);
  if (!host) throw new TidemarkError('NotFound', `no enrolled host has id '${id}'`, 404, 'hostId');
  return host;
}

export async function listHosts(limit: number, cursor?: string): Promise<{ hosts: Host[]; next?: string }> {
  const page = await queryPage(
    { pk: keys.hostList().GSI1PK, index: { name: 'GSI1', attribute: 'GSI1PK' }, forward: true },
    limit,
    cursor,
  );
  return { hosts: page.items.map((item) => Host.parse(withoutKeys(item))), next: page.next };
}

export async function recordHeartbeat(
  id: string,
  report: { agentVersion?: string; os?: string; addresses?: string[] },
): Promise<Host> {
  const update = setExpression({ ...report, lastHeartbeatAt: new Date().toISOString() });
  try {
    const { Attributes } = await db().send(
      new UpdateCommand({
        TableName: tableName(),
        Key: keys.host(id),
        UpdateExpression: update.expression,
        ConditionExpression: 'attribute_exists(PK)',
        ExpressionAttributeNames: update.names,
        ExpressionAttributeValues: update.values,
        ReturnValues: 'ALL_NEW',
      }),
    );
    return Host.parse(withoutKeys(Attributes ?? {}));
  } catch (error) {
    if (isConditionFailure(error))
      throw new TidemarkError('NotFound', `no enrolled host has id '${id}'`, 404);
    throw error;
  }
}
