import { readdir, stat, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_SCENARIO } from '../../infra/local/demo.js';
import { type CliDemo, type Job, startCliDemo } from '../support/cli-demo.js';
import { treeHashes } from '../support/tree-hashes.js';
import { until } from '../support/until.js';

const AGENT_TIMEOUT_SECONDS = 15;

let e2e: CliDemo;

beforeAll(async () => {
  e2e = await startCliDemo('tidemark-e2e-', AGENT_TIMEOUT_SECONDS);
}, 180_000);

afterAll(async () => {
  await e2e?.stop();
});

async function backup(): Promise<Job> {
  return e2e.finished(await e2e.json<Job>(['backup', DEMO_SCENARIO]));
}

/** `restore start` of session `number` of the demo scenario with `options`, waited for to its end. */
async function restoreSession(number: number, ...options: string[]): Promise<Job> {
  return e2e.finished(
    await e2e.json<Job>(['restore', 'start', DEMO_SCENARIO, '--session', String(number), ...options]),
  );
}

async function sessionsOf(): Promise<Array<{ number: number; masterPaths: string[]; masterHost: string }>> {
  return (
    await e2e.json<{ sessions: Array<{ number: number; masterPaths: string[]; masterHost: string }> }>([
      'sessions',
      'list',
      '--scenario',
      DEMO_SCENARIO,
    ])
  ).sessions;
}

describe('backup and restore through the CLI, with real agents', () => {
  let first: number;
  let atFirst: Record<string, string>;

  it('replicates changes, and backs up sessions that carry the master paths', async () => {
    await writeFile(e2e.master('docs/added.txt'), 'written after the scenario started\n');
    await e2e.replicated('docs/added.txt', 'written after the scenario started\n');
    atFirst = await treeHashes(e2e.demo.masterData);

    const job = await backup();
    expect(job.result, JSON.stringify(job.scenarios)).toBe('completed');
    const sessions = await sessionsOf();
    expect(sessions).toHaveLength(1);
    first = sessions[0]?.number ?? 0;
    expect(sessions[0]).toMatchObject({ masterHost: 'demo-master', masterPaths: [e2e.demo.masterData] });

    await writeFile(e2e.master('docs/readme.txt'), 'changed after the first backup\n');
    await unlink(e2e.master('projects/atlas/notes.md'));
    await e2e.replicated('docs/readme.txt', 'changed after the first backup\n');
    await e2e.replicated('projects/atlas/notes.md', undefined);
    expect((await backup()).result).toBe('completed');
    const numbers = (await sessionsOf()).map((s) => s.number);
    expect(numbers).toHaveLength(2);
    expect(numbers[1]).toBe(first);
  });

  it('restores a whole session to an alternate folder, byte for byte as the master was', async () => {
    const target = path.join(e2e.work, 'by-session');
    const job = await restoreSession(first, '--host', 'demo-replica', '--to', target);
    expect(job.result, JSON.stringify(job.scenarios)).toBe('completed');
    expect(await treeHashes(path.join(target, e2e.demo.masterData))).toEqual(atFirst);
  });

  it('restores a deleted directory by tree from the older recovery point', async () => {
    const tree = await e2e.cli([
      'restore',
      'tree',
      DEMO_SCENARIO,
      e2e.master('projects/atlas'),
      '--at',
      String(first),
    ]);
    expect(tree).toContain(e2e.master('projects/atlas/notes.md'));
    expect(tree).toMatch(/recovery points of .*: \d+ \(.*\), \d+ \(/);

    const target = path.join(e2e.work, 'by-tree');
    const job = await restoreSession(
      first,
      '--path',
      e2e.master('projects/atlas'),
      '--host',
      'demo-master',
      '--to',
      target,
    );
    expect(job.result, JSON.stringify(job.scenarios)).toBe('completed');
    const restored = await treeHashes(path.join(target, e2e.demo.masterData));
    const expected = Object.fromEntries(
      Object.entries(atFirst).filter(([name]) => name.startsWith('projects/atlas/')),
    );
    expect(restored).toEqual(expected);
    expect(Object.keys(restored)).toContain('projects/atlas/notes.md');
  });

  it('finds files by query and restores exactly those', async () => {
    const found = await e2e.cli(['restore', 'query', '*.txt', '--scenario', DEMO_SCENARIO]);
    expect(found).toContain(e2e.master('docs/added.txt'));

    const target = path.join(e2e.work, 'by-query');
    const job = await restoreSession(first, '--pattern', '*.txt', '--host', 'demo-replica', '--to', target);
    expect(job.result, JSON.stringify(job.scenarios)).toBe('completed');
    const expected = Object.fromEntries(Object.entries(atFirst).filter(([name]) => name.endsWith('.txt')));
    expect(await treeHashes(path.join(target, e2e.demo.masterData))).toEqual(expected);
  });
});

describe('failure paths through the CLI', () => {
  const codeOf = (job: Job) => job.scenarios[0]?.error?.code;

  it('gives one of two concurrent jobs on a scenario AE0470', async () => {
    const [a, b] = await Promise.all([
      e2e.json<Job>(['backup', DEMO_SCENARIO]),
      e2e.json<Job>(['backup', DEMO_SCENARIO]),
    ]);
    const outcomes = await Promise.all([e2e.finished(a), e2e.finished(b)]);
    const codes = outcomes.map(codeOf).sort();
    expect(outcomes.map((job) => job.result).sort()).toEqual(['completed', 'failed']);
    expect(codes).toContain('AE0470');
  });

  it('refuses a stopped scenario with AE0465', async () => {
    await e2e.cli(['scenarios', 'stop', DEMO_SCENARIO]);
    const job = await backup();
    expect(job.result).toBe('failed');
    expect(codeOf(job)).toBe('AE0465');
    await e2e.cli(['scenarios', 'run', DEMO_SCENARIO]);
    await until('the scenario to replicate again', 60, async () => {
      const scenario = await e2e.json<{ state: string }>(['scenarios', 'get', DEMO_SCENARIO]);
      return scenario.state === 'replicating' ? true : undefined;
    });
  });

  it('turns a killed replica agent into AE0469 within the timeout, and replication resumes when it is back', async () => {
    const replica = e2e.demo.processes.get('demo-replica');
    if (!replica) throw new Error('the demo runs no replica process');
    const exited = new Promise((resolve) => replica.once('exit', resolve));
    replica.kill('SIGKILL');
    await exited;

    const started = Date.now();
    const job = await backup();
    expect(job.result).toBe('failed');
    expect(codeOf(job)).toBe('AE0469');
    expect(Date.now() - started).toBeLessThan((AGENT_TIMEOUT_SECONDS * 2 + 30) * 1000);

    await e2e.demo.restartAgent('demo-replica');
    await writeFile(e2e.master('docs/after-crash.txt'), 'the replica came back\n');
    await e2e.replicated('docs/after-crash.txt', 'the replica came back\n');
    expect((await stat(e2e.onReplica(e2e.master('docs/readme.txt')))).isFile()).toBe(true);
  });

  /** Restarts the replica agent with a fault point armed, runs `start`, and waits for the agent to die there. */
  async function killReplicaAt<T>(faultPoint: string, start: () => Promise<T>): Promise<T> {
    await e2e.demo.restartAgent('demo-replica', { TIDEMARK_FAULT_POINT: faultPoint });
    const armed = e2e.demo.processes.get('demo-replica');
    if (!armed) throw new Error('the demo runs no replica process');
    const died = new Promise<NodeJS.Signals | null>((resolve) =>
      armed.once('exit', (_, signal) => resolve(signal)),
    );
    const started = await start();
    expect(await died).toBe('SIGKILL');
    return started;
  }

  it('a replica agent killed -9 mid-restore: the job fails with AE0474 once it is back, its staging is gone, and the restore then succeeds', async () => {
    const [session] = await sessionsOf();
    if (!session) throw new Error('no session to restore');
    const target = path.join(e2e.work, 'killed-restore');
    const job = await killReplicaAt('restore.before-place', () =>
      e2e.json<Job>([
        'restore',
        'start',
        DEMO_SCENARIO,
        '--session',
        String(session.number),
        '--host',
        'demo-replica',
        '--to',
        target,
      ]),
    );
    // Killed with the whole tree staged and durable, before any rename: a staging folder beside the target.
    const staged = (await readdir(e2e.work)).filter((name) => name.startsWith('.killed-restore.tidemark-'));
    expect(staged).toHaveLength(1);

    const restarted = Date.now();
    await e2e.demo.restartAgent('demo-replica');
    const failed = await e2e.finished(job);
    expect(failed.result).toBe('failed');
    expect(codeOf(failed), JSON.stringify(failed.scenarios)).toBe('AE0474');
    // Answered by the restarted agent, not by the step's timeout.
    expect(Date.now() - restarted).toBeLessThan(AGENT_TIMEOUT_SECONDS * 1000);
    expect((await readdir(e2e.work)).filter((name) => name.includes('.tidemark-'))).toEqual([]);
    await expect(stat(target)).rejects.toThrow(/ENOENT/);

    const again = await restoreSession(session.number, '--host', 'demo-replica', '--to', target);
    expect(again.result, JSON.stringify(again.scenarios)).toBe('completed');
    expect(Object.keys(await treeHashes(path.join(target, e2e.demo.masterData))).length).toBeGreaterThan(0);
  });

  it('a replica agent killed -9 between the manifest write and the catalog commit: AE0474, no session in the catalog, and the next backup succeeds', async () => {
    const before = (await sessionsOf()).map((s) => s.number);
    const job = await killReplicaAt('backup.before-outcome', () => e2e.json<Job>(['backup', DEMO_SCENARIO]));
    await e2e.demo.restartAgent('demo-replica');
    const failed = await e2e.finished(job);
    expect(failed.result).toBe('failed');
    expect(codeOf(failed), JSON.stringify(failed.scenarios)).toBe('AE0474');
    expect((await sessionsOf()).map((s) => s.number)).toEqual(before);

    await until('the scenario to replicate again', 60, async () => {
      const scenario = await e2e.json<{ state: string }>(['scenarios', 'get', DEMO_SCENARIO]);
      return scenario.state === 'replicating' ? true : undefined;
    });
    const next = await backup();
    expect(next.result, JSON.stringify(next.scenarios)).toBe('completed');
    expect((await sessionsOf()).length).toBe(before.length + 1);
  });
});
