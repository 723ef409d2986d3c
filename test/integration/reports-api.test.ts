/**
 * Every report route over real HTTP against the local cloud. The agents of
 * the scenario's hosts post status reports with statistics and events
 * through the agent routes; a job's sessions are recorded and committed
 * through the catalog repositories (the backup workflow's steps call the
 * same functions). Then the reports are read back and their figures checked.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendActivity } from '../../functions/repositories/activity.js';
import { nextSessionNumber } from '../../functions/repositories/counters.js';
import { putNewJob } from '../../functions/repositories/jobs.js';
import { commitSession, recordSession } from '../../functions/repositories/sessions.js';
import { type LocalCloud, startLocalCloud } from '../../infra/local/local-cloud.js';
import { apiClient } from './api-client.js';

let cloud: LocalCloud;
let call: ReturnType<typeof apiClient>;
let admin: string;
let viewer: string;
const agents: Record<string, string> = {};
let scenarioId: string;

const SCENARIO = 'reports';
const JOB = 'j-report';

function statistics(state: string, overrides: Record<string, unknown> = {}) {
  return { scenarioId, state, roots: [], spoolBytes: 0, spoolThresholdPercent: 0, ...overrides };
}

async function report(host: string, body: Record<string, unknown>) {
  const response = await call('POST', `/agent/scenarios/${scenarioId}/status`, {
    token: agents[host],
    body: { statistics: body },
  });
  expect(response.status).toBe(200);
}

beforeAll(async () => {
  cloud = await startLocalCloud();
  call = apiClient(cloud.apiUrl);
  admin = await cloud.mintOperatorToken('admin');
  viewer = await cloud.mintOperatorToken('viewer');
  for (const [name, dataPort] of [
    ['rp-master', 7001],
    ['rp-replica', 7002],
  ] as const) {
    const enrolled = await call('POST', '/hosts', { token: admin, body: { name } });
    agents[name] = enrolled.body.agentToken as string;
    // A data port from a heartbeat is what lets the scenario run.
    const beat = await call('POST', '/agent/heartbeat', {
      token: agents[name],
      body: { addresses: ['127.0.0.1'], dataPort },
    });
    expect(beat.status).toBe(200);
  }
  const created = await call('POST', '/scenarios', {
    token: admin,
    body: {
      name: SCENARIO,
      type: 'fileserver',
      master: 'rp-master',
      replicas: [{ host: 'rp-replica', directory: '/replica' }],
      roots: ['/srv/a', '/srv/b'],
    },
  });
  expect(created.status).toBe(201);
  scenarioId = created.body.id as string;
  // Reports of a stopped scenario do not move its state; a run makes it synchronizing.
  expect((await call('POST', `/scenarios/${scenarioId}/run`, { token: admin })).status).toBeLessThan(300);
});
afterAll(async () => {
  await cloud?.stop();
});

describe('scenario, replication and synchronization reports', () => {
  beforeAll(async () => {
    await report(
      'rp-master',
      statistics('replicating', {
        roots: [
          { root: '/srv/a', created: 10, changed: 4, removed: 2, renamed: 1, bytesSent: 50_000 },
          { root: '/srv/b', created: 5, changed: 6, removed: 0, renamed: 3, bytesSent: 25_000 },
        ],
        spoolBytes: 4096,
        spoolThresholdPercent: 2.5,
        lastSync: { filesCompared: 1200, bytesCompared: 9_000_000, bytesSent: 300_000, durationMs: 4200 },
      }),
    );
    await report(
      'rp-replica',
      statistics('replicating', {
        lastSync: { filesCompared: 1200, bytesCompared: 9_000_000, bytesSent: 0, durationMs: 4100 },
      }),
    );
    const at = new Date().toISOString();
    const posted = await call('POST', '/agent/events', {
      token: agents['rp-replica'],
      body: {
        events: [
          { scenarioId, eventId: 'SR00301', severity: 'error', text: 'apply failed', at },
          { scenarioId, eventId: 'SR00302', severity: 'error', text: 'apply failed again', at },
          { scenarioId, eventId: 'SR00104', severity: 'info', text: 'connected', at },
          { scenarioId, eventId: 'SR00105', severity: 'warning', text: 'slow link', at },
        ],
      },
    });
    expect(posted.status).toBe(201);
  });

  it('scenario report: each host’s latest statistics, master first', async () => {
    const response = await call('GET', `/reports/scenarios/${scenarioId}`, { token: viewer });
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ scenarioId, name: SCENARIO, state: 'replicating' });
    const hosts = response.body.hosts as Array<{
      host: string;
      role: string;
      statistics: { spoolBytes: number; roots: unknown[] };
    }>;
    expect(hosts.map((h) => [h.host, h.role])).toEqual([
      ['rp-master', 'master'],
      ['rp-replica', 'replica'],
    ]);
    expect(hosts[0]?.statistics.spoolBytes).toBe(4096);
    expect(hosts[0]?.statistics.roots).toHaveLength(2);
    // By name as well as by id.
    const byName = await call('GET', `/reports/scenarios/${SCENARIO}`, { token: viewer });
    expect(byName.body.scenarioId).toBe(scenarioId);
  });

  it('replication report: the master’s figures per root, their totals and the error events', async () => {
    const response = await call('GET', `/reports/replication?scenario=${SCENARIO}`, { token: viewer });
    expect(response.status).toBe(200);
    expect(response.body.totals).toEqual({
      created: 15,
      changed: 10,
      removed: 2,
      renamed: 4,
      bytesSent: 75_000,
    });
    expect((response.body.roots as Array<{ root: string }>).map((r) => r.root)).toEqual(['/srv/a', '/srv/b']);
    expect(response.body.errors).toBe(2);
    expect(response.body.reportedAt).toEqual(expect.any(String));
  });

  it('synchronization report: each host’s last synchronization', async () => {
    const response = await call('GET', `/reports/synchronization?scenario=${scenarioId}`, { token: viewer });
    expect(response.status).toBe(200);
    expect(response.body.hosts).toEqual([
      expect.objectContaining({
        host: 'rp-master',
        role: 'master',
        filesCompared: 1200,
        bytesSent: 300_000,
        durationMs: 4200,
      }),
      expect.objectContaining({ host: 'rp-replica', role: 'replica', bytesSent: 0, durationMs: 4100 }),
    ]);
  });
});

describe('difference report', () => {
  it('shows the master’s spool as what replicas lack while the scenario is suspended', async () => {
    await report('rp-master', statistics('suspended', { spoolBytes: 7_340_032, spoolThresholdPercent: 35 }));
    const response = await call('GET', `/reports/difference?scenario=${SCENARIO}`, { token: viewer });
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({
      scenarioId,
      state: 'suspended',
      suspended: true,
      pendingBytes: 7_340_032,
      spoolThresholdPercent: 35,
    });
  });
});

describe('job report', () => {
  async function session(bytes: number, files: number, seconds: number | undefined) {
    const number = await nextSessionNumber();
    const startedAt = new Date(Date.UTC(2026, 0, 5, 1, 0, 0)).toISOString();
    const recorded = await recordSession({
      number,
      jobId: JOB,
      scenarioId,
      scenarioName: SCENARIO,
      entity: 'volume /srv/a',
      masterHost: 'rp-master',
      masterPaths: ['/srv/a'],
      media: { bucket: process.env.TIDEMARK_MEDIA_BUCKET as string, prefix: 'repos/rp', tier: 'STANDARD' },
      bytes,
      files,
      directories: 3,
      startedAt,
      encryptionKeyId: 'wrapped-key',
      applicationConsistent: false,
    });
    if (seconds === undefined) return recorded;
    return commitSession(number, {
      endedAt: new Date(Date.parse(startedAt) + seconds * 1000).toISOString(),
      bytes,
      files,
      directories: 3,
      // The job report reads catalog records only; this index object is never fetched.
      nameIndex: { key: `repos/rp/sessions/${number}/names`, names: files, sha256: 'a'.repeat(64) },
    });
  }

  it('totals the job’s sessions, its throughput over their durations, and its errors and warnings', async () => {
    await putNewJob({
      id: JOB,
      kind: 'backup',
      scenarios: [{ scenarioId, scenarioName: SCENARIO, status: 'done', result: 'incomplete' }],
      status: 'done',
      result: 'incomplete',
      createdAt: new Date().toISOString(),
      submittedBy: 'operator:test',
    });
    const first = await session(10_000_000, 100, 10);
    const second = await session(5_000_000, 40, 5);
    // Still uploading: counted in the totals, not in the throughput.
    const third = await session(777, 1, undefined);
    const time = new Date().toISOString();
    await appendActivity([
      { jobId: JOB, time, severity: 'error', code: 'AE0458', message: 'backup image failed' },
      { jobId: JOB, time, severity: 'warning', code: 'AE0461', message: 'snapshot kept' },
      { jobId: JOB, time, severity: 'warning', message: 'slow upload' },
      { jobId: JOB, time, severity: 'info', message: 'job started' },
    ]);

    const response = await call('GET', `/reports/jobs/${JOB}`, { token: viewer });
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({
      jobId: JOB,
      kind: 'backup',
      status: 'done',
      result: 'incomplete',
      bytes: 15_000_777,
      files: 141,
      directories: 9,
      // (10 MB + 5 MB) over (10 s + 5 s)
      throughputBytesPerSecond: 1_000_000,
      errors: 1,
      warnings: 2,
    });
    const sessions = response.body.sessions as Array<{ number: number; committed: boolean }>;
    expect(sessions.map((s) => [s.number, s.committed])).toEqual([
      [first.number, true],
      [second.number, true],
      [third.number, false],
    ]);
  });
});

describe('bad input, missing credentials, unknown names', () => {
  it.each([
    ['/reports/replication', 'scenario'],
    ['/reports/synchronization?scenario=', 'scenario'],
    [`/reports/difference?scenario=${SCENARIO}&since=yesterday`, 'since'],
    [`/reports/scenarios/${'s'.repeat(101)}`, 'scenarioId'],
    [`/reports/jobs/${'j'.repeat(101)}`, 'jobId'],
  ])('GET %s answers 400 naming %s', async (path, field) => {
    const response = await call('GET', path, { token: viewer });
    expect(response).toMatchObject({ status: 400, body: { code: 'BadRequest', field } });
    expect(response.body.message).toEqual(expect.stringContaining(field));
  });

  it.each([
    '/reports/scenarios/reports',
    '/reports/replication?scenario=reports',
    '/reports/synchronization?scenario=reports',
    '/reports/difference?scenario=reports',
    `/reports/jobs/${JOB}`,
  ])('GET %s answers 401 without a credential and 403 to an agent', async (path) => {
    expect(await call('GET', path)).toMatchObject({ status: 401, body: { code: 'Unauthorized' } });
    expect((await call('GET', path, { token: agents['rp-master'] })).status).toBe(403);
  });

  it.each([
    ['/reports/scenarios/no-such-scenario', 'scenarioId'],
    ['/reports/replication?scenario=no-such-scenario', 'scenario'],
    ['/reports/synchronization?scenario=s-000000', 'scenario'],
    ['/reports/difference?scenario=no-such-scenario', 'scenario'],
    ['/reports/jobs/j-no-such-job', 'jobId'],
  ])('GET %s answers 404 naming %s', async (path, field) => {
    expect(await call('GET', path, { token: viewer })).toMatchObject({
      status: 404,
      body: { code: 'NotFound', field },
    });
  });
});
