/**
 * Restore jobs end to end on the local cloud: a backup job first commits
 * real catalog sessions (name indexes in moto S3), then restore jobs are
 * submitted over the API and run by the synthesized restore state machine,
 * with an agent loop over real HTTP answering the stop and restore commands
 * (it stands in for the agent program, built against core/agent-commands.ts,
 * and writes no files). Checks the arguments the destination agent gets, the
 * scenario restart, the job result, the activity log and the alert.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acquireLock, releaseLock } from '../../functions/repositories/locks.js';
import { startWorkflowWorld, type WorkflowWorld } from './workflow-agent.js';

let world: WorkflowWorld;

beforeAll(async () => {
  world = await startWorkflowWorld('rw', [49201, 49202]);
});
afterAll(async () => {
  await world?.stop();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Serves `host`'s commands until the job is done, the restore succeeding with one 5-byte file; the kinds run and the restore's arguments. */
async function restoredBy(host: string, jobId: string) {
  let restoreArgs: Record<string, unknown> | undefined;
  const kinds = await world.serve(
    host,
    world.jobDone(jobId),
    (kind) =>
      kind === 'restore' ? { status: 'succeeded', output: { files: 1, bytes: 5, tmpFiles: [] } } : undefined,
    (args) => {
      restoreArgs = args;
    },
  );
  return { kinds, restoreArgs };
}

describe('restore job end to end', () => {
  let scenarioId: string;
  let sessions: Array<{ number: number; masterPaths: string[] }>;

  beforeAll(async () => {
    scenarioId = await world.replicatingScenario('rw-files');
    const backup = await world.call('POST', '/jobs', {
      token: world.operator,
      body: { kind: 'backup', scenarios: ['rw-files'] },
    });
    await world.serve(world.replica, world.jobDone(backup.body.id as string));
    const listed = await world.call('GET', `/sessions?scenario=${scenarioId}`, { token: world.operator });
    sessions = listed.body.sessions as typeof sessions;
    expect(sessions).toHaveLength(2);
  });

  it('by query to an alternate folder on the replica host: the matching paths, no stop', async () => {
    const session = sessions.find((s) => s.masterPaths[0] === '/srv/data') as { number: number };
    const submitted = await world.call('POST', '/jobs', {
      token: world.operator,
      body: {
        kind: 'restore',
        scenarios: ['rw-files'],
        restore: {
          sessionId: String(session.number),
          pattern: 'b.txt',
          host: 'rw-replica',
          destination: '/restore/here',
        },
      },
    });
    expect(submitted.status).toBe(201);
    const jobId = submitted.body.id as string;
    const { kinds, restoreArgs } = await restoredBy('rw-replica', jobId);
    expect(kinds).toEqual(['restore']);
    expect(restoreArgs).toMatchObject({
      jobId,
      scenarioId,
      sessionNumber: session.number,
      paths: ['/srv/data/sub/b.txt'],
      directory: '/restore/here',
      repository: { prefix: `repos/${scenarioId}` },
    });
    expect(await world.jobOf(jobId)).toMatchObject({ status: 'done', result: 'completed' });
    const activity = await world.call('GET', `/jobs/${jobId}/activity`, { token: world.operator });
    expect(JSON.stringify(activity.body.entries)).toContain('ended completed: 1 files, 5 bytes');
    expect(await world.alertOf(jobId)).toMatchObject({
      kind: 'job_completed',
    });
  });

  it('by tree to the original location: stop on the master, restore at /, then the scenario is started again', async () => {
    const session = sessions.find((s) => s.masterPaths[0] === '/srv/home') as { number: number };
    const submitted = await world.call('POST', '/jobs', {
      token: world.operator,
      body: {
        kind: 'restore',
        scenarios: ['rw-files'],
        restore: { sessionId: String(session.number), to: 'original', paths: ['/srv/home/sub'] },
      },
    });
    const jobId = submitted.body.id as string;
    const { kinds, restoreArgs } = await restoredBy('rw-master', jobId);
    expect(kinds).toEqual(['stop', 'restore']);
    expect(restoreArgs).toMatchObject({ directory: '/', paths: ['/srv/home/sub'] });
    expect(await world.jobOf(jobId)).toMatchObject({ result: 'completed' });
    // Restarted the way the run route does: synchronizing, with a start command for each host.
    const scenario = await world.call('GET', `/scenarios/${scenarioId}`, { token: world.operator });
    expect(scenario.body.state).toBe('synchronizing');
    const start = await world.call('GET', '/agent/commands?waitSeconds=1', {
      token: world.agents[world.replica],
    });
    expect(start.body.kind).toBe('start');
  });

  it('AE0470: a restore while another job holds the scenario lock fails naming it; a restore that runs takes and frees the lock', async () => {
    await acquireLock(scenarioId, 'job-backup-holding', 600, 'rw-files');
    const body = {
      kind: 'restore',
      scenarios: ['rw-files'],
      restore: { sessionId: String(sessions[0]?.number), host: 'rw-replica', destination: '/restore/locked' },
    };
    const blocked = (await world.call('POST', '/jobs', { token: world.operator, body })).body.id as string;
    const { kinds } = await restoredBy('rw-replica', blocked);
    expect(kinds).toEqual([]);
    const job = (await world.jobOf(blocked)) as {
      result: string;
      scenarios: Array<{ error: { code: string; message: string } }>;
    };
    expect(job.result).toBe('failed');
    expect(job.scenarios[0]?.error.code).toBe('AE0470');
    expect(job.scenarios[0]?.error.message).toContain('job-backup-holding');
    await releaseLock(scenarioId, 'job-backup-holding');

    // While this restore runs it holds the lock: a backup job of the scenario would be refused.
    const jobId = (await world.call('POST', '/jobs', { token: world.operator, body })).body.id as string;
    let heldDuringRestore: unknown;
    await world.serve('rw-replica', world.jobDone(jobId), async (kind) => {
      if (kind !== 'restore') return undefined;
      heldDuringRestore = await acquireLock(scenarioId, 'job-backup-late', 60).catch((e: Error) => e.name);
      return { status: 'succeeded', output: { files: 1, bytes: 5, tmpFiles: [] } };
    });
    expect(heldDuringRestore).toBe('AE0470');
    expect(await world.jobOf(jobId)).toMatchObject({ result: 'completed' });
    // Released at the end: the next job takes it.
    await acquireLock(scenarioId, 'job-after', 60);
    await releaseLock(scenarioId, 'job-after');
  });

  it('E3371: a session number the catalog does not hold fails the job with its code', async () => {
    const submitted = await world.call('POST', '/jobs', {
      token: world.operator,
      body: {
        kind: 'restore',
        scenarios: ['rw-files'],
        restore: { sessionId: '99999999', destination: '/restore' },
      },
    });
    const jobId = submitted.body.id as string;
    for (let i = 0; i < 100 && !(await world.jobDone(jobId)()); i++) await sleep(100);
    expect(await world.jobOf(jobId)).toMatchObject({
      result: 'failed',
      scenarios: [{ error: { code: 'E3371' } }],
    });
  });
});
