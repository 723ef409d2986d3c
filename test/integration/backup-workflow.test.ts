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
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BackedUpSession, type BackupArgs, MediaCredentials } from '../../core/agent-commands.js';
import { getStoredCommand, hostCommandsIn } from '../../functions/repositories/commands.js';
import { until } from '../support/until.js';
import { backedUpSessions, startWorkflowWorld, type WorkflowWorld } from './workflow-agent.js';

let world: WorkflowWorld;

beforeAll(async () => {
  world = await startWorkflowWorld('bw', [49101, 49102]);
});
afterAll(async () => {
  await world?.stop();
});

describe('backup job end to end', () => {
  it('submit → suspend, snapshot, resume, backup, commit, retention → sessions, activity, result and alert', async () => {
    const scenarioId = await world.replicatingScenario('bw-files');
    const submitted = await world.call('POST', '/jobs', {
      token: world.operator,
      body: { kind: 'backup', scenarios: ['bw-files'] },
    });
    expect(submitted.status).toBe(201);
    const jobId = submitted.body.id as string;

    const kinds = await world.serve(world.replica, world.jobDone(jobId));
    expect(kinds).toEqual(['suspend', 'snapshot', 'resume', 'backup', 'release_snapshots']);
    const job = await world.jobOf(jobId);
    expect(job).toMatchObject({
      status: 'done',
      result: 'completed',
      scenarios: [{ scenarioId, status: 'done', result: 'completed' }],
    });

    // Two roots, no discovered entities: one volume session per root, committed and listed.
    const sessions = await world.call('GET', `/sessions?scenario=${scenarioId}`, { token: world.operator });
    const listed = sessions.body.sessions as Array<{
      number: number;
      jobId: string;
      masterPaths: string[];
      committed: boolean;
    }>;
    expect(listed.map((s) => s.masterPaths[0]).sort()).toEqual(['/srv/data', '/srv/home']);
    expect(listed.every((s) => s.jobId === jobId && s.committed)).toBe(true);
    const query = await world.call('GET', `/restore/query?pattern=b.txt&scenario=${scenarioId}`, {
      token: world.operator,
    });
    expect(query.body.total).toBe(2);

    const activity = await world.call('GET', `/jobs/${jobId}/activity`, { token: world.operator });
    const messages = (activity.body.entries as Array<{ message: string }>).map((e) => e.message);
    expect(messages[0]).toContain(`Backup job ${jobId} started`);
    expect(messages.join('\n')).toMatch(
      /ended completed: 1 scenario\(s\), 2 session\(s\).*4 files, 2 directories, 8192 bytes, average throughput/,
    );

    expect(await world.alertOf(jobId)).toMatchObject({ kind: 'job_completed', jobId });
  });

  it('a failed snapshot: replication resumed, AE0460 in the job result and the activity log, job_failed alert', async () => {
    await world.replicatingScenario('bw-nospace');
    const submitted = await world.call('POST', '/jobs', {
      token: world.operator,
      body: { kind: 'backup', scenarios: ['bw-nospace'] },
    });
    const jobId = submitted.body.id as string;
    const kinds = await world.serve(world.replica, world.jobDone(jobId), (kind) =>
      kind === 'snapshot'
        ? { status: 'failed', code: 'AE0460', message: 'no space for the difference area' }
        : { status: 'succeeded' },
    );
    expect(kinds).toEqual(['suspend', 'snapshot', 'resume']);
    expect(await world.jobOf(jobId)).toMatchObject({
      result: 'failed',
      scenarios: [{ result: 'failed', error: { code: 'AE0460' } }],
    });
    const activity = await world.call('GET', `/jobs/${jobId}/activity`, { token: world.operator });
    expect(activity.body.entries).toEqual(
      expect.arrayContaining([expect.objectContaining({ code: 'AE0460', severity: 'error' })]),
    );
    expect(await world.alertOf(jobId)).toMatchObject({
      kind: 'job_failed',
    });
  });

  it.each([
    [
      'a session number the job did not plan',
      (s: BackedUpSession) => ({ ...s, number: s.number + 1000 }),
      'which this job did not plan',
    ],
    [
      "another scenario's repository",
      (s: BackedUpSession) => ({ ...s, media: { ...s.media, prefix: 'repos/s-someone-else' } }),
      '/repos/s-someone-else, not s3://',
    ],
    [
      'another master',
      (s: BackedUpSession) => ({ ...s, masterHost: 'bw-impostor' }),
      'from master bw-impostor',
    ],
  ])('commits nothing when the replica reports %s (AE0458)', async (what, tamper, why) => {
    const name = `bw-tamper-${what.length}`;
    const scenarioId = await world.replicatingScenario(name);
    const submitted = await world.call('POST', '/jobs', {
      token: world.operator,
      body: { kind: 'backup', scenarios: [name] },
    });
    const jobId = submitted.body.id as string;
    await world.serve(world.replica, world.jobDone(jobId), async (kind, args) => {
      if (kind !== 'backup') return undefined;
      const { sessions } = await backedUpSessions(args as unknown as BackupArgs);
      return { status: 'succeeded', output: { sessions: sessions.map((s, i) => (i === 0 ? tamper(s) : s)) } };
    });
    const job = await world.jobOf(jobId);
    expect(job).toMatchObject({ result: 'failed', scenarios: [{ error: { code: 'AE0458' } }] });
    expect(JSON.stringify(job.scenarios)).toContain(why);
    const sessions = await world.call('GET', `/sessions?scenario=${scenarioId}`, { token: world.operator });
    expect(sessions.body.sessions).toEqual([]);
  });

  it('cancel: the execution stops, the lock is released and the replica is told to resume', async () => {
    await world.replicatingScenario('bw-cancel');
    const submitted = await world.call('POST', '/jobs', {
      token: world.operator,
      body: { kind: 'backup', scenarios: ['bw-cancel'] },
    });
    const jobId = submitted.body.id as string;
    // The replica suspends, then never answers the snapshot: the job hangs there holding the lock.
    let snapshotSeen = false;
    await world.serve(
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
    const canceled = await world.call('POST', `/jobs/${jobId}/cancel`, { token: world.operator });
    expect(canceled.body).toMatchObject({ status: 'done', result: 'canceled' });
    const resume = await world.call('GET', `/agent/commands?waitSeconds=2${world.running(world.replica)}`, {
      token: world.agents[world.replica],
    });
    expect(resume.body).toMatchObject({ kind: 'resume', args: { scenarioName: 'bw-cancel' } });
    await world.call('POST', `/agent/commands/${resume.body.id}/result`, {
      token: world.agents[world.replica],
      body: { status: 'succeeded' },
    });
    const activity = await world.call('GET', `/jobs/${jobId}/activity`, { token: world.operator });
    expect(JSON.stringify(activity.body.entries)).toContain(
      'canceled by an operator; replication resumed for bw-cancel',
    );

    // The lock is free: the next job on the scenario runs to completion.
    const next = await world.call('POST', '/jobs', {
      token: world.operator,
      body: { kind: 'backup', scenarios: ['bw-cancel'] },
    });
    await world.serve(world.replica, world.jobDone(next.body.id as string));
    expect(await world.jobOf(next.body.id as string)).toMatchObject({ result: 'completed' });
  });
});

describe('a canceled job', () => {
  it('retires its queued command: the agent is never handed the snapshot of a job that was canceled', async () => {
    await world.replicatingScenario('bw-cancel-queued');
    const submitted = await world.call('POST', '/jobs', {
      token: world.operator,
      body: { kind: 'backup', scenarios: ['bw-cancel-queued'] },
    });
    const jobId = submitted.body.id as string;
    // The replica answers the suspend, then stops polling: the snapshot waits in its queue.
    let suspended = false;
    await world.serve(
      world.replica,
      async () => suspended,
      (kind) => {
        if (kind === 'suspend') suspended = true;
        return { status: 'succeeded' };
      },
    );
    const hosts = (await world.call('GET', '/hosts', { token: world.operator })).body.hosts as Array<{
      id: string;
      name: string;
    }>;
    const replicaId = hosts.find((h) => h.name === world.replica)?.id ?? '';
    const queued = await until('the snapshot command to be queued', 30, async () => {
      const pending = await hostCommandsIn(replicaId, 'pending');
      return pending.find((c) => c.kind === 'snapshot');
    });

    const canceled = await world.call('POST', `/jobs/${jobId}/cancel`, { token: world.operator });
    expect(canceled.body).toMatchObject({ status: 'done', result: 'canceled' });
    // The next poll passes over the snapshot (older) and brings the resume the cancel sent.
    const next = await world.call('GET', `/agent/commands?waitSeconds=2${world.running(world.replica)}`, {
      token: world.agents[world.replica],
    });
    expect(next.body).toMatchObject({ kind: 'resume', args: { scenarioName: 'bw-cancel-queued' } });
    expect(await getStoredCommand(queued.id)).toMatchObject({
      status: 'failed',
      error: { code: 'AE0469', message: expect.stringContaining('stopped waiting') },
    });
    await world.call('POST', `/agent/commands/${next.body.id}/result`, {
      token: world.agents[world.replica],
      body: { status: 'succeeded' },
    });
  });
});

describe('POST /agent/credentials', () => {
  it('gives a replica short-lived STS credentials for its scenario repository (moto STS), and a stranger 403', async () => {
    const scenarioId = await world.replicatingScenario('bw-creds');
    const granted = await world.call('POST', '/agent/credentials', {
      token: world.agents[world.replica],
      body: { scenarioId, purpose: 'backup' },
    });
    expect(granted.status).toBe(200);
    expect(granted.body).toMatchObject({
      accessKeyId: expect.stringMatching(/\S/),
      secretAccessKey: expect.stringMatching(/\S/),
      sessionToken: expect.stringMatching(/\S/),
      region: 'us-east-1',
      prefix: `repos/${scenarioId}`,
    });
    expect(MediaCredentials.safeParse(granted.body).success).toBe(true);
    const minutesLeft = (Date.parse(String(granted.body.expiration)) - Date.now()) / 60_000;
    expect(minutesLeft).toBeGreaterThan(10);
    expect(minutesLeft).toBeLessThanOrEqual(15);

    const stranger = await world.call('POST', '/hosts', {
      token: world.admin,
      body: { name: 'bw-stranger' },
    });
    const refused = await world.call('POST', '/agent/credentials', {
      token: stranger.body.agentToken as string,
      body: { scenarioId, purpose: 'backup' },
    });
    expect(refused.status).toBe(403);
    expect(refused.body).toMatchObject({ code: 'Forbidden', field: 'scenarioId' });
    const operatorCall = await world.call('POST', '/agent/credentials', {
      token: world.operator,
      body: { scenarioId, purpose: 'backup' },
    });
    expect(operatorCall.status).toBe(403);
  });

  it('gives the master no media at all, and restore credentials only for a restore job', async () => {
    const scenarioId = await world.replicatingScenario('bw-creds-purpose');
    const masterBackup = await world.call('POST', '/agent/credentials', {
      token: world.agents[world.master],
      body: { scenarioId, purpose: 'backup' },
    });
    expect(masterBackup.status).toBe(403);
    expect(masterBackup.body.message).toContain('only a replica backs it up');
    for (const token of [world.agents[world.master], world.agents[world.replica]]) {
      const noJob = await world.call('POST', '/agent/credentials', {
        token,
        body: { scenarioId, purpose: 'restore' },
      });
      expect(noJob.status).toBe(403);
      expect(noJob.body).toMatchObject({ code: 'Forbidden', field: 'jobId' });
      const notItsJob = await world.call('POST', '/agent/credentials', {
        token,
        body: { scenarioId, purpose: 'restore', jobId: 'job-that-is-no-restore' },
      });
      expect(notItsJob.status).toBe(403);
      expect(notItsJob.body.message).toContain('is no destination of an active restore job');
    }
    const oldPurpose = await world.call('POST', '/agent/credentials', {
      token: world.agents[world.replica],
      body: { scenarioId, purpose: 'test' },
    });
    expect(oldPurpose.status).toBe(400);
    expect(oldPurpose.body).toMatchObject({ code: 'BadRequest', field: 'purpose' });
  });
});
