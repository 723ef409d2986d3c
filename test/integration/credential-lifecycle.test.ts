/**
 * Credentials over their life, against the real API of the local cloud: an
 * admin mints an operator credential, lists and revokes it; rotates a host's
 * agent token; unenrolls a host. A revoked or rotated-away token is refused
 * (401) on its very next call here; on AWS within the authorizer's 60 s
 * cache. Lower roles cannot reach any of it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashSecret } from '../../functions/repositories/credentials.js';
import { type LocalCloud, startLocalCloud } from '../../infra/local/local-cloud.js';
import { apiClient } from './api-client.js';

let cloud: LocalCloud;
let call: ReturnType<typeof apiClient>;
let admin: string;
let operator: string;

beforeAll(async () => {
  cloud = await startLocalCloud();
  call = apiClient(cloud.apiUrl);
  admin = await cloud.mintOperatorToken('admin');
  operator = await cloud.mintOperatorToken('operator');
});

afterAll(async () => {
  await cloud?.stop();
});

async function enroll(name: string) {
  const enrolled = await call('POST', '/hosts', { token: admin, body: { name } });
  expect(enrolled.status).toBe(201);
  return { id: (enrolled.body.host as { id: string }).id, token: enrolled.body.agentToken as string };
}

describe('operator credentials', () => {
  it('are minted, listed without secrets, and stop working once revoked', async () => {
    const minted = await call('POST', '/credentials', {
      token: admin,
      body: { name: 'night-shift', role: 'viewer', hosts: ['web-1'] },
    });
    expect(minted.status).toBe(201);
    const token = minted.body.token as string;
    const credential = minted.body.credential as Record<string, unknown>;
    expect(credential).toMatchObject({
      id: hashSecret(token),
      principalType: 'operator',
      principalId: 'operator:night-shift',
      role: 'viewer',
      hostScope: ['web-1'],
    });
    expect((await call('GET', '/hosts', { token })).status).toBe(200);

    const listed = await call('GET', '/credentials', { token: admin });
    expect(listed.status).toBe(200);
    expect(listed.body.credentials).toContainEqual(expect.objectContaining({ id: credential.id }));
    expect(JSON.stringify(listed.body)).not.toContain(token);

    const revoked = await call('DELETE', `/credentials/${credential.id}`, { token: admin });
    expect(revoked.status).toBe(200);
    expect(revoked.body.revoked).toMatchObject({ id: credential.id });
    expect((await call('GET', '/hosts', { token })).status).toBe(401);
    const again = await call('DELETE', `/credentials/${credential.id}`, { token: admin });
    expect(again.body).toMatchObject({ code: 'NotFound', field: 'credentialId' });
  });

  it('refuses a malformed id, an unknown role, and lower roles', async () => {
    const badId = await call('DELETE', '/credentials/not-a-hash', { token: admin });
    expect(badId).toMatchObject({ status: 400, body: { code: 'BadRequest', field: 'credentialId' } });
    const badRole = await call('POST', '/credentials', { token: admin, body: { name: 'x', role: 'root' } });
    expect(badRole).toMatchObject({ status: 400, body: { code: 'BadRequest', field: 'role' } });
    for (const [method, path] of [
      ['GET', '/credentials'],
      ['POST', '/credentials'],
      ['DELETE', `/credentials/${hashSecret(admin)}`],
    ] as const) {
      const body = method === 'POST' ? { name: 'y', role: 'admin' } : undefined;
      const refused = await call(method, path, { token: operator, body });
      expect(refused.status, `${method} ${path}`).toBe(403);
    }
    // The admin credential the operator tried to revoke still works, and it cannot revoke itself.
    expect((await call('GET', '/credentials', { token: admin })).status).toBe(200);
    const self = await call('DELETE', `/credentials/${hashSecret(admin)}`, { token: admin });
    expect(self).toMatchObject({ status: 409, body: { code: 'Conflict', field: 'credentialId' } });
    expect((await call('GET', '/credentials', { token: admin })).status).toBe(200);
  });
});

describe('agent tokens', () => {
  it('rotate: the new token works at once and the old one is refused', async () => {
    const host = await enroll('rotating-1');
    expect((await call('POST', '/agent/heartbeat', { token: host.token, body: {} })).status).toBe(200);
    const rotated = await call('POST', `/hosts/${host.id}/agent-token`, { token: admin });
    expect(rotated.status).toBe(201);
    expect(rotated.body.revokedCredentials).toBe(1);
    const fresh = rotated.body.agentToken as string;
    expect(fresh).not.toBe(host.token);
    expect((await call('POST', '/agent/heartbeat', { token: fresh, body: {} })).status).toBe(200);
    expect((await call('POST', '/agent/heartbeat', { token: host.token, body: {} })).status).toBe(401);
    expect((await call('POST', `/hosts/${host.id}/agent-token`, { token: operator })).status).toBe(403);
  });
});

describe('unenrolling a host', () => {
  it('is refused while a scenario uses the host, naming the scenario', async () => {
    const master = await enroll('used-master');
    await enroll('used-replica');
    const scenario = await call('POST', '/scenarios', {
      token: admin,
      body: {
        name: 'Still here',
        type: 'fileserver',
        master: 'used-master',
        replicas: [{ host: 'used-replica', directory: '/var/tidemark/replica' }],
        roots: ['/srv/share'],
      },
    });
    expect(scenario.status).toBe(201);
    const refused = await call('DELETE', `/hosts/${master.id}`, { token: admin });
    expect(refused).toMatchObject({ status: 409, body: { code: 'Conflict', field: 'hostId' } });
    expect(refused.body.message).toContain('Still here');
    expect((await call('POST', '/agent/heartbeat', { token: master.token, body: {} })).status).toBe(200);
  });

  it('removes a free host and revokes its agent; the name can be enrolled again', async () => {
    const host = await enroll('retired-1');
    expect((await call('DELETE', `/hosts/${host.id}`, { token: operator })).status).toBe(403);
    const gone = await call('DELETE', `/hosts/${host.id}`, { token: admin });
    expect(gone.status).toBe(200);
    expect(gone.body).toMatchObject({
      unenrolled: { id: host.id, name: 'retired-1' },
      revokedCredentials: 1,
    });
    expect((await call('POST', '/agent/heartbeat', { token: host.token, body: {} })).status).toBe(401);
    expect((await call('GET', `/hosts/${host.id}`, { token: admin })).status).toBe(404);
    expect((await call('DELETE', `/hosts/${host.id}`, { token: admin })).status).toBe(404);
    await enroll('retired-1');
  });
});
