/**
 * Scenarios over real HTTP against the local cloud (moto, the local gateway,
 * the real handlers and authorizer): create, list, get by id and by name,
 * patch, delete, run/stop/discover writing commands the agents then poll,
 * and agents' status reports; 400 naming fields, 401, 403 across roles and
 * hosts, 409 for moves the state rules refuse.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalCloud, startLocalCloud } from '../../infra/local/local-cloud.js';
import { apiClient } from './api-client.js';

let cloud: LocalCloud;
let call: ReturnType<typeof apiClient>;
let operator: string;
let admin: string;
let viewer: string;
const agents: Record<string, string> = {};

async function enroll(name: string, heartbeat?: { addresses: string[]; dataPort: number }) {
  const enrolled = await call('POST', '/hosts', { token: admin, body: { name } });
  expect(enrolled.status).toBe(201);
  agents[name] = enrolled.body.agentToken as string;
  if (heartbeat) {
    const beat = await call('POST', '/agent/heartbeat', { token: agents[name], body: heartbeat });
    expect(beat.status).toBe(200);
    expect(beat.body.dataPort).toBe(heartbeat.dataPort);
  }
}

function scenarioBody(name: string, overrides: Record<string, unknown> = {}) {
  return {
    name,
    type: 'fileserver',
    master: 'sc-master',
    replicas: [{ host: 'sc-replica', directory: '/var/tidemark/replica' }],
    roots: ['/srv/share'],
    ...overrides,
  };
}

async function create(name: string, overrides: Record<string, unknown> = {}) {
  const created = await call('POST', '/scenarios', { token: admin, body: scenarioBody(name, overrides) });
  expect(created.status).toBe(201);
  return created.body as { id: string; name: string; version: number; state: string };
}

/** Drains the host's pending commands through the agent channel (waitSeconds=0 answers at once). */
async function pollAll(host: string) {
  const commands: Array<{ id: string; kind: string; args: Record<string, unknown> }> = [];
  for (;;) {
    const polled = await call('GET', '/agent/commands?waitSeconds=0', { token: agents[host] });
    if (polled.status === 204) return commands;
    expect(polled.status).toBe(200);
    commands.push(polled.body as (typeof commands)[number]);
  }
}

function statistics(scenarioId: string, state: string) {
  return {
    scenarioId,
    state,
    roots: [{ root: '/srv/share', created: 3, changed: 2, removed: 1, renamed: 0, bytesSent: 4096 }],
    spoolBytes: 512,
    spoolThresholdPercent: 0.1,
  };
}

beforeAll(async () => {
  cloud = await startLocalCloud();
  call = apiClient(cloud.apiUrl);
  operator = await cloud.mintOperatorToken('operator');
  admin = await cloud.mintOperatorToken('admin');
  viewer = await cloud.mintOperatorToken('viewer');
  await enroll('sc-master', { addresses: ['127.0.0.1'], dataPort: 47001 });
  await enroll('sc-replica', { addresses: ['127.0.0.2'], dataPort: 47002 });
  await enroll('sc-outsider', { addresses: ['127.0.0.3'], dataPort: 47003 });
  await enroll('sc-silent');
});
afterAll(async () => {
  await cloud?.stop();
});

describe('scenario definitions', () => {
  it('creates a stopped scenario and finds it by id, by name and in the list', async () => {
    const created = await create('Docs Share', { master: 'SC-MASTER' });
    expect(created).toMatchObject({ name: 'Docs Share', state: 'stopped', version: 1, master: 'sc-master' });
    expect(created.id).toMatch(/^s-/);
    expect((created as unknown as { options: Record<string, unknown> }).options).toMatchObject({
      agentTimeoutSeconds: 180,
      syncMode: 'block',
    });

    const byId = await call('GET', `/scenarios/${created.id}`, { token: viewer });
    expect(byId.status).toBe(200);
    expect(byId.body.id).toBe(created.id);
    const byName = await call('GET', `/scenarios/${encodeURIComponent('docs share')}`, { token: viewer });
    expect(byName.status).toBe(200);
    expect(byName.body.id).toBe(created.id);

    const list = await call('GET', '/scenarios?limit=50', { token: viewer });
    expect(list.status).toBe(200);
    expect((list.body.scenarios as Array<{ id: string }>).map((s) => s.id)).toContain(created.id);
  });

  it('refuses a second scenario with the same name, whatever its case (409, field name)', async () => {
    await create('Twin');
    const again = await call('POST', '/scenarios', { token: admin, body: scenarioBody('TWIN') });
    expect(again.status).toBe(409);
    expect(again.body).toMatchObject({ code: 'Conflict', field: 'name' });
  });

  it.each([
    [{ master: 'nobody-here' }, 'master', 'nobody-here'],
    [{ replicas: [{ host: 'ghost', directory: '/r' }] }, 'replicas.0.host', 'ghost'],
  ])('answers 400 AE0467 for a host that is not enrolled (%j)', async (overrides, field, host) => {
    const response = await call('POST', '/scenarios', {
      token: admin,
      body: scenarioBody('Unresolved', overrides),
    });
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ code: 'AE0467', field });
    expect(response.body.message).toContain(host);
  });

  it.each([
    [{ roots: [] }, 'roots'],
    [{ roots: ['relative/path'] }, 'roots.0'],
    [{ type: 'oracle' }, 'type'],
    [{ replicas: [{ host: 'sc-master', directory: '/r' }] }, 'replicas.0.host'],
    [{ colour: 'blue' }, 'colour'],
    [{ options: { agentTimeoutSeconds: 1 } }, 'options.agentTimeoutSeconds'],
  ])('answers 400 naming the field for %j', async (overrides, field) => {
    const response = await call('POST', '/scenarios', {
      token: admin,
      body: scenarioBody('Bad', overrides),
    });
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ code: 'BadRequest', field });
    expect(response.body.message).toContain(field);
  });

  it('leaves defining scenarios, roots and replicas to admins; an operator may change options', async () => {
    const created = await create('Roles');
    const refused = await call('POST', '/scenarios', { token: operator, body: scenarioBody('ByOperator') });
    expect(refused.status).toBe(403);
    for (const body of [
      { roots: ['/etc'] },
      { replicas: [{ host: 'sc-replica', directory: '/srv/elsewhere' }] },
    ]) {
      const patch = await call('PATCH', `/scenarios/${created.id}`, { token: operator, body });
      expect(patch.status).toBe(403);
      expect(patch.body).toMatchObject({ code: 'Forbidden', field: Object.keys(body)[0] });
      expect(patch.body.message).toContain('needs the admin role; this credential has the operator role');
    }
    const enrolled = await call('POST', '/hosts', { token: operator, body: { name: 'sc-by-operator' } });
    expect(enrolled.status).toBe(403);
    const options = await call('PATCH', `/scenarios/${created.id}`, {
      token: operator,
      body: { options: { agentTimeoutSeconds: 90 } },
    });
    expect(options.status).toBe(200);
    const after = await call('GET', `/scenarios/${created.id}`, { token: viewer });
    expect(after.body).toMatchObject({ roots: ['/srv/share'], replicas: scenarioBody('x').replicas });
  });

  it.each([
    ['/', 'holds other data'],
    ['/var', 'holds other data'],
    ['/etc/tidemark', 'inside the system tree /etc'],
    ['/usr', 'inside the system tree /usr'],
    ['/boot//grub/', 'inside the system tree /boot'],
  ])('refuses %s as a replica directory (400, field replicas.0.directory)', async (directory, why) => {
    const response = await call('POST', '/scenarios', {
      token: admin,
      body: scenarioBody('SystemReplica', { replicas: [{ host: 'sc-replica', directory }] }),
    });
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ code: 'BadRequest', field: 'replicas.0.directory' });
    expect(response.body.message).toContain(why);
  });

  it('patches options of a stopped scenario, keeping the others, and bumps its version', async () => {
    const created = await create('Patched');
    const patched = await call('PATCH', `/scenarios/${created.id}`, {
      token: admin,
      body: {
        version: 1,
        options: { mode: 'suspend', agentTimeoutSeconds: 60 },
        roots: ['/srv/a', '/srv/b'],
      },
    });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ version: 2, roots: ['/srv/a', '/srv/b'] });
    expect(patched.body.options).toMatchObject({
      mode: 'suspend',
      agentTimeoutSeconds: 60,
      syncMode: 'block',
    });

    const cleared = await call('PATCH', `/scenarios/${created.id}`, {
      token: operator,
      body: { options: { mode: null } },
    });
    expect(cleared.status).toBe(200);
    expect(cleared.body.options).not.toHaveProperty('mode');

    const stale = await call('PATCH', `/scenarios/${created.id}`, { token: operator, body: { version: 1 } });
    expect(stale.status).toBe(409);
    expect(stale.body).toMatchObject({ code: 'Conflict', field: 'version' });

    const badReplica = await call('PATCH', `/scenarios/${created.id}`, {
      token: admin,
      body: { replicas: [{ host: 'ghost', directory: '/r' }] },
    });
    expect(badReplica.status).toBe(400);
    expect(badReplica.body).toMatchObject({ code: 'AE0467', field: 'replicas.0.host' });

    const badOption = await call('PATCH', `/scenarios/${created.id}`, {
      token: operator,
      body: { options: { syncMode: 'bytes' } },
    });
    expect(badOption.status).toBe(400);
    expect(badOption.body).toMatchObject({ code: 'BadRequest', field: 'options.syncMode' });
  });

  it('answers 404 for an unknown scenario', async () => {
    const missing = await call('GET', '/scenarios/no-such-scenario', { token: viewer });
    expect(missing.status).toBe(404);
    expect(missing.body.code).toBe('NotFound');
  });
});

describe('run, stop, discover and status reports', () => {
  it('runs a scenario: synchronizing, and a start command with its peers for master and replica', async () => {
    const created = await create('Replicated');
    const run = await call('POST', `/scenarios/${created.id}/run`, { token: operator });
    expect(run.status).toBe(202);
    expect(run.body.scenario).toMatchObject({ state: 'synchronizing', version: 2 });
    expect((run.body.commands as Array<{ host: string }>).map((c) => c.host).sort()).toEqual([
      'sc-master',
      'sc-replica',
    ]);

    const onMaster = (await pollAll('sc-master')).filter((c) => c.kind === 'start');
    expect(onMaster).toHaveLength(1);
    expect(onMaster[0]?.args).toMatchObject({
      self: 'sc-master',
      scenario: { id: created.id, name: 'Replicated' },
      peers: [{ host: 'sc-replica', address: '127.0.0.2', port: 47002 }],
    });
    expect(onMaster[0]?.args.scenario).not.toHaveProperty('reports');
    const onReplica = (await pollAll('sc-replica')).filter((c) => c.kind === 'start');
    expect(onReplica[0]?.args).toMatchObject({
      self: 'sc-replica',
      peers: [{ host: 'sc-master', address: '127.0.0.1', port: 47001 }],
    });

    // No workflow waits on these commands: the outcome is recorded, nothing else.
    const done = await call('POST', `/agent/commands/${onMaster[0]?.id}/result`, {
      token: agents['sc-master'],
      body: { status: 'succeeded' },
    });
    expect(done.status).toBe(200);
    expect(done.body).toMatchObject({ status: 'succeeded' });

    const again = await call('POST', `/scenarios/${created.id}/run`, { token: operator });
    expect(again.status).toBe(409);
    expect(again.body.message).toContain('is synchronizing; run needs it stopped or problem');

    const edit = await call('PATCH', `/scenarios/${created.id}`, {
      token: admin,
      body: { roots: ['/x'] },
    });
    expect(edit.status).toBe(409);
    const remove = await call('DELETE', `/scenarios/${created.id}`, { token: operator });
    expect(remove.status).toBe(409);
  });

  it('refuses to run while a host has not reported its data port (409 naming it)', async () => {
    const created = await create('Silent Replica', {
      replicas: [{ host: 'sc-silent', directory: '/r' }],
    });
    const run = await call('POST', `/scenarios/${created.id}/run`, { token: operator });
    expect(run.status).toBe(409);
    expect(run.body.message).toContain("'sc-silent'");
    const after = await call('GET', `/scenarios/${created.id}`, { token: viewer });
    expect(after.body.state).toBe('stopped');
  });

  it('stores status reports of the master and replicas only, and entities from the master only', async () => {
    const created = await create('Reported');
    expect((await call('POST', `/scenarios/${created.id}/run`, { token: operator })).status).toBe(202);

    const report = await call('POST', `/agent/scenarios/${created.id}/status`, {
      token: agents['sc-replica'],
      body: { statistics: statistics(created.id, 'replicating') },
    });
    expect(report.status).toBe(200);
    expect(report.body.state).toBe('replicating');
    expect((report.body.reports as Record<string, unknown>)['sc-replica']).toMatchObject({
      host: 'sc-replica',
      statistics: { spoolBytes: 512, roots: [{ root: '/srv/share', created: 3 }] },
    });

    const outsider = await call('POST', `/agent/scenarios/${created.id}/status`, {
      token: agents['sc-outsider'],
      body: { statistics: statistics(created.id, 'replicating') },
    });
    expect(outsider.status).toBe(403);
    expect(outsider.body.message).toContain('sc-outsider');

    const entities = [{ name: 'share', kind: 'volume', paths: ['/srv/share'] }];
    const fromReplica = await call('POST', `/agent/scenarios/${created.id}/status`, {
      token: agents['sc-replica'],
      body: { statistics: statistics(created.id, 'replicating'), entities },
    });
    expect(fromReplica.status).toBe(403);
    const fromMaster = await call('POST', `/agent/scenarios/${created.id}/status`, {
      token: agents['sc-master'],
      body: { statistics: statistics(created.id, 'replicating'), entities },
    });
    expect(fromMaster.status).toBe(200);
    expect(fromMaster.body.entities).toEqual(entities);

    const wrongId = await call('POST', `/agent/scenarios/${created.id}/status`, {
      token: agents['sc-master'],
      body: { statistics: statistics('s-other', 'replicating') },
    });
    expect(wrongId.status).toBe(400);
    expect(wrongId.body.field).toBe('statistics.scenarioId');
    const badState = await call('POST', `/agent/scenarios/${created.id}/status`, {
      token: agents['sc-master'],
      body: { statistics: statistics(created.id, 'dancing') },
    });
    expect(badState.status).toBe(400);
    expect(badState.body.field).toBe('statistics.state');

    const operatorReport = await call('POST', `/agent/scenarios/${created.id}/status`, {
      token: operator,
      body: { statistics: statistics(created.id, 'replicating') },
    });
    expect(operatorReport.status).toBe(403);
  });

  it('stops a scenario for every host; a late report does not revive it; then it can be deleted', async () => {
    const created = await create('Stopped Later');
    expect((await call('POST', `/scenarios/${created.id}/run`, { token: operator })).status).toBe(202);
    await pollAll('sc-master');
    await pollAll('sc-replica');

    const stop = await call('POST', `/scenarios/${created.id}/stop`, { token: operator });
    expect(stop.status).toBe(202);
    expect(stop.body.scenario).toMatchObject({ state: 'stopped' });
    expect((await pollAll('sc-master')).map((c) => c.kind)).toEqual(['stop']);
    expect((await pollAll('sc-replica')).map((c) => c.kind)).toEqual(['stop']);

    const late = await call('POST', `/agent/scenarios/${created.id}/status`, {
      token: agents['sc-master'],
      body: { statistics: statistics(created.id, 'replicating') },
    });
    expect(late.status).toBe(200);
    expect(late.body.state).toBe('stopped');

    const stopAgain = await call('POST', `/scenarios/${created.id}/stop`, { token: operator });
    expect(stopAgain.status).toBe(409);

    expect((await call('DELETE', `/scenarios/${created.id}`, { token: operator })).status).toBe(204);
    expect((await call('GET', `/scenarios/${created.id}`, { token: viewer })).status).toBe(404);
    // The name is free again.
    await create('Stopped Later');
  });

  it('discovers on the master only, without changing the state', async () => {
    const created = await create('Discovered');
    const discover = await call('POST', `/scenarios/${created.id}/discover`, { token: operator });
    expect(discover.status).toBe(202);
    expect(discover.body.scenario).toMatchObject({ state: 'stopped', version: 1 });
    expect(await pollAll('sc-replica')).toEqual([]);
    const onMaster = await pollAll('sc-master');
    expect(onMaster.map((c) => c.kind)).toEqual(['discover']);
    expect(onMaster[0]?.args).toMatchObject({ scenario: { id: created.id }, self: 'sc-master' });
  });
});

describe('authentication and roles', () => {
  const routes = [
    ['POST', '/scenarios'],
    ['GET', '/scenarios'],
    ['GET', '/scenarios/x'],
    ['PATCH', '/scenarios/x'],
    ['DELETE', '/scenarios/x'],
    ['POST', '/scenarios/x/run'],
    ['POST', '/scenarios/x/stop'],
    ['POST', '/scenarios/x/discover'],
    ['POST', '/agent/scenarios/x/status'],
  ] as const;

  it.each(routes)('answers 401 to %s %s without a credential', async (method, path) => {
    const response = await call(method, path, method === 'GET' ? {} : { body: {} });
    expect(response.status).toBe(401);
    expect(response.body.code).toBe('Unauthorized');
  });

  it.each(routes.filter(([method]) => method !== 'GET').slice(0, 6))(
    'answers 403 to a viewer on %s %s',
    async (method, path) => {
      const response = await call(method, path, { token: viewer, body: scenarioBody('Viewer Made') });
      expect(response.status).toBe(403);
      expect(response.body.code).toBe('Forbidden');
    },
  );

  it("keeps agents off operators' scenario routes", async () => {
    expect((await call('GET', '/scenarios', { token: agents['sc-master'] })).status).toBe(403);
    const made = await call('POST', '/scenarios', {
      token: agents['sc-master'],
      body: scenarioBody('Agent'),
    });
    expect(made.status).toBe(403);
  });
});
