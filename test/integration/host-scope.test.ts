/**
 * Host scope as an attacker would try it: an admin credential limited to team
 * A's hosts calls every operator route of the real API (the route table is
 * walked, so a route added later is attacked too) against team B's scenario,
 * job, host and session. Each answers 403 naming the field, each list leaves
 * B out, and nothing of B changes. Then the attack the scope exists for:
 * enrolling a host and adding it to B to obtain B's media credentials.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROUTES } from '../../functions/api/routes.js';
import { nextSessionNumber } from '../../functions/repositories/counters.js';
import { hashSecret } from '../../functions/repositories/credentials.js';
import { writeNameIndex } from '../../functions/repositories/file-index.js';
import { commitSession, recordSession } from '../../functions/repositories/sessions.js';
import { type LocalCloud, startLocalCloud } from '../../infra/local/local-cloud.js';
import { apiClient } from './api-client.js';

let cloud: LocalCloud;
let call: ReturnType<typeof apiClient>;
let admin: string;
let scopedAdmin: string;
let teamBOperator: string;
const agents: Record<string, string> = {};
const hostIds: Record<string, string> = {};
const scenarios: Record<'A' | 'B', { id: string; name: string; version: number }> = {} as never;
const jobs: Record<'A' | 'B', string> = {} as never;
const sessions: Record<'A' | 'B', number> = {} as never;

async function scenarioOf(team: 'A' | 'B') {
  const master = `${team.toLowerCase()}-master`;
  const replica = `${team.toLowerCase()}-replica`;
  for (const name of [master, replica]) {
    const enrolled = await call('POST', '/hosts', { token: admin, body: { name } });
    expect(enrolled.status).toBe(201);
    agents[name] = enrolled.body.agentToken as string;
    hostIds[name] = (enrolled.body.host as { id: string }).id;
  }
  const created = await call('POST', '/scenarios', {
    token: admin,
    body: {
      name: `Team ${team}`,
      type: 'fileserver',
      master,
      replicas: [{ host: replica, directory: '/var/tidemark/replica' }],
      roots: ['/srv/share'],
      options: { mode: 'suspend' },
    },
  });
  expect(created.status).toBe(201);
  scenarios[team] = created.body as { id: string; name: string; version: number };
  const job = await call('POST', '/jobs', {
    token: admin,
    body: { kind: 'backup', scenarios: [`Team ${team}`], schedule: { rate: 'rate(1 day)' } },
  });
  expect(job.status).toBe(201);
  jobs[team] = job.body.id as string;

  const number = await nextSessionNumber();
  const media = {
    bucket: process.env.TIDEMARK_MEDIA_BUCKET as string,
    prefix: `repos/${created.body.id}`,
    tier: 'STANDARD' as const,
  };
  await recordSession({
    number,
    jobId: jobs[team],
    scenarioId: scenarios[team].id,
    scenarioName: `Team ${team}`,
    entity: 'volume /srv/share',
    masterHost: master,
    masterPaths: ['/srv/share'],
    media,
    bytes: 1000,
    files: 1,
    directories: 1,
    startedAt: new Date().toISOString(),
    encryptionKeyId: 'wrapped-key-1',
    applicationConsistent: false,
  });
  const nameIndex = await writeNameIndex(scenarios[team].id, media, number, [
    `/srv/share/secret-${team}.txt`,
  ]);
  await commitSession(number, {
    endedAt: new Date().toISOString(),
    bytes: 1000,
    files: 1,
    directories: 1,
    nameIndex,
  });
  sessions[team] = number;
}

beforeAll(async () => {
  cloud = await startLocalCloud();
  call = apiClient(cloud.apiUrl);
  admin = await cloud.mintOperatorToken('admin');
  await scenarioOf('A');
  await scenarioOf('B');
  scopedAdmin = await cloud.mintOperatorToken('admin', { name: 'team-a', hosts: ['a-master', 'A-REPLICA'] });
  teamBOperator = await cloud.mintOperatorToken('operator', {
    name: 'team-b',
    hosts: ['b-master', 'b-replica'],
  });
});

afterAll(async () => {
  await cloud?.stop();
});

/** The request each route gets in the attack: B's ids in the path, B in the query, a body aimed at B. */
function attackOn(route: (typeof ROUTES)[number]): { path: string; body?: unknown } {
  const path = route.path
    .replace('{scenarioId}', scenarios.B.id)
    .replace('{jobId}', jobs.B)
    .replace('{hostId}', hostIds['b-master'] as string)
    .replace('{number}', String(sessions.B))
    .replace('{credentialId}', hashSecret(teamBOperator));
  const shape = route.doc?.query as { shape?: Record<string, unknown> } | undefined;
  const query = new URLSearchParams();
  if (shape?.shape && 'scenario' in shape.shape) query.set('scenario', scenarios.B.name);
  if (shape?.shape && 'path' in shape.shape) query.set('path', '/srv/share');
  if (shape?.shape && 'pattern' in shape.shape) query.set('pattern', 'secret-*');
  const url = query.size > 0 ? `${path}?${query}` : path;
  const bodies: Record<string, unknown> = {
    'POST /hosts': { name: 'b-extra' },
    'POST /scenarios': {
      name: 'Into B',
      type: 'fileserver',
      master: 'b-master',
      replicas: [{ host: 'a-replica', directory: '/var/tidemark/into-b' }],
      roots: ['/srv/share'],
    },
    'PATCH /scenarios/{scenarioId}': { options: { agentTimeoutSeconds: 90 } },
    'POST /jobs': { kind: 'backup', scenarios: [scenarios.B.name] },
    'POST /credentials': { name: 'into-b', role: 'admin', hosts: ['a-master', 'b-master'] },
    'POST /scenarios/{scenarioId}/rewind-points': { label: 'into b' },
    'POST /scenarios/{scenarioId}/rewind': { point: 'any-point' },
  };
  return { path: url, body: bodies[`${route.method} ${route.path}`] };
}

const operatorRoutes = ROUTES.filter((route) => route.access !== 'agent' && route.path !== '/openapi.json');
/** Routes that list: they answer 200 and leave B out. */
const LISTS: Record<string, string> = {
  'GET /scenarios': 'scenarios',
  'GET /hosts': 'hosts',
  'GET /jobs': 'jobs',
  'GET /credentials': 'credentials',
};

describe('host scope', () => {
  it.each(
    operatorRoutes
      .filter((route) => !LISTS[`${route.method} ${route.path}`])
      .map((r) => [r.method, r.path, r]),
  )(
    'refuses %s %s on team B to a credential scoped to team A (403, nothing changed)',
    async (method, _path, route) => {
      const attack = attackOn(route);
      const response = await call(method, attack.path, { token: scopedAdmin, body: attack.body });
      expect({ status: response.status, code: response.body.code }).toMatchObject({
        status: 403,
        code: expect.stringMatching(/^(Forbidden|AE0459)$/),
      });
      expect(response.body.field).toBeTruthy();
      expect(String(response.body.message)).toMatch(/b-master|b-replica|b-extra|scope/);
    },
  );

  it.each(Object.entries(LISTS))('lists only team A on %s', async (key, field) => {
    const [, path] = key.split(' ');
    const response = await call('GET', path as string, { token: scopedAdmin });
    expect(response.status).toBe(200);
    const ids = (response.body[field] as Array<{ id: string }>).map((item) => item.id);
    const a = {
      scenarios: scenarios.A.id,
      hosts: hostIds['a-master'],
      jobs: jobs.A,
      credentials: hashSecret(scopedAdmin),
    }[field];
    const b = {
      scenarios: scenarios.B.id,
      hosts: hostIds['b-master'],
      jobs: jobs.B,
      credentials: hashSecret(teamBOperator),
    }[field];
    expect(ids).toContain(a);
    expect(ids).not.toContain(b);
  });

  it('finds only team A in sessions and restore by query across all scenarios', async () => {
    const listed = await call('GET', '/sessions', { token: scopedAdmin });
    expect((listed.body.sessions as Array<{ number: number }>).map((s) => s.number)).toEqual([sessions.A]);
    const found = await call('GET', '/restore/query?pattern=secret-*', { token: scopedAdmin });
    expect(found.status).toBe(200);
    expect(JSON.stringify(found.body)).toContain('secret-A.txt');
    expect(JSON.stringify(found.body)).not.toContain('secret-B.txt');
  });

  it('leaves team B as it was after every refused route', async () => {
    const scenario = await call('GET', `/scenarios/${scenarios.B.id}`, { token: admin });
    expect(scenario.body).toMatchObject({ version: scenarios.B.version, replicas: [{ host: 'b-replica' }] });
    expect((await call('GET', `/jobs/${jobs.B}`, { token: admin })).body).toMatchObject({ status: 'ready' });
    const hosts = await call('GET', '/hosts', { token: admin });
    expect((hosts.body.hosts as Array<{ name: string }>).map((h) => h.name)).not.toContain('b-extra');
  });

  it("cannot reach team B's media by adding its own host to B", async () => {
    const patch = await call('PATCH', `/scenarios/${scenarios.B.id}`, {
      token: scopedAdmin,
      body: {
        replicas: [
          { host: 'b-replica', directory: '/var/tidemark/replica' },
          { host: 'a-replica', directory: '/var/tidemark/b' },
        ],
      },
    });
    expect(patch.body).toMatchObject({ code: 'Forbidden' });
    const credentials = await call('POST', '/agent/credentials', {
      token: agents['a-replica'],
      body: { scenarioId: scenarios.B.id, purpose: 'backup' },
    });
    expect(credentials.status).toBe(403);
    expect(credentials.body.message).toContain('is no replica of scenario Team B');
  });

  it('keeps working for team A', async () => {
    expect((await call('GET', `/scenarios/${scenarios.A.id}`, { token: scopedAdmin })).status).toBe(200);
    expect((await call('GET', `/sessions/${sessions.A}`, { token: scopedAdmin })).status).toBe(200);
    expect((await call('GET', `/jobs/${jobs.A}/activity`, { token: scopedAdmin })).status).toBe(200);
    const patch = await call('PATCH', `/scenarios/${scenarios.A.id}`, {
      token: scopedAdmin,
      body: { options: { agentTimeoutSeconds: 90 } },
    });
    expect(patch.status).toBe(200);
  });
});
