/**
 * Jobs over real HTTP against the local cloud: run-now backups start the
 * backup state machine in the local Step Functions service (the test plays
 * the replica's agent over the command channel until the job completes),
 * scheduled backups create EventBridge Scheduler schedules in moto (checked
 * with GetSchedule), hold/release/cancel/delete, restores, the queue by
 * status; 400 naming fields, 401, 403 across roles and host scopes.
 */
import { GetScheduleCommand } from '@aws-sdk/client-scheduler';
import { DescribeExecutionCommand } from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BackupArgs } from '../../core/agent-commands.js';
import { clients } from '../../core/aws-clients.js';
import { ENV } from '../../core/environment.js';
import { type LocalCloud, startLocalCloud } from '../../infra/local/local-cloud.js';
import { apiClient } from './api-client.js';
import { backedUpSessions } from './workflow-agent.js';

let cloud: LocalCloud;
let call: ReturnType<typeof apiClient>;
let operator: string;
let admin: string;
let viewer: string;
const agents: Record<string, string> = {};

interface JobBody {
  id: string;
  status: string;
  result?: string;
  executionArn?: string;
  scheduleName?: string;
  scenarios: Array<{ scenarioId: string; status: string; result?: string }>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function enroll(name: string, dataPort: number) {
  const enrolled = await call('POST', '/hosts', { token: admin, body: { name } });
  expect(enrolled.status).toBe(201);
  agents[name] = enrolled.body.agentToken as string;
  const beat = { addresses: ['127.0.0.1'], dataPort };
  expect((await call('POST', '/agent/heartbeat', { token: agents[name], body: beat })).status).toBe(200);
}

async function createScenario(name: string, master: string, replica: string) {
  const created = await call('POST', '/scenarios', {
    token: admin,
    body: {
      name,
      type: 'fileserver',
      master,
      replicas: [{ host: replica, directory: '/var/tidemark/replica' }],
      roots: ['/srv/data'],
      options: { mode: 'suspend', agentTimeoutSeconds: 30 },
    },
  });
  expect(created.status).toBe(201);
  return created.body as { id: string };
}

async function submit(body: Record<string, unknown>, token = operator) {
  return call('POST', '/jobs', { token, body });
}

const schedule = (name: string) => clients.scheduler().send(new GetScheduleCommand({ Name: name }));

beforeAll(async () => {
  cloud = await startLocalCloud();
  call = apiClient(cloud.apiUrl);
  operator = await cloud.mintOperatorToken('operator');
  admin = await cloud.mintOperatorToken('admin');
  viewer = await cloud.mintOperatorToken('viewer');
  await enroll('jb-master', 48001);
  await enroll('jb-replica', 48002);
  await enroll('jb-elsewhere', 48003);
  await createScenario('Nightly', 'jb-master', 'jb-replica');
});
afterAll(async () => {
  await cloud?.stop();
});

describe('run-now backup', () => {
  /** What a real agent answers to each command (core/agent-commands.ts), sessions with name indexes in S3. */
  async function outputOf(kind: string, args: unknown): Promise<unknown> {
    if (kind === 'snapshot') return { snapshotId: 'snap-1', takenAt: new Date().toISOString(), pauseMs: 1 };
    if (kind === 'backup') return backedUpSessions(BackupArgs.parse(args));
    if (kind === 'release_snapshots') return { released: [], kept: 1 };
    return {};
  }

  it('starts the backup workflow; the replica agent answers; the job ends done and completed', async () => {
    const scenario = await createScenario('Driven', 'jb-master', 'jb-replica');
    // Bring the scenario to replicating the way agents do, so the workflow's checks see a live scenario.
    expect((await call('POST', `/scenarios/${scenario.id}/run`, { token: operator })).status).toBe(202);
    const report = {
      statistics: {
        scenarioId: scenario.id,
        state: 'replicating',
        roots: [],
        spoolBytes: 0,
        spoolThresholdPercent: 0,
      },
    };
    const reported = await call('POST', `/agent/scenarios/${scenario.id}/status`, {
      token: agents['jb-master'],
      body: report,
    });
    expect(reported.body.state).toBe('replicating');

    const submitted = await submit({ kind: 'backup', name: 'now', scenarios: ['Driven'] });
    expect(submitted.status).toBe(201);
    const job = submitted.body as unknown as JobBody;
    expect(job).toMatchObject({
      status: 'active',
      scenarios: [{ scenarioId: scenario.id, status: 'active' }],
    });
    expect(job.executionArn).toContain(job.id);
    const queue = await call('GET', '/jobs?status=active', { token: viewer });
    expect((queue.body.jobs as JobBody[]).map((j) => j.id)).toContain(job.id);

    // Play the replica's agent: every command the workflow sends it succeeds.
    const kinds: string[] = [];
    let current = job;
    for (let attempt = 0; attempt < 100 && current.status === 'active'; attempt++) {
      for (const host of ['jb-replica', 'jb-master']) {
        const polled = await call('GET', '/agent/commands?waitSeconds=0', { token: agents[host] });
        if (polled.status !== 200) continue;
        if (polled.body.kind === 'start') {
          // The scenario's own start commands: recorded, no workflow waits on them.
          await call('POST', `/agent/commands/${polled.body.id}/result`, {
            token: agents[host],
            body: { status: 'succeeded' },
          });
          continue;
        }
        const kind = polled.body.kind as string;
        kinds.push(kind);
        const result = await call('POST', `/agent/commands/${polled.body.id}/result`, {
          token: agents[host],
          body: { status: 'succeeded', output: await outputOf(kind, polled.body.args) },
        });
        expect(result.status).toBe(200);
      }
      await sleep(100);
      current = (await call('GET', `/jobs/${job.id}`, { token: viewer })).body as unknown as JobBody;
    }
    expect(kinds).toEqual(expect.arrayContaining(['suspend', 'snapshot', 'resume']));
    expect(current).toMatchObject({
      status: 'done',
      result: 'completed',
      scenarios: [{ scenarioId: scenario.id, status: 'done', result: 'completed' }],
    });
    expect(current).toHaveProperty('endedAt');
  });

  it('cancels a running job: the execution is stopped and the job is done, canceled', async () => {
    // 'Driven' replicates (the test above), so the job runs and waits on its replica, which nobody plays now.
    const submitted = await submit({ kind: 'backup', scenarios: ['Driven'] });
    expect(submitted.status).toBe(201);
    const job = submitted.body as unknown as JobBody;

    const hold = await call('POST', `/jobs/${job.id}/hold`, { token: operator });
    expect(hold.status).toBe(409);
    expect(hold.body.message).toContain('only scheduled jobs can be held');
    const remove = await call('DELETE', `/jobs/${job.id}`, { token: operator });
    expect(remove.status).toBe(409);
    expect(remove.body.message).toContain('cancel it first');

    const canceled = await call('POST', `/jobs/${job.id}/cancel`, { token: operator });
    expect(canceled.status).toBe(200);
    expect(canceled.body).toMatchObject({
      status: 'done',
      result: 'canceled',
      scenarios: [{ status: 'done', result: 'canceled' }],
    });
    const execution = await clients
      .sfn()
      .send(new DescribeExecutionCommand({ executionArn: job.executionArn }));
    expect(execution.status).toBe('ABORTED');

    const again = await call('POST', `/jobs/${job.id}/cancel`, { token: operator });
    expect(again.status).toBe(409);
    expect(again.body.message).toContain('is done');
    expect((await call('DELETE', `/jobs/${job.id}`, { token: operator })).status).toBe(204);
    expect((await call('GET', `/jobs/${job.id}`, { token: viewer })).status).toBe(404);
  });

  it('starts a restore in the restore workflow, to the master unless another host is named', async () => {
    const submitted = await submit({
      kind: 'restore',
      scenarios: ['Nightly'],
      restore: { sessionId: '42', destination: '/restore/here' },
    });
    expect(submitted.status).toBe(201);
    const job = submitted.body as unknown as JobBody;
    expect(job).toMatchObject({ kind: 'restore', status: 'active' });
    const restoreMachine = process.env[ENV.restoreStateMachineArn] ?? '';
    expect(job.executionArn).toContain(restoreMachine.split(':').at(-1));
    // The catalog has no session 42: the restore workflow itself ends the job with E3371.
    let current = job;
    for (let attempt = 0; attempt < 100 && current.status === 'active'; attempt++) {
      await sleep(100);
      current = (await call('GET', `/jobs/${job.id}`, { token: viewer })).body as unknown as JobBody;
    }
    expect(current).toMatchObject({
      status: 'done',
      result: 'failed',
      scenarios: [{ error: { code: 'E3371' } }],
    });

    const elsewhere = await submit({
      kind: 'restore',
      scenarios: ['Nightly'],
      restore: { sessionId: '42', destination: '/restore', host: 'nowhere' },
    });
    expect(elsewhere.status).toBe(400);
    expect(elsewhere.body).toMatchObject({ code: 'AE0467', field: 'restore.host' });
  });
});

describe('scheduled backup', () => {
  it('creates a schedule in EventBridge Scheduler, disables it on hold, enables it on release, deletes it', async () => {
    const submitted = await submit({
      kind: 'backup',
      scenarios: ['Nightly'],
      schedule: { cron: 'cron(0 2 * * ? *)' },
    });
    expect(submitted.status).toBe(201);
    const job = submitted.body as unknown as JobBody;
    expect(job).toMatchObject({ status: 'ready', schedule: { cron: 'cron(0 2 * * ? *)' } });
    expect(job.executionArn).toBeUndefined();
    const name = job.scheduleName ?? '';

    const created = await schedule(name);
    expect(created.State).toBe('ENABLED');
    expect(created.ScheduleExpression).toBe('cron(0 2 * * ? *)');
    expect(created.Target?.Arn).toBe(process.env[ENV.backupStateMachineArn]);
    expect(created.Target?.RoleArn).toBe(process.env[ENV.schedulerRoleArn]);
    expect(JSON.parse(created.Target?.Input ?? '{}')).toMatchObject({
      jobId: job.id,
      scenarios: [{ scenarioName: 'Nightly', timeoutSeconds: 30 }],
    });

    const held = await call('POST', `/jobs/${job.id}/hold`, { token: operator });
    expect(held.status).toBe(200);
    expect(held.body.status).toBe('hold');
    expect((await schedule(name)).State).toBe('DISABLED');
    expect((await call('POST', `/jobs/${job.id}/hold`, { token: operator })).status).toBe(409);
    const onHold = await call('GET', '/jobs?status=hold', { token: viewer });
    expect((onHold.body.jobs as JobBody[]).map((j) => j.id)).toContain(job.id);

    const released = await call('POST', `/jobs/${job.id}/release`, { token: operator });
    expect(released.status).toBe(200);
    expect(released.body.status).toBe('ready');
    const enabled = await schedule(name);
    expect(enabled.State).toBe('ENABLED');
    expect(enabled.ScheduleExpression).toBe('cron(0 2 * * ? *)');

    expect((await call('DELETE', `/jobs/${job.id}`, { token: operator })).status).toBe(204);
    await expect(schedule(name)).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
    expect((await call('GET', `/jobs/${job.id}`, { token: viewer })).status).toBe(404);
  });

  it('lists the ready queue newest first and accepts rate schedules', async () => {
    const first = (
      await submit({ kind: 'backup', scenarios: ['Nightly'], schedule: { rate: 'rate(6 hours)' } })
    ).body as unknown as JobBody;
    await sleep(5);
    const second = (
      await submit({ kind: 'backup', scenarios: ['Nightly'], schedule: { rate: 'rate(1 day)' } })
    ).body as unknown as JobBody;
    expect((await schedule(second.scheduleName ?? '')).ScheduleExpression).toBe('rate(1 day)');
    const ready = await call('GET', '/jobs?status=ready', { token: viewer });
    const ids = (ready.body.jobs as JobBody[]).map((j) => j.id);
    expect(ids.indexOf(second.id)).toBeLessThan(ids.indexOf(first.id));
    expect(ids.indexOf(first.id)).toBeGreaterThanOrEqual(0);
  });
});

describe('bad input', () => {
  it.each([
    [{ scenarios: ['Nightly'] }, 'kind'],
    [{ kind: 'backup', scenarios: [] }, 'scenarios'],
    [{ kind: 'backup', scenarios: ['No Such Scenario'] }, 'scenarios.0'],
    [{ kind: 'backup', scenarios: ['Nightly', 'nightly'] }, 'scenarios.1'],
    [{ kind: 'backup', scenarios: ['Nightly'], schedule: { cron: 'cron(0 2 * *)' } }, 'schedule.cron'],
    [{ kind: 'backup', scenarios: ['Nightly'], schedule: { rate: 'rate(1 hours)' } }, 'schedule.rate'],
    [{ kind: 'backup', scenarios: ['Nightly'], schedule: { every: 'day' } }, 'schedule'],
    [
      { kind: 'restore', scenarios: ['Nightly'], restore: { sessionId: '1', destination: 'rel' } },
      'restore.destination',
    ],
    [
      {
        kind: 'restore',
        scenarios: ['Nightly'],
        restore: { sessionId: '1', destination: '/r' },
        schedule: { rate: 'rate(1 day)' },
      },
      'schedule',
    ],
  ])('answers 400 naming the field for %j', async (body, field) => {
    const response = await submit(body);
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ code: 'BadRequest', field });
    expect(response.body.message).toContain(field);
  });

  it('answers 400 for an unknown status filter and 404 for an unknown job', async () => {
    const bad = await call('GET', '/jobs?status=sleeping', { token: viewer });
    expect(bad.status).toBe(400);
    expect(bad.body.field).toBe('status');
    expect((await call('GET', '/jobs/j-nope', { token: viewer })).status).toBe(404);
  });
});

describe('authentication, roles and host scopes', () => {
  const routes = [
    ['POST', '/jobs'],
    ['GET', '/jobs'],
    ['GET', '/jobs/j-x'],
    ['POST', '/jobs/j-x/hold'],
    ['POST', '/jobs/j-x/release'],
    ['POST', '/jobs/j-x/cancel'],
    ['DELETE', '/jobs/j-x'],
  ] as const;

  it.each(routes)('answers 401 to %s %s without a credential', async (method, path) => {
    const response = await call(method, path, method === 'GET' ? {} : { body: {} });
    expect(response.status).toBe(401);
  });

  it.each(routes.filter(([method]) => method !== 'GET'))(
    'answers 403 to a viewer on %s %s',
    async (method, path) => {
      const response = await call(method, path, {
        token: viewer,
        body: { kind: 'backup', scenarios: ['Nightly'] },
      });
      expect(response.status).toBe(403);
      expect(response.body.code).toBe('Forbidden');
    },
  );

  it('refuses a credential without the master with AE0459, and one without the replica naming it', async () => {
    const replicaOnly = await cloud.mintOperatorToken('operator', {
      name: 'replica-only',
      hosts: ['jb-replica'],
    });
    const noMaster = await submit({ kind: 'backup', scenarios: ['Nightly'] }, replicaOnly);
    expect(noMaster.status).toBe(403);
    expect(noMaster.body).toMatchObject({ code: 'AE0459', field: 'scenarios.0' });
    expect(noMaster.body.message).toContain('jb-master');

    const masterOnly = await cloud.mintOperatorToken('operator', {
      name: 'master-only',
      hosts: ['jb-master'],
    });
    const noReplica = await submit({ kind: 'backup', scenarios: ['Nightly'] }, masterOnly);
    expect(noReplica.status).toBe(403);
    expect(noReplica.body.code).toBe('Forbidden');
    expect(noReplica.body.message).toContain('replica jb-replica');

    const both = await cloud.mintOperatorToken('operator', {
      name: 'both',
      hosts: ['JB-MASTER', 'jb-replica'],
    });
    const allowed = await submit(
      { kind: 'backup', scenarios: ['Nightly'], schedule: { rate: 'rate(1 day)' } },
      both,
    );
    expect(allowed.status).toBe(201);
    expect(allowed.body.submittedBy).toBe('operator:both');

    const elsewhere = await submit(
      {
        kind: 'restore',
        scenarios: ['Nightly'],
        restore: { sessionId: '1', destination: '/r', host: 'jb-elsewhere' },
      },
      both,
    );
    expect(elsewhere.status).toBe(403);
    expect(elsewhere.body.message).toContain('jb-elsewhere');
  });
});
