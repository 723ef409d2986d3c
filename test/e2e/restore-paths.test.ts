/**
 * End to end through the `tidemark` CLI with two real agents
 * (`tidemark-agent run` processes replicating over TLS on loopback): the
 * restore destinations and failure codes the first e2e suite leaves out.
 * - A session restored into the replica flows back to the master, and
 *   replication runs again afterwards.
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
import { mkdir, mkdtemp, readFile, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { GetScheduleCommand } from '@aws-sdk/client-scheduler';
import { StartExecutionCommand } from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clients } from '../../core/aws-clients.js';
import { ENV } from '../../core/environment.js';
import { DEMO_SCENARIO, type Demo, startDemo } from '../../infra/local/demo.js';
import { type LocalCloud, startLocalCloud } from '../../infra/local/local-cloud.js';
import { runTidemark } from '../support/run-tidemark.js';
import { treeHashes } from '../support/tree-hashes.js';
import { until } from '../support/until.js';

const AGENT_TIMEOUT_SECONDS = 15;

let cloud: LocalCloud;
let demo: Demo;
let work: string;
let env: Record<string, string>;

beforeAll(async () => {
  cloud = await startLocalCloud();
  const token = await cloud.mintOperatorToken('admin');
  env = { TIDEMARK_API_URL: cloud.apiUrl, TIDEMARK_TOKEN: token };
  work = await mkdtemp(path.join(tmpdir(), 'tidemark-e2e-restore-'));
  demo = await startDemo({
    apiUrl: cloud.apiUrl,
    token,
    directory: path.join(work, 'demo'),
    log: () => {},
    childAgents: true,
    scenarioOptions: { agentTimeoutSeconds: AGENT_TIMEOUT_SECONDS },
  });
}, 180_000);

afterAll(async () => {
  // A frozen agent would not see SIGTERM; thaw it so the demo stops it cleanly.
  demo?.processes.get('demo-master')?.kill('SIGCONT');
  await demo?.stop();
  await cloud?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

interface Job {
  id: string;
  status: string;
  result?: string;
  createdAt: string;
  scenarios: Array<{ result?: string; error?: { code: string; message: string } }>;
}

interface Activity {
  severity: string;
  code?: string;
  message: string;
}

async function cli(args: string[]): Promise<string> {
  const run = await runTidemark(args, env);
  if (run.code !== 0) throw new Error(`tidemark ${args.join(' ')} exited ${run.code}: ${run.stderr}`);
  return run.stdout;
}

async function json<T>(args: string[]): Promise<T> {
  return JSON.parse(await cli(['--json', ...args])) as T;
}

async function finished(job: Job): Promise<Job> {
  return until(`job ${job.id} to finish`, 120, async () => {
    const now = await json<Job>(['jobs', 'get', job.id]);
    return now.status === 'done' ? now : undefined;
  });
}

async function activityOf(job: Job): Promise<Activity[]> {
  return (await json<{ entries: Activity[] }>(['jobs', 'activity', job.id])).entries;
}

async function replicating(scenario: string): Promise<void> {
  await until(`${scenario} to replicate`, 60, async () => {
    const now = await json<{ state: string }>(['scenarios', 'get', scenario]);
    return now.state === 'replicating' ? true : undefined;
  });
}

/** The hashes of `tree` for the files `session` names: what a restore of the session must reproduce. */
function sameFiles(tree: Record<string, string>, session: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.keys(session).map((name) => [name, tree[name] ?? 'missing']));
}

const master = (relative: string) => path.join(demo.masterData, relative);
const onReplica = (masterPath: string) => path.join(demo.replicaDirectory, masterPath);

async function replicated(relative: string, content: string | undefined): Promise<void> {
  await until(`${relative} to reach the replica`, 30, async () => {
    const now = await readFile(onReplica(master(relative)), 'utf8').catch(() => undefined);
    return now === content ? true : undefined;
  });
}

/** SIGSTOP: the agent process stays alive but answers nothing, so its stop passes the agent timeout. */
function freezeMaster(): () => void {
  const agent = demo.processes.get('demo-master');
  if (!agent) throw new Error('the demo runs no master process');
  agent.kill('SIGSTOP');
  return () => agent.kill('SIGCONT');
}

let session: number;
let atSession: Record<string, string>;

describe('restore into the replica, through the CLI, with real agents', () => {
  it('restores a session into the replica, the data flows back to the master, and replication runs on', async () => {
    atSession = await treeHashes(demo.masterData);
    const backup = await finished(await json<Job>(['backup', DEMO_SCENARIO]));
    expect(backup.result, JSON.stringify(backup.scenarios)).toBe('completed');
    const { sessions } = await json<{ sessions: Array<{ number: number }> }>([
      'sessions',
      'list',
      '--scenario',
      DEMO_SCENARIO,
    ]);
    session = sessions[0]?.number ?? 0;

    await writeFile(master('docs/readme.txt'), 'changed after the backup\n');
    await unlink(master('projects/atlas/notes.md'));
    await replicated('docs/readme.txt', 'changed after the backup\n');
    await replicated('projects/atlas/notes.md', undefined);
    expect(sameFiles(await treeHashes(demo.masterData), atSession)).not.toEqual(atSession);

    const job = await finished(
      await json<Job>(['restore', 'start', DEMO_SCENARIO, '--session', String(session), '--replica']),
    );
    expect(job.result, JSON.stringify(job.scenarios)).toBe('completed');
    expect(sameFiles(await treeHashes(onReplica(demo.masterData)), atSession)).toEqual(atSession);
    expect(sameFiles(await treeHashes(demo.masterData), atSession)).toEqual(atSession);
    const log = (await activityOf(job)).map((entry) => entry.message).join('\n');
    expect(log).toContain('flowed back to the master');
    expect(log).toContain('the scenario was restarted');

    await replicating(DEMO_SCENARIO);
    await writeFile(master('docs/after-restore.txt'), 'replication runs again\n');
    await replicated('docs/after-restore.txt', 'replication runs again\n');
    expect(sameFiles(await treeHashes(onReplica(demo.masterData)), atSession)).toEqual(atSession);
  }, 120_000);
});

describe('a scheduled backup through the CLI', () => {
  it('shows a fired run on its job: active with the execution, then ready again with its result and activity', async () => {
    const job = await json<Job & { scheduleName: string }>([
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
      const now = await json<Job & { executionArn?: string }>(['jobs', 'get', job.id]);
      return now.executionArn === executionArn ? now : undefined;
    });
    expect(['active', 'ready']).toContain(running.status);
    const ended = await until('the run to end', 90, async () => {
      const now = await json<Job>(['jobs', 'get', job.id]);
      return now.result ? now : undefined;
    });
    expect(ended).toMatchObject({ status: 'ready', result: 'completed', scenarios: [{ status: 'ready' }] });
    const log = (await activityOf(job)).map((entry) => entry.message).join('\n');
    expect(log).toContain(`Backup job ${job.id} started`);
    expect(log).toMatch(/session \d+ committed/);
    await cli(['jobs', 'delete', job.id]);
  }, 120_000);
});

describe('failure codes through the CLI', () => {
  it('AE0471: a scenario whose backup mode was cleared (--mode none) cannot be backed up', async () => {
    const root = path.join(work, 'no-mode-data');
    await mkdir(root, { recursive: true });
    await writeFile(path.join(root, 'file.txt'), 'nothing freezes this replica\n');
    const created = await json<{ options: { mode?: string } }>([
      'scenarios',
      'create',
      'no-mode',
      '--type',
      'fileserver',
      '--master',
      'demo-master',
      '--replica',
      `demo-replica:${path.join(work, 'no-mode-replica')}`,
      '--root',
      root,
      '--timeout',
      String(AGENT_TIMEOUT_SECONDS),
      '--mode',
      'suspend',
    ]);
    expect(created.options.mode).toBe('suspend');
    const cleared = await json<{ options: { mode?: string } }>([
      'scenarios',
      'update',
      'no-mode',
      '--mode',
      'none',
    ]);
    expect(cleared.options.mode).toBeUndefined();
    await cli(['scenarios', 'run', 'no-mode']);
    await replicating('no-mode');

    const job = await finished(await json<Job>(['backup', 'no-mode']));
    expect(job.result).toBe('failed');
    expect(job.scenarios[0]?.error?.code).toBe('AE0471');
    expect(await activityOf(job)).toContainEqual(
      expect.objectContaining({ code: 'AE0471', severity: 'error' }),
    );
    await cli(['scenarios', 'stop', 'no-mode']);
  }, 120_000);

  it('AE0464: a restore to the original location fails when replication cannot be stopped, and writes nothing', async () => {
    await writeFile(master('docs/readme.txt'), 'changed before the failed restore\n');
    await replicated('docs/readme.txt', 'changed before the failed restore\n');
    const thaw = freezeMaster();
    let job: Job;
    try {
      job = await finished(
        await json<Job>(['restore', 'start', DEMO_SCENARIO, '--session', String(session), '--original']),
      );
    } finally {
      thaw();
    }
    expect(job.result).toBe('failed');
    expect(job.scenarios[0]?.error?.code).toBe('AE0464');
    expect(await activityOf(job)).toContainEqual(
      expect.objectContaining({ code: 'AE0464', severity: 'error' }),
    );
    expect(await readFile(master('docs/readme.txt'), 'utf8')).toBe('changed before the failed restore\n');

    // The job restarted the scenario, since its stop may still land: replication runs on.
    await replicating(DEMO_SCENARIO);
    await writeFile(master('docs/after-failed.txt'), 'still replicating\n');
    await replicated('docs/after-failed.txt', 'still replicating\n');
  }, 120_000);

  it('AE0464 with --continue-if-cannot-stop: the restore goes on and the master gets the session bytes', async () => {
    await unlink(master('reports/q3/summary.csv'));
    await replicated('reports/q3/summary.csv', undefined);
    const thaw = freezeMaster();
    let job: Job;
    try {
      const submitted = await json<Job>([
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
      job = await finished(submitted);
    } finally {
      thaw();
    }
    expect(job.result, JSON.stringify(job.scenarios)).toBe('completed');
    expect(await activityOf(job)).toContainEqual(
      expect.objectContaining({ code: 'AE0464', severity: 'warning' }),
    );
    expect(sameFiles(await treeHashes(demo.masterData), atSession)).toEqual(atSession);

    await replicating(DEMO_SCENARIO);
    await replicated('reports/q3/summary.csv', await readFile(master('reports/q3/summary.csv'), 'utf8'));
  }, 120_000);
});
