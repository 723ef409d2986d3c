/**
 * End to end through the `tidemark` CLI with two real agents
 * (`tidemark-agent run` processes replicating over TLS on loopback): the
 * restore destinations and failure codes the first e2e suite leaves out.
 * - A session restored into the replica flows back to the master, and
 *   replication runs again afterwards.
 * - Assured recovery compares the replica with the master's checksums: it
 *   passes, then fails with AE0457 naming a file damaged on the replica.
 * - AE0471: a scenario made without a backup mode is refused.
 * - AE0464: a restore to the master's original location while the master
 *   agent cannot stop replication (its process frozen with SIGSTOP, so the
 *   stop passes the scenario's agent timeout) fails and writes nothing; with
 *   --continue-if-cannot-stop it restores the bytes anyway.
 * - A scheduled backup's fired run shows on its job (active, then ready
 *   with its result and activity).
 * Codes are checked in `jobs get` and in `jobs activity`; bytes by SHA-256.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, readFile, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { GetScheduleCommand } from '@aws-sdk/client-scheduler';
import { StartExecutionCommand } from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clients } from '../../core/aws-clients.js';
import { ENV } from '../../core/environment.js';
import { DEMO_SCENARIO } from '../../infra/local/demo.js';
import { type CliDemo, type Job, startCliDemo } from '../support/cli-demo.js';
import { treeHashes } from '../support/tree-hashes.js';
import { until } from '../support/until.js';

const AGENT_TIMEOUT_SECONDS = 15;

let e2e: CliDemo;

beforeAll(async () => {
  e2e = await startCliDemo('tidemark-e2e-restore-', AGENT_TIMEOUT_SECONDS);
}, 180_000);

afterAll(async () => {
  // A frozen agent would not see SIGTERM; thaw it so the demo stops it cleanly.
  e2e?.demo.processes.get('demo-master')?.kill('SIGCONT');
  await e2e?.stop();
});

interface Activity {
  severity: string;
  code?: string;
  message: string;
}

async function activityOf(job: Job): Promise<Activity[]> {
  return (await e2e.json<{ entries: Activity[] }>(['jobs', 'activity', job.id])).entries;
}

async function replicating(scenario: string): Promise<void> {
  await until(`${scenario} to replicate`, 60, async () => {
    const now = await e2e.json<{ state: string }>(['scenarios', 'get', scenario]);
    return now.state === 'replicating' ? true : undefined;
  });
}

/** The hashes of `tree` for the files `session` names: what a restore of the session must reproduce. */
function sameFiles(tree: Record<string, string>, session: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.keys(session).map((name) => [name, tree[name] ?? 'missing']));
}

/** SIGSTOP: the agent process stays alive but answers nothing, so its stop passes the agent timeout. */
function freezeMaster(): () => void {
  const agent = e2e.demo.processes.get('demo-master');
  if (!agent) throw new Error('the demo runs no master process');
  agent.kill('SIGSTOP');
  return () => agent.kill('SIGCONT');
}

let session: number;
let atSession: Record<string, string>;

describe('restore into the replica, through the CLI, with real agents', () => {
  it('restores a session into the replica, the data flows back to the master, and replication runs on', async () => {
    atSession = await treeHashes(e2e.demo.masterData);
    const backup = await e2e.finished(await e2e.json<Job>(['backup', DEMO_SCENARIO]));
    expect(backup.result, JSON.stringify(backup.scenarios)).toBe('completed');
    const { sessions } = await e2e.json<{ sessions: Array<{ number: number }> }>([
      'sessions',
      'list',
      '--scenario',
      DEMO_SCENARIO,
    ]);
    session = sessions[0]?.number ?? 0;

    await writeFile(e2e.master('docs/readme.txt'), 'changed after the backup\n');
    await unlink(e2e.master('projects/atlas/notes.md'));
    await e2e.replicated('docs/readme.txt', 'changed after the backup\n');
    await e2e.replicated('projects/atlas/notes.md', undefined);
    expect(sameFiles(await treeHashes(e2e.demo.masterData), atSession)).not.toEqual(atSession);

    const job = await e2e.finished(
      await e2e.json<Job>(['restore', 'start', DEMO_SCENARIO, '--session', String(session), '--replica']),
    );
    expect(job.result, JSON.stringify(job.scenarios)).toBe('completed');
    expect(sameFiles(await treeHashes(e2e.onReplica(e2e.demo.masterData)), atSession)).toEqual(atSession);
    expect(sameFiles(await treeHashes(e2e.demo.masterData), atSession)).toEqual(atSession);
    const log = (await activityOf(job)).map((entry) => entry.message).join('\n');
    expect(log).toContain('flowed back to the master');
    expect(log).toContain('the scenario was restarted');

    await replicating(DEMO_SCENARIO);
    await writeFile(e2e.master('docs/after-restore.txt'), 'replication runs again\n');
    await e2e.replicated('docs/after-restore.txt', 'replication runs again\n');
    expect(sameFiles(await treeHashes(e2e.onReplica(e2e.demo.masterData)), atSession)).toEqual(atSession);
  }, 120_000);
});

describe('a scheduled backup through the CLI', () => {
  it('shows a fired run on its job: active with the execution, then ready again with its result and activity', async () => {
    const job = await e2e.json<Job & { scheduleName: string }>([
      'backup',
      DEMO_SCENARIO,
      '--rate',
      'rate(1 day)',
      '--name',
      'nightly',
    ]);
    expect(job.status).toBe('ready');
    // moto keeps schedules but never fires them: start the run as EventBridge Scheduler would, from
    // the stored schedule's own target (state machine, role, input) under a name of its choosing.
    const schedule = await clients.scheduler().send(new GetScheduleCommand({ Name: job.scheduleName }));
    expect(schedule.Target?.Arn).toBe(process.env[ENV.backupStateMachineArn]);
    const { executionArn } = await clients.sfn().send(
      new StartExecutionCommand({
        stateMachineArn: schedule.Target?.Arn,
        name: `scheduler-${randomUUID()}`,
        input: schedule.Target?.Input,
      }),
    );

    const running = await until('the fired run to show on the job', 30, async () => {
      const now = await e2e.json<Job & { executionArn?: string }>(['jobs', 'get', job.id]);
      return now.executionArn === executionArn ? now : undefined;
    });
    expect(['active', 'ready']).toContain(running.status);
    const ended = await until('the run to end', 90, async () => {
      const now = await e2e.json<Job>(['jobs', 'get', job.id]);
      return now.result ? now : undefined;
    });
    expect(ended).toMatchObject({ status: 'ready', result: 'completed', scenarios: [{ status: 'ready' }] });
    const log = (await activityOf(job)).map((entry) => entry.message).join('\n');
    expect(log).toContain(`Backup job ${job.id} started`);
    expect(log).toMatch(/session \d+ committed/);
    await e2e.cli(['jobs', 'delete', job.id]);
  }, 120_000);
});

describe('assured recovery through the CLI, with real agents', () => {
  it('checks the replica against the master checksums: passes, then fails with AE0457 naming a damaged file', async () => {
    const root = path.join(e2e.work, 'ar-data');
    const replicaDir = path.join(e2e.work, 'ar-replica');
    await mkdir(path.join(root, 'docs'), { recursive: true });
    await writeFile(path.join(root, 'docs', 'contract.txt'), 'signed and kept\n');
    await writeFile(path.join(root, 'ledger.bin'), Buffer.alloc(300_000, 1));
    await e2e.cli([
      'scenarios',
      'create',
      'ar-files',
      '--type',
      'fileserver',
      '--master',
      'demo-master',
      '--replica',
      `demo-replica:${replicaDir}`,
      '--root',
      root,
      '--timeout',
      String(AGENT_TIMEOUT_SECONDS),
      '--mode',
      'assured_recovery',
    ]);
    await e2e.cli(['scenarios', 'run', 'ar-files']);
    await replicating('ar-files');

    const passed = await e2e.finished(await e2e.json<Job>(['backup', 'ar-files']));
    expect(passed.result, JSON.stringify(passed)).toBe('completed');
    const report = (await activityOf(passed)).find((entry) =>
      entry.message.includes('assured recovery passed'),
    );
    expect(report?.message).toMatch(
      /2 files \(300016 bytes\) read back; 2 compared with the master's checksums/,
    );

    // A byte flipped in the replica's copy, behind the replication engine's back.
    const copy = path.join(replicaDir, root, 'ledger.bin');
    const damaged = Buffer.from(await readFile(copy));
    damaged[123_456] = 2;
    await writeFile(copy, damaged);
    const failed = await e2e.finished(await e2e.json<Job>(['backup', 'ar-files']));
    expect(failed.result).toBe('failed');
    expect(failed.scenarios[0]?.error?.code).toBe('AE0457');
    expect(failed.scenarios[0]?.error?.message).toMatch(
      /ledger\.bin: checksum [0-9a-f]+ does not match the master's/,
    );
    expect(await activityOf(failed)).toContainEqual(
      expect.objectContaining({ code: 'AE0457', severity: 'error' }),
    );
    // Replication was resumed after the failed test: a new master file still arrives.
    await writeFile(path.join(root, 'after.txt'), 'written after the failed check\n');
    await until('after.txt on the replica', 30, () =>
      readFile(path.join(replicaDir, root, 'after.txt'), 'utf8'),
    );
    await e2e.cli(['scenarios', 'stop', 'ar-files']);
  }, 150_000);
});

describe('failure codes through the CLI', () => {
  it('AE0471: a scenario whose backup mode was cleared (--mode none) cannot be backed up', async () => {
    const root = path.join(e2e.work, 'no-mode-data');
    await mkdir(root, { recursive: true });
    await writeFile(path.join(root, 'file.txt'), 'nothing freezes this replica\n');
    const created = await e2e.json<{ options: { mode?: string } }>([
      'scenarios',
      'create',
      'no-mode',
      '--type',
      'fileserver',
      '--master',
      'demo-master',
      '--replica',
      `demo-replica:${path.join(e2e.work, 'no-mode-replica')}`,
      '--root',
      root,
      '--timeout',
      String(AGENT_TIMEOUT_SECONDS),
      '--mode',
      'suspend',
    ]);
    expect(created.options.mode).toBe('suspend');
    const cleared = await e2e.json<{ options: { mode?: string } }>([
      'scenarios',
      'update',
      'no-mode',
      '--mode',
      'none',
    ]);
    expect(cleared.options.mode).toBeUndefined();
    await e2e.cli(['scenarios', 'run', 'no-mode']);
    await replicating('no-mode');

    const job = await e2e.finished(await e2e.json<Job>(['backup', 'no-mode']));
    expect(job.result).toBe('failed');
    expect(job.scenarios[0]?.error?.code).toBe('AE0471');
    expect(await activityOf(job)).toContainEqual(
      expect.objectContaining({ code: 'AE0471', severity: 'error' }),
    );
    await e2e.cli(['scenarios', 'stop', 'no-mode']);
  }, 120_000);

  it('AE0464: a restore to the original location fails when replication cannot be stopped, and writes nothing', async () => {
    await writeFile(e2e.master('docs/readme.txt'), 'changed before the failed restore\n');
    await e2e.replicated('docs/readme.txt', 'changed before the failed restore\n');
    const thaw = freezeMaster();
    let job: Job;
    try {
      job = await e2e.finished(
        await e2e.json<Job>(['restore', 'start', DEMO_SCENARIO, '--session', String(session), '--original']),
      );
    } finally {
      thaw();
    }
    expect(job.result).toBe('failed');
    expect(job.scenarios[0]?.error?.code).toBe('AE0464');
    expect(await activityOf(job)).toContainEqual(
      expect.objectContaining({ code: 'AE0464', severity: 'error' }),
    );
    expect(await readFile(e2e.master('docs/readme.txt'), 'utf8')).toBe('changed before the failed restore\n');

    // The job restarted the scenario, since its stop may still land: replication runs on.
    await replicating(DEMO_SCENARIO);
    await writeFile(e2e.master('docs/after-failed.txt'), 'still replicating\n');
    await e2e.replicated('docs/after-failed.txt', 'still replicating\n');
  }, 120_000);

  it('AE0464 with --continue-if-cannot-stop: the restore goes on and the master gets the session bytes', async () => {
    await unlink(e2e.master('reports/q3/summary.csv'));
    await e2e.replicated('reports/q3/summary.csv', undefined);
    const thaw = freezeMaster();
    let job: Job;
    try {
      const submitted = await e2e.json<Job>([
        'restore',
        'start',
        DEMO_SCENARIO,
        '--session',
        String(session),
        '--original',
        '--continue-if-cannot-stop',
      ]);
      // Thawed once the stop has passed its timeout, and well before the restore step misses a heartbeat.
      const thawAt = Date.parse(submitted.createdAt) + (AGENT_TIMEOUT_SECONDS + 5) * 1000;
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, thawAt - Date.now())));
      thaw();
      job = await e2e.finished(submitted);
    } finally {
      thaw();
    }
    expect(job.result, JSON.stringify(job.scenarios)).toBe('completed');
    expect(await activityOf(job)).toContainEqual(
      expect.objectContaining({ code: 'AE0464', severity: 'warning' }),
    );
    expect(sameFiles(await treeHashes(e2e.demo.masterData), atSession)).toEqual(atSession);

    await replicating(DEMO_SCENARIO);
    await e2e.replicated(
      'reports/q3/summary.csv',
      await readFile(e2e.master('reports/q3/summary.csv'), 'utf8'),
    );
  }, 120_000);
});
