/**
 * A whole backup job end to end on the local cloud: submitted over the API,
 * run by the synthesized state machine in the local Step Functions service,
 * its commands fetched by an agent loop over real HTTP (GET /agent/commands,
 * POST .../result), sessions committed to moto DynamoDB with name indexes in
 * moto S3, the activity log read back over the API and the alert received by
 * an HTTP subscriber of moto SNS. The agent loop stands in for the agent
 * program (built separately against core/agent-commands.ts): it answers
 * instantly with outputs of the contract's shape and writes the name index
 * a real agent writes; it moves no file data.
 */
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SubscribeCommand } from '@aws-sdk/client-sns';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BackedUpSession, BackupArgs } from '../../core/agent-commands.js';
import { clients } from '../../core/aws-clients.js';
import { ENV } from '../../core/environment.js';
import { writeNameIndex } from '../../functions/repositories/file-index.js';
import { type LocalCloud, startLocalCloud } from '../../infra/local/local-cloud.js';
import { apiClient } from './api-client.js';

let cloud: LocalCloud;
let call: ReturnType<typeof apiClient>;
let operator: string;
const agents: Record<string, string> = {};
const alerts: Array<Record<string, unknown>> = [];
let closeSubscriber: () => void;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

beforeAll(async () => {
  cloud = await startLocalCloud();
  call = apiClient(cloud.apiUrl);
  operator = await cloud.mintOperatorToken('operator');
  for (const [name, port] of [
    ['bw-master', 49101],
    ['bw-replica', 49102],
  ] as const) {
    const enrolled = await call('POST', '/hosts', { token: operator, body: { name } });
    agents[name] = enrolled.body.agentToken as string;
    await call('POST', '/agent/heartbeat', {
      token: agents[name],
      body: { addresses: ['127.0.0.1'], dataPort: port },
    });
  }
  // Every alert moto SNS delivers lands here.
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      response.end();
      alerts.push(JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>);
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  closeSubscriber = () => server.close();
  await clients.sns().send(
    new SubscribeCommand({
      TopicArn: process.env[ENV.alertsTopicArn],
      Protocol: 'http',
      Endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}/alerts`,
    }),
  );
});
afterAll(async () => {
  closeSubscriber?.();
  await cloud?.stop();
});

/** A replicating scenario, brought there the way agents do (run, then the master's status report). */
async function replicatingScenario(name: string) {
  const created = await call('POST', '/scenarios', {
    token: operator,
    body: {
      name,
      type: 'fileserver',
      master: 'bw-master',
      replicas: [{ host: 'bw-replica', directory: '/var/replica' }],
      roots: ['/srv/data', '/srv/home'],
      options: { mode: 'suspend', agentTimeoutSeconds: 10, snapshotRetention: 2 },
    },
  });
  const id = created.body.id as string;
  expect((await call('POST', `/scenarios/${id}/run`, { token: operator })).status).toBe(202);
  const statistics = {
    scenarioId: id,
    state: 'replicating',
    roots: [],
    spoolBytes: 0,
    spoolThresholdPercent: 0,
  };
  await call('POST', `/agent/scenarios/${id}/status`, { token: agents['bw-master'], body: { statistics } });
  return id;
}

type Answer = { status: 'succeeded'; output?: unknown } | { status: 'failed'; code: string; message: string };

async function backedUp(args: BackupArgs): Promise<{ sessions: BackedUpSession[] }> {
  const sessions: BackedUpSession[] = [];
  for (const planned of args.sessions) {
    const media = {
      bucket: args.repository.bucket,
      prefix: args.repository.prefix,
      tier: 'STANDARD' as const,
    };
    const root = planned.entity.paths[0] as string;
    const now = new Date().toISOString();
    sessions.push({
      number: planned.number,
      entity: planned.entity.name,
      masterHost: args.scenario.master,
      masterPaths: planned.entity.paths,
      media,
      bytes: 4096,
      storedBytes: 2048,
      files: 2,
      directories: 1,
      startedAt: now,
      endedAt: now,
      encryptionKeyId: 'wrapped-key-1',
      nameIndex: await writeNameIndex(
        media,
        planned.number,
        [`${root}/a.txt`, `${root}/sub/b.txt`],
        [`${root}/sub`],
      ),
    });
  }
  return { sessions };
}

/** The agent loop: polls as `host` until `done()`, answering each command; returns the kinds seen. */
async function serve(
  host: string,
  done: () => Promise<boolean>,
  answer?: (kind: string) => Answer | 'never',
) {
  const kinds: string[] = [];
  while (!(await done())) {
    const poll = await call('GET', '/agent/commands?waitSeconds=1', { token: agents[host] });
    if (poll.status !== 200) continue;
    const kind = poll.body.kind as string;
    // The run route's own start commands: no workflow waits on them.
    if (kind !== 'start') kinds.push(kind);
    const args = poll.body.args as Record<string, unknown>;
    let result: Answer | 'never' = answer?.(kind) ?? { status: 'succeeded' };
    if (result !== 'never' && result.status === 'succeeded' && result.output === undefined) {
      if (kind === 'snapshot')
        result = {
          status: 'succeeded',
          output: { snapshotId: 'snap-7', takenAt: new Date().toISOString(), pauseMs: 2 },
        };
      if (kind === 'backup')
        result = { status: 'succeeded', output: await backedUp(args as unknown as BackupArgs) };
      if (kind === 'release_snapshots')
        result = { status: 'succeeded', output: { released: ['snap-1'], kept: 2 } };
    }
    if (result === 'never') continue;
    const posted = await call('POST', `/agent/commands/${poll.body.id}/result`, {
      token: agents[host],
      body: result,
    });
    expect(posted.status).toBe(200);
  }
  return kinds;
}

const jobOf = async (id: string) => (await call('GET', `/jobs/${id}`, { token: operator })).body;
const jobDone = (id: string) => async () => (await jobOf(id)).status === 'done';

describe('backup job end to end', () => {
  it('submit → suspend, snapshot, resume, backup, commit, retention → sessions, activity, result and alert', async () => {
    const scenarioId = await replicatingScenario('bw-files');
    const submitted = await call('POST', '/jobs', {
      token: operator,
      body: { kind: 'backup', scenarios: ['bw-files'] },
    });
    expect(submitted.status).toBe(201);
    const jobId = submitted.body.id as string;

    const kinds = await serve('bw-replica', jobDone(jobId));
    expect(kinds).toEqual(['suspend', 'snapshot', 'resume', 'backup', 'release_snapshots']);
    const job = await jobOf(jobId);
    expect(job).toMatchObject({
      status: 'done',
      result: 'completed',
      scenarios: [{ scenarioId, status: 'done', result: 'completed' }],
    });

    // Two roots, no discovered entities: one volume session per root, committed and listed.
    const sessions = await call('GET', `/sessions?scenario=${scenarioId}`, { token: operator });
    const listed = sessions.body.sessions as Array<{
      number: number;
      jobId: string;
      masterPaths: string[];
      committed: boolean;
    }>;
    expect(listed.map((s) => s.masterPaths[0]).sort()).toEqual(['/srv/data', '/srv/home']);
    expect(listed.every((s) => s.jobId === jobId && s.committed)).toBe(true);
    const query = await call('GET', `/restore/query?pattern=b.txt&scenario=${scenarioId}`, {
      token: operator,
    });
    expect(query.body.total).toBe(2);

    const activity = await call('GET', `/jobs/${jobId}/activity`, { token: operator });
    const messages = (activity.body.entries as Array<{ message: string }>).map((e) => e.message);
    expect(messages[0]).toContain(`Backup job ${jobId} started`);
    expect(messages.join('\n')).toMatch(
      /ended completed: 1 scenario\(s\), 2 session\(s\).*4 files, 2 directories, 8192 bytes, average throughput/,
    );

    for (let i = 0; i < 50 && !alerts.some((a) => String(a.Message).includes(jobId)); i++) await sleep(100);
    const alert = alerts.find((a) => String(a.Message).includes(jobId));
    expect(JSON.parse(String(alert?.Message))).toMatchObject({ kind: 'job_completed', jobId });
  });

  it('a failed snapshot: replication resumed, AE0460 in the job result and the activity log, job_failed alert', async () => {
    await replicatingScenario('bw-nospace');
    const submitted = await call('POST', '/jobs', {
      token: operator,
      body: { kind: 'backup', scenarios: ['bw-nospace'] },
    });
    const jobId = submitted.body.id as string;
    const kinds = await serve('bw-replica', jobDone(jobId), (kind) =>
      kind === 'snapshot'
        ? { status: 'failed', code: 'AE0460', message: 'no space for the difference area' }
        : { status: 'succeeded' },
    );
    expect(kinds).toEqual(['suspend', 'snapshot', 'resume']);
    expect(await jobOf(jobId)).toMatchObject({
      result: 'failed',
      scenarios: [{ result: 'failed', error: { code: 'AE0460' } }],
    });
    const activity = await call('GET', `/jobs/${jobId}/activity`, { token: operator });
    expect(activity.body.entries).toEqual(
      expect.arrayContaining([expect.objectContaining({ code: 'AE0460', severity: 'error' })]),
    );
    for (let i = 0; i < 50 && !alerts.some((a) => String(a.Message).includes(jobId)); i++) await sleep(100);
    expect(JSON.parse(String(alerts.find((a) => String(a.Message).includes(jobId))?.Message))).toMatchObject({
      kind: 'job_failed',
    });
  });

  it('cancel: the execution stops, the lock is released and the replica is told to resume', async () => {
    await replicatingScenario('bw-cancel');
    const submitted = await call('POST', '/jobs', {
      token: operator,
      body: { kind: 'backup', scenarios: ['bw-cancel'] },
    });
    const jobId = submitted.body.id as string;
    // The replica suspends, then never answers the snapshot: the job hangs there holding the lock.
    let snapshotSeen = false;
    await serve(
      'bw-replica',
      async () => snapshotSeen,
      (kind) => {
        if (kind === 'snapshot') {
          snapshotSeen = true;
          return 'never';
        }
        return { status: 'succeeded' };
      },
    );
    const canceled = await call('POST', `/jobs/${jobId}/cancel`, { token: operator });
    expect(canceled.body).toMatchObject({ status: 'done', result: 'canceled' });
    const resume = await call('GET', '/agent/commands?waitSeconds=2', { token: agents['bw-replica'] });
    expect(resume.body).toMatchObject({ kind: 'resume', args: { scenarioName: 'bw-cancel' } });
    await call('POST', `/agent/commands/${resume.body.id}/result`, {
      token: agents['bw-replica'],
      body: { status: 'succeeded' },
    });
    const activity = await call('GET', `/jobs/${jobId}/activity`, { token: operator });
    expect(JSON.stringify(activity.body.entries)).toContain(
      'canceled by an operator; replication resumed for bw-cancel',
    );

    // The lock is free: the next job on the scenario runs to completion.
    const next = await call('POST', '/jobs', {
      token: operator,
      body: { kind: 'backup', scenarios: ['bw-cancel'] },
    });
    await serve('bw-replica', jobDone(next.body.id as string));
    expect(await jobOf(next.body.id as string)).toMatchObject({ result: 'completed' });
  });
});
