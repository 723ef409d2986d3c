/**
 * The first vertical thread over real HTTP against the local cloud (moto,
 * the local gateway, the real handlers and authorizer): enroll, list and get
 * hosts; 401, 403 and 400 with the field named.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalCloud, startLocalCloud } from '../../infra/local/local-cloud.js';
import { apiClient } from './api-client.js';

let cloud: LocalCloud;
let call: ReturnType<typeof apiClient>;
let admin: string;
let viewer: string;

beforeAll(async () => {
  cloud = await startLocalCloud();
  call = apiClient(cloud.apiUrl);
  admin = await cloud.mintOperatorToken('admin');
  viewer = await cloud.mintOperatorToken('viewer');
});
afterAll(async () => {
  await cloud?.stop();
});

describe('hosts API', () => {
  it('enrolls a host, then lists and gets it', async () => {
    const enrolled = await call('POST', '/hosts', {
      token: admin,
      body: { name: 'Master-1', addresses: ['10.0.0.5', 'master-1.example.com'], os: 'linux' },
    });
    expect(enrolled.status).toBe(201);
    const host = enrolled.body.host as Record<string, unknown>;
    expect(host.name).toBe('master-1');
    expect(host.enrolledBy).toBe('operator:local-admin');
    expect(enrolled.body.agentToken).toMatch(/^tma_[A-Za-z0-9_-]{43}$/);

    const list = await call('GET', '/hosts', { token: viewer });
    expect(list.status).toBe(200);
    expect((list.body.hosts as Array<{ id: string }>).map((h) => h.id)).toContain(host.id);

    const one = await call('GET', `/hosts/${host.id}`, { token: viewer });
    expect(one.status).toBe(200);
    expect(one.body).toMatchObject({
      id: host.id,
      name: 'master-1',
      addresses: ['10.0.0.5', 'master-1.example.com'],
    });
  });

  it('pages through hosts with limit and next', async () => {
    for (const name of ['page-a', 'page-b', 'page-c']) {
      expect((await call('POST', '/hosts', { token: admin, body: { name } })).status).toBe(201);
    }
    const seen: string[] = [];
    let next: string | undefined;
    do {
      const page = await call('GET', `/hosts?limit=2${next ? `&next=${next}` : ''}`, { token: viewer });
      expect(page.status).toBe(200);
      seen.push(...(page.body.hosts as Array<{ name: string }>).map((h) => h.name));
      next = page.body.next as string | undefined;
    } while (next);
    expect(seen).toEqual(expect.arrayContaining(['page-a', 'page-b', 'page-c']));
    expect(new Set(seen).size).toBe(seen.length);
  });

  it('refuses a second host with the same name (409, field name)', async () => {
    expect((await call('POST', '/hosts', { token: admin, body: { name: 'twin' } })).status).toBe(201);
    const again = await call('POST', '/hosts', { token: admin, body: { name: 'TWIN' } });
    expect(again.status).toBe(409);
    expect(again.body).toMatchObject({ code: 'Conflict', field: 'name' });
  });

  it('answers 404 for an unknown host', async () => {
    const missing = await call('GET', '/hosts/h-nope', { token: viewer });
    expect(missing.status).toBe(404);
    expect(missing.body.code).toBe('NotFound');
  });
});

describe('authentication and authorization', () => {
  it('answers 401 without a credential, with a malformed one and with an unknown one', async () => {
    for (const token of [undefined, 'not-a-token', `tmo_${'A'.repeat(43)}`]) {
      const response = await call('GET', '/hosts', { token });
      expect(response.status).toBe(401);
      expect(response.body.code).toBe('Unauthorized');
    }
  });

  it('answers 403 when a viewer enrolls a host', async () => {
    const response = await call('POST', '/hosts', { token: viewer, body: { name: 'viewer-made' } });
    expect(response.status).toBe(403);
    expect(response.body.code).toBe('Forbidden');
  });

  it("lets an agent heartbeat for its own host only, and keeps it off operators' routes", async () => {
    const enrolled = await call('POST', '/hosts', { token: admin, body: { name: 'agent-host' } });
    const agent = enrolled.body.agentToken as string;
    const hostId = (enrolled.body.host as { id: string }).id;

    const beat = await call('POST', '/agent/heartbeat', { token: agent, body: { agentVersion: '0.1.0' } });
    expect(beat.status).toBe(200);
    expect(beat.body).toMatchObject({ id: hostId, agentVersion: '0.1.0' });
    expect(beat.body.lastHeartbeatAt).toEqual(expect.any(String));

    expect((await call('GET', '/hosts', { token: agent })).status).toBe(403);
    expect((await call('POST', '/agent/heartbeat', { token: admin, body: {} })).status).toBe(403);
  });
});

describe('bad input', () => {
  it.each([
    [{ name: 'bad name!' }, 'name'],
    [{}, 'name'],
    [{ name: 'ok-name', addresses: ['10.0.0.1', 'not an address'] }, 'addresses.1'],
    [{ name: 'ok-name', colour: 'blue' }, 'colour'],
  ])('answers 400 naming the field for %j', async (body, field) => {
    const response = await call('POST', '/hosts', { token: admin, body });
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ code: 'BadRequest', field });
    expect(response.body.message).toContain(field);
  });

  it('answers 400 for a body that is not JSON', async () => {
    const response = await call('POST', '/hosts', { token: admin, rawBody: '{"name": ' });
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ code: 'BadRequest', field: 'body' });
  });

  it('answers 400 naming the query field for a bad limit', async () => {
    const response = await call('GET', '/hosts?limit=0', { token: admin });
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ code: 'BadRequest', field: 'limit' });
  });
});
