/**
 * Runs the synthesized backup and restore state machines in the local Step
 * Functions service, every Lambda step bound to its real handler against
 * moto (DynamoDB, S3, SNS over HTTP, from startLocalCloud()). Only the
 * agents are fakes: the dispatch step is replaced by a function that checks
 * its payload (it must be what functions/steps/dispatch-command.ts accepts)
 * and answers with SendTaskSuccess / SendTaskFailure on the task token, or
 * never — a real agent process is the agent engineer's, and the command
 * channel over HTTP is covered by test/integration/*-workflow.test.ts.
 */
import { randomUUID } from 'node:crypto';
import { HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BackupArgs, RestoreArgs } from '../../core/agent-commands.js';
import { clients } from '../../core/aws-clients.js';
import { DispatchRequest } from '../../core/command.js';
import { ENV } from '../../core/environment.js';
import type { Job, RestoreTarget } from '../../core/job.js';
import type { ScenarioOptions } from '../../core/scenario.js';
import { keys } from '../../core/table.js';
import { listActivity } from '../../functions/repositories/activity.js';
import { nextSessionNumber } from '../../functions/repositories/counters.js';
import { writeNameIndex } from '../../functions/repositories/file-index.js';
import { enrollHost } from '../../functions/repositories/hosts.js';
import { getJob, putNewJob } from '../../functions/repositories/jobs.js';
import { acquireLock } from '../../functions/repositories/locks.js';
import { createScenario, findScenario } from '../../functions/repositories/scenarios.js';
import { commitSession, getSession, recordSession } from '../../functions/repositories/sessions.js';
import { db, tableName } from '../../functions/repositories/table.js';
import { type LocalCloud, startLocalCloud } from '../../infra/local/local-cloud.js';
import { LocalStepFunctions } from '../../infra/local/step-functions/local-step-functions.js';
import { backedUpSessions } from '../integration/workflow-agent.js';

let cloud: LocalCloud;
let dispatchArn: string;

beforeAll(async () => {
  cloud = await startLocalCloud();
  const dispatch = cloud.provisioned.functions.find(
    (fn) => fn.entry === 'functions/steps/dispatch-command.ts',
  );
  if (!dispatch) throw new Error('no dispatch function');
  dispatchArn = dispatch.arn;
});
afterAll(async () => {
  await cloud?.stop();
});

const machine = (part: string) => {
  const found = cloud.provisioned.stateMachines.find((m) => m.logicalId.includes(part));
  if (!found) throw new Error(`no ${part} state machine`);
  return found;
};

type AgentAnswer = { output?: unknown } | { fail: string; message: string } | 'never';
type Agent = (request: DispatchRequest) => AgentAnswer | Promise<AgentAnswer>;

/** Runs one execution in a local Step Functions service of its own; every dispatch is logged and answered by `agent`. */
async function run(part: 'Backup' | 'Restore', input: unknown, agent: Agent, timeoutMs = 30_000) {
  const log: DispatchRequest[] = [];
  const answers: Promise<void>[] = [];
  const sfn = new LocalStepFunctions({
    stateMachines: [machine(part)],
    invokeLambda: async (arn, payload) => {
      if (arn !== dispatchArn) return cloud.lambdas.invoke(arn, payload);
      const request = DispatchRequest.parse(payload);
      log.push(request);
      // The agent answers after the dispatch has returned, as a real one polling for commands does.
      const answered = (async () => {
        await new Promise((resolve) => setTimeout(resolve, 5));
        const outcome = await agent(request);
        if (outcome === 'never') return;
        if ('fail' in outcome) {
          await sfn.sendTaskFailure({
            taskToken: request.taskToken,
            error: outcome.fail,
            cause: outcome.message,
          });
        } else {
          await sfn.sendTaskSuccess({
            taskToken: request.taskToken,
            output: JSON.stringify(outcome.output ?? {}),
          });
        }
      })();
      answered.catch(() => undefined);
      answers.push(answered);
      return { commandId: `command-${log.length}` };
    },
  });
  try {
    const start = await sfn.startExecution({
      stateMachineArn: machine(part).arn,
      input: JSON.stringify(input),
    });
    const end = await sfn.waitForExecution(start.executionArn as string, timeoutMs);
    await Promise.allSettled(answers);
    return {
      end,
      output: end.output ? JSON.parse(end.output) : undefined,
      log,
      sfn,
      executionArn: start.executionArn,
    };
  } finally {
    await sfn.close();
  }
}

interface World {
  scenarioId: string;
  scenarioName: string;
  master: { id: string; name: string };
  replica: { id: string; name: string };
}

async function world(
  options: Partial<ScenarioOptions> = { mode: 'suspend' },
  state = 'replicating',
): Promise<World> {
  const tag = randomUUID().slice(0, 8);
  const master = (await enrollHost({ name: `m-${tag}`, addresses: ['127.0.0.1'] } as never, 'test')).host;
  const replica = (await enrollHost({ name: `r-${tag}`, addresses: ['127.0.0.1'] } as never, 'test')).host;
  const scenario = await createScenario({
    name: `files-${tag}`,
    type: 'fileserver',
    master: master.name,
    replicas: [{ host: replica.name, directory: '/replica' }],
    roots: ['/srv/share'],
    options: { agentTimeoutSeconds: 5, ...options } as ScenarioOptions,
  });
  // The scenario's state comes from agents' reports in production; here it is set directly.
  await db().send(
    new UpdateCommand({
      TableName: tableName(),
      Key: keys.scenario(scenario.id),
      UpdateExpression: 'SET #state = :state',
      ExpressionAttributeNames: { '#state': 'state' },
      ExpressionAttributeValues: { ':state': state },
    }),
  );
  return { scenarioId: scenario.id, scenarioName: scenario.name, master, replica };
}

async function backupJob(worlds: World[], scope?: string[]): Promise<Job> {
  const job: Job = {
    id: `j-${randomUUID()}`,
    kind: 'backup',
    scenarios: worlds.map((w) => ({
      scenarioId: w.scenarioId,
      scenarioName: w.scenarioName,
      status: 'active',
    })),
    status: 'active',
    createdAt: new Date().toISOString(),
    submittedBy: 'operator:test',
    ...(scope ? { submitterHostScope: scope } : {}),
  };
  return putNewJob(job);
}
const backupInput = (job: Job) => ({
  jobId: job.id,
  scenarios: job.scenarios.map(({ scenarioId, scenarioName }) => ({ scenarioId, scenarioName })),
});

/** What a master answers to send_checksums (the replica host name is not looked at by the workflow). */
const CHECKSUMS_SENT = { files: 3, skipped: 1, throughSeq: { 'replica-1': 42 } };

const SNAPSHOT = { output: { snapshotId: 'snap-1', takenAt: new Date().toISOString(), pauseMs: 3 } };

/** A healthy replica agent; `override` answers some kinds differently. */
const agentWith =
  (override: Partial<Record<string, AgentAnswer>> = {}): Agent =>
  async (request) => {
    const special = override[request.kind];
    if (special) return special;
    if (request.kind === 'snapshot') return SNAPSHOT;
    if (request.kind === 'backup')
      return { output: await backedUpSessions(request.args as unknown as BackupArgs) };
    if (request.kind === 'test') return { output: { passed: true, report: ['checksums match'] } };
    if (request.kind === 'send_checksums') return { output: CHECKSUMS_SENT };
    if (request.kind === 'release_snapshots') return { output: { released: [], kept: 1 } };
    return { output: {} };
  };

const kindsOf = (log: DispatchRequest[], scenarioId?: string) =>
  log
    .filter(
      (r) =>
        !scenarioId ||
        r.args.scenarioId === scenarioId ||
        (r.args.scenario as { id?: string })?.id === scenarioId,
    )
    .map((r) => r.kind);

async function lockHolder(scenarioId: string) {
  // Taking the lock for a probe job succeeds only when nobody holds it.
  const probe = `probe-${randomUUID()}`;
  return acquireLock(scenarioId, probe, 1).then(
    async () => {
      await db().send(
        new UpdateCommand({
          TableName: tableName(),
          Key: keys.scenarioLock(scenarioId),
          UpdateExpression: 'SET leaseUntil = :past',
          ExpressionAttributeValues: { ':past': 0 },
        }),
      );
      return 'free';
    },
    () => 'held',
  );
}

describe('backup workflow, run locally', () => {
  it('suspends, snapshots, resumes, backs up one session per root, commits, retains, releases and reports', async () => {
    const w = await world({ mode: 'suspend', snapshotRetention: 3 });
    const job = await backupJob([w]);
    const { end, output, log } = await run('Backup', backupInput(job), agentWith());
    expect(end.status).toBe('SUCCEEDED');
    expect(kindsOf(log)).toEqual(['suspend', 'snapshot', 'resume', 'backup', 'release_snapshots']);
    expect(log.every((r) => r.hostId === w.replica.id)).toBe(true);
    const backup = log.find((r) => r.kind === 'backup')?.args as unknown as BackupArgs;
    expect(backup.repository).toEqual({
      bucket: process.env[ENV.mediaBucket],
      prefix: `repos/${w.scenarioId}`,
      kmsKeyId: process.env[ENV.mediaKeyId],
      // The first backup of the scenario: the agent may create the repository.
      cataloged: false,
    });
    expect(backup.snapshotId).toBe('snap-1');
    expect(backup.sessions.map((s) => s.entity)).toEqual([
      { name: '/srv/share', kind: 'volume', paths: ['/srv/share'] },
    ]);
    expect(log.find((r) => r.kind === 'release_snapshots')?.args).toMatchObject({ keep: 3 });
    expect(log.find((r) => r.kind === 'suspend')?.timeoutSeconds).toBe(5);

    expect(output.result).toBe('completed');
    const [outcome] = output.scenarios;
    expect(outcome).toMatchObject({ scenarioId: w.scenarioId, status: 'completed', files: 2, bytes: 4096 });
    const session = await getSession(outcome.sessions[0]);
    expect(session).toMatchObject({
      committed: true,
      jobId: job.id,
      scenarioId: w.scenarioId,
      nameIndex: { names: 2 },
    });

    expect(await getJob(job.id)).toMatchObject({
      status: 'done',
      result: 'completed',
      scenarios: [{ status: 'done', result: 'completed' }],
    });
    const { entries } = await listActivity(job.id, 50);
    expect(entries[0]?.message).toContain('started');
    expect(entries.at(-1)?.message).toMatch(
      /ended completed: 1 scenario\(s\), 1 session\(s\).*2 files, 1 directories, 4096 bytes, average throughput/,
    );
    expect(entries.some((e) => e.sessionNumber === outcome.sessions[0])).toBe(true);
    expect(await lockHolder(w.scenarioId)).toBe('free');
  });

  it('AE0465: a stopped scenario is refused before any agent is asked', async () => {
    const w = await world({ mode: 'suspend' }, 'stopped');
    const { output, log } = await run('Backup', backupInput(await backupJob([w])), agentWith());
    expect(log).toEqual([]);
    expect(output).toMatchObject({
      result: 'failed',
      scenarios: [{ status: 'failed', error: { code: 'AE0465' } }],
    });
    expect(output.scenarios[0].error.message).toContain('state stopped');
  });

  it('AE0471: neither suspend nor assured recovery configured', async () => {
    const w = await world({});
    const { output, log } = await run('Backup', backupInput(await backupJob([w])), agentWith());
    expect(log).toEqual([]);
    expect(output.scenarios[0].error.code).toBe('AE0471');
  });

  it('AE0459: the submitter lacks authority on the replica', async () => {
    const w = await world();
    const job = await backupJob([w], [w.master.name]);
    const { output, log } = await run('Backup', backupInput(job), agentWith());
    expect(log).toEqual([]);
    expect(output.scenarios[0].error).toMatchObject({ code: 'AE0459' });
    expect(output.scenarios[0].error.message).toContain(w.replica.name);
    const { entries } = await listActivity(job.id, 50);
    expect(entries.some((e) => e.code === 'AE0459' && e.severity === 'error')).toBe(true);
  });

  it('E3370: a scenario that cannot be loaded', async () => {
    const w = await world();
    const job = await backupJob([{ ...w, scenarioId: `s-${randomUUID()}` }]);
    const { output } = await run('Backup', backupInput(job), agentWith());
    expect(output.scenarios[0].error.code).toBe('E3370');
  });

  it('AE0470: two jobs on one scenario, one gets the lock and the other is refused', async () => {
    const w = await world();
    const [first, second] = [await backupJob([w]), await backupJob([w])];
    let release!: () => void;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    // The first job's replica is slow to suspend, so the second job starts while it holds the lock.
    const slow = run('Backup', backupInput(first), async (request) => {
      if (request.kind === 'suspend') await held;
      return agentWith()(request);
    });
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const refused = await run('Backup', backupInput(second), agentWith());
    release();
    const done = await slow;
    expect(refused.output.scenarios[0].error.code).toBe('AE0470');
    expect(refused.output.scenarios[0].error.message).toContain(first.id);
    expect(refused.log).toEqual([]);
    expect(done.output.result).toBe('completed');
  });

  it('AE0457: a failed assured-recovery test resumes replication and releases the lock', async () => {
    const w = await world({ mode: 'assured_recovery' });
    const { output, log } = await run(
      'Backup',
      backupInput(await backupJob([w])),
      agentWith({ test: { output: { passed: false, report: ['checksum mismatch in /srv/share/a'] } } }),
    );
    expect(kindsOf(log)).toEqual(['send_checksums', 'test', 'resume']);
    expect(output.scenarios[0].error.code).toBe('AE0457');
    expect(output.scenarios[0].error.message).toContain('checksum mismatch');
    expect(await lockHolder(w.scenarioId)).toBe('free');
  });

  it('assured recovery stops before the test when the master cannot send its checksums', async () => {
    const w = await world({ mode: 'assured_recovery' });
    const { output, log } = await run(
      'Backup',
      backupInput(await backupJob([w])),
      agentWith({ send_checksums: { fail: 'AE0465', message: 'scenario files is synchronizing' } }),
    );
    expect(kindsOf(log)).toEqual(['send_checksums', 'resume']);
    expect(log[0]?.hostId).toBe(w.master.id);
    expect(output.scenarios[0].error.code).toBe('AE0465');
    expect(output.scenarios[0].error.message).toContain('synchronizing');
    expect(await lockHolder(w.scenarioId)).toBe('free');
  });

  it('assured recovery that passes marks the sessions application-consistent', async () => {
    const w = await world({ mode: 'assured_recovery' });
    const { output, log } = await run('Backup', backupInput(await backupJob([w])), agentWith());
    expect(kindsOf(log)).toEqual([
      'send_checksums',
      'test',
      'snapshot',
      'resume',
      'backup',
      'release_snapshots',
    ]);
    // The master sends its checksums; the replica's test gets the master's answer with its scenario.
    expect(log[0]?.hostId).toBe(w.master.id);
    expect(log.find((r) => r.kind === 'test')?.args).toMatchObject({
      scenario: { id: w.scenarioId },
      masterChecksums: CHECKSUMS_SENT,
    });
    expect((await getSession(output.scenarios[0].sessions[0]))?.applicationConsistent).toBe(true);
    // The AR report is written to the job's activity log.
    const { entries } = await listActivity(output.jobId, 50);
    expect(entries.map((entry) => entry.message)).toContain(
      `Scenario ${w.scenarioName}: assured recovery passed: checksums match`,
    );
  });

  it('AE0460: a failed snapshot still resumes replication and releases the lock', async () => {
    const w = await world();
    const { output, log } = await run(
      'Backup',
      backupInput(await backupJob([w])),
      agentWith({ snapshot: { fail: 'AE0460', message: 'no space for the difference area' } }),
    );
    expect(kindsOf(log)).toEqual(['suspend', 'snapshot', 'resume']);
    expect(output.scenarios[0].error).toEqual({
      code: 'AE0460',
      message: 'no space for the difference area',
    });
    expect(await lockHolder(w.scenarioId)).toBe('free');
  });

  it('AE0458: a failed backup after resume releases the lock; nothing is committed', async () => {
    const w = await world();
    const job = await backupJob([w]);
    const { output, log } = await run(
      'Backup',
      backupInput(job),
      agentWith({ backup: { fail: 'AE0458', message: 'upload failed' } }),
    );
    expect(kindsOf(log)).toEqual(['suspend', 'snapshot', 'resume', 'backup']);
    expect(output.scenarios[0]).toMatchObject({ status: 'failed', error: { code: 'AE0458' } });
    expect(await lockHolder(w.scenarioId)).toBe('free');
    expect(await getJob(job.id)).toMatchObject({
      result: 'failed',
      scenarios: [{ result: 'failed', error: { code: 'AE0458' } }],
    });
  });

  it('AE0461: a snapshot that cannot be released makes the scenario incomplete, not failed', async () => {
    const w = await world();
    const other = await world();
    const job = await backupJob([w, other]);
    const { output } = await run('Backup', backupInput(job), async (request) =>
      request.kind === 'release_snapshots' && request.args.scenarioId === w.scenarioId
        ? { fail: 'AE0472', message: 'snapshot busy' }
        : agentWith()(request),
    );
    expect(output.result).toBe('incomplete');
    const outcome = output.scenarios.find((o: { scenarioId: string }) => o.scenarioId === w.scenarioId);
    expect(outcome).toMatchObject({ status: 'incomplete', warnings: [{ code: 'AE0461' }] });
    expect(outcome.sessions).toHaveLength(1);
    const { entries } = await listActivity(job.id, 50);
    expect(entries.some((e) => e.code === 'AE0461' && e.severity === 'warning')).toBe(true);
  });

  it('AE0469: a silent replica times out within the scenario timeout, replication is resumed and the lock released', async () => {
    const w = await world();
    const started = Date.now();
    const { output, log } = await run(
      'Backup',
      backupInput(await backupJob([w])),
      agentWith({ snapshot: 'never' }),
    );
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(kindsOf(log)).toEqual(['suspend', 'snapshot', 'resume']);
    expect(output.scenarios[0].error.code).toBe('AE0469');
    expect(output.scenarios[0].error.message).toContain('timeout of 5 s');
    expect(await lockHolder(w.scenarioId)).toBe('free');
  });

  it('fails the execution with AE0468 when the job input is malformed', async () => {
    const { end } = await run('Backup', { jobId: 'j-x', scenarios: [] }, agentWith());
    expect(end).toMatchObject({ status: 'FAILED', error: 'AE0468' });
  });
});

/** A committed session of the world's scenario with a real name index, optionally with its packs in a Glacier tier. */
async function committedSession(w: World, files: string[], coldPacks = 0) {
  const number = await nextSessionNumber();
  const bucket = process.env[ENV.mediaBucket] as string;
  const media = { bucket, prefix: `repos/${w.scenarioId}`, tier: 'STANDARD' as const };
  const now = new Date().toISOString();
  await recordSession({
    number,
    jobId: 'j-backup',
    scenarioId: w.scenarioId,
    scenarioName: w.scenarioName,
    entity: '/srv/share',
    masterHost: w.master.name,
    masterPaths: ['/srv/share'],
    media,
    bytes: 10,
    files: files.length,
    directories: 1,
    startedAt: now,
    encryptionKeyId: 'k',
    applicationConsistent: false,
  });
  await commitSession(number, {
    endedAt: now,
    bytes: 10,
    files: files.length,
    directories: 1,
    nameIndex: await writeNameIndex(w.scenarioId, media, number, files),
  });
  for (let i = 0; i < coldPacks; i++) {
    await clients.s3().send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: `${media.prefix}/packs/p${i}`,
        Body: 'x',
        StorageClass: 'GLACIER',
      }),
    );
  }
  return number;
}

async function restoreJob(w: World, target: RestoreTarget): Promise<Job> {
  return putNewJob({
    id: `j-${randomUUID()}`,
    kind: 'restore',
    scenarios: [{ scenarioId: w.scenarioId, scenarioName: w.scenarioName, status: 'active' }],
    restore: target,
    status: 'active',
    createdAt: new Date().toISOString(),
    submittedBy: 'operator:test',
  });
}

const RESTORED = { output: { files: 2, bytes: 20, tmpFiles: [] } };
const FILES = ['/srv/share/a.txt', '/srv/share/docs/b.doc', '/srv/share/docs/c.txt'];

describe('restore workflow, run locally', () => {
  it('by session to an alternate folder: no stop, the destination agent restores the whole session', async () => {
    const w = await world();
    const number = await committedSession(w, FILES);
    const job = await restoreJob(w, {
      sessionId: String(number),
      destination: '/restore',
      host: w.replica.name,
    });
    const { end, log } = await run('Restore', { jobId: job.id }, () => RESTORED);
    expect(end, end.cause).toMatchObject({ status: 'SUCCEEDED' });
    expect(log.map((r) => r.kind)).toEqual(['restore']);
    const args = log[0]?.args as unknown as RestoreArgs;
    expect(log[0]?.hostId).toBe(w.replica.id);
    expect(args).toMatchObject({
      sessionNumber: number,
      directory: '/restore',
      scenarioId: w.scenarioId,
      repository: { prefix: `repos/${w.scenarioId}` },
    });
    expect(args.paths).toBeUndefined();
    expect(await getJob(job.id)).toMatchObject({ status: 'done', result: 'completed' });
    const { entries } = await listActivity(job.id, 20);
    expect(entries.at(-1)?.message).toContain('ended completed: 2 files, 20 bytes');
  });

  it('by tree to the original location: stops the scenario on the master, restores at /, restarts it', async () => {
    const w = await world();
    const number = await committedSession(w, FILES);
    const job = await restoreJob(w, {
      sessionId: String(number),
      to: 'original',
      paths: ['/srv/share/docs'],
    });
    const { end, log } = await run('Restore', { jobId: job.id }, () => RESTORED);
    expect(end.status).toBe('SUCCEEDED');
    expect(log.map((r) => [r.kind, r.hostId])).toEqual([
      ['stop', w.master.id],
      ['restore', w.master.id],
    ]);
    expect(log[1]?.args).toMatchObject({ directory: '/', paths: ['/srv/share/docs'] });
    // Restarted like the run route: the catalog says synchronizing.
    expect((await findScenario(w.scenarioId))?.state).toBe('synchronizing');
  });

  it('by query into the replica directory: the matching paths of the session', async () => {
    const w = await world();
    const number = await committedSession(w, FILES);
    const job = await restoreJob(w, { sessionId: String(number), to: 'replica', pattern: '*.txt' });
    const { end, log } = await run('Restore', { jobId: job.id }, () => RESTORED);
    expect(end.status).toBe('SUCCEEDED');
    const restore = log.find((r) => r.kind === 'restore');
    expect(restore?.hostId).toBe(w.replica.id);
    expect(restore?.args).toMatchObject({ directory: '/replica' });
    expect([...((restore?.args as { paths?: string[] } | undefined)?.paths ?? [])].sort()).toEqual([
      '/srv/share/a.txt',
      '/srv/share/docs/c.txt',
    ]);
  });

  it('E3371: a session the catalog does not know', async () => {
    const w = await world();
    const job = await restoreJob(w, { sessionId: '987654321', destination: '/restore' });
    const { end, log } = await run('Restore', { jobId: job.id }, () => RESTORED);
    expect(end).toMatchObject({ status: 'FAILED', error: 'E3371' });
    expect(log).toEqual([]);
    expect(await getJob(job.id)).toMatchObject({
      result: 'failed',
      scenarios: [{ error: { code: 'E3371' } }],
    });
  });

  it('AE0464: the scenario cannot be stopped, so nothing is restored', async () => {
    const w = await world();
    const number = await committedSession(w, FILES);
    const job = await restoreJob(w, { sessionId: String(number), to: 'original' });
    const { end, log } = await run('Restore', { jobId: job.id }, (r) =>
      r.kind === 'stop' ? { fail: 'AE0463', message: 'engine unreachable' } : RESTORED,
    );
    expect(end).toMatchObject({ status: 'FAILED', error: 'AE0464' });
    expect(log.map((r) => r.kind)).toEqual(['stop']);
  });

  it('AE0464 with continueRestoreIfCannotStop: restores anyway and logs the warning', async () => {
    const w = await world();
    const number = await committedSession(w, FILES);
    const job = await restoreJob(w, {
      sessionId: String(number),
      to: 'original',
      continueRestoreIfCannotStop: true,
    });
    const { end, log } = await run('Restore', { jobId: job.id }, (r) =>
      r.kind === 'stop' ? { fail: 'AE0463', message: 'engine unreachable' } : RESTORED,
    );
    expect(end.status).toBe('SUCCEEDED');
    expect(log.map((r) => r.kind)).toEqual(['stop', 'restore']);
    const { entries } = await listActivity(job.id, 20);
    expect(entries.some((e) => e.code === 'AE0464' && e.severity === 'warning')).toBe(true);
  });

  it('Glacier: requests retrieval with the job tier, waits until restored, then restores', async () => {
    const w = await world();
    const number = await committedSession(w, FILES, 2);
    const job = await restoreJob(w, { sessionId: String(number), destination: '/restore', tier: 'bulk' });
    const started = Date.now();
    const run1 = await run('Restore', { jobId: job.id, retrievalPollSeconds: 1 }, () => RESTORED);
    expect(run1.end.status).toBe('SUCCEEDED');
    // RestoreObject reached S3 for each cold pack, and the workflow waited at least one poll before restoring.
    const bucket = process.env[ENV.mediaBucket] as string;
    for (const key of [`repos/${w.scenarioId}/packs/p0`, `repos/${w.scenarioId}/packs/p1`]) {
      const head = await clients.s3().send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
      expect(head.Restore).toMatch(/ongoing-request="false"/);
    }
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
    expect(run1.log.map((r) => r.kind)).toEqual(['restore']);
  });
});
