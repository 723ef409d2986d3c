import { mkdtemp, readFile, rm, stat, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
  work = await mkdtemp(path.join(tmpdir(), 'tidemark-e2e-'));
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
  await demo?.stop();
  await cloud?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

interface Job {
  id: string;
  status: string;
  result?: string;
  scenarios: Array<{ result?: string; error?: { code: string; message: string } }>;
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

async function backup(): Promise<Job> {
  return finished(await json<Job>(['backup', DEMO_SCENARIO]));
}

const onReplica = (masterPath: string) => path.join(demo.replicaDirectory, masterPath);
const master = (relative: string) => path.join(demo.masterData, relative);

async function replicated(relative: string, content: string | undefined): Promise<void> {
  await until(`${relative} to reach the replica`, 30, async () => {
    const now = await readFile(onReplica(master(relative)), 'utf8').catch(() => undefined);
    return now === content ? true : undefined;
  });
}

async function sessionsOf(): Promise<Array<{ number: number; masterPaths: string[]; masterHost: string }>> {
  return (
    await json<{ sessions: Array<{ number: number; masterPaths: string[]; masterHost: string }> }>([
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
    await writeFile(master('docs/added.txt'), 'written after the scenario started\n');
    await replicated('docs/added.txt', 'written after the scenario started\n');
    atFirst = await treeHashes(demo.masterData);

    const job = await backup();
    expect(job.result, JSON.stringify(job.scenarios)).toBe('completed');
    const sessions = await sessionsOf();
    expect(sessions).toHaveLength(1);
    first = sessions[0]?.number ?? 0;
    expect(sessions[0]).toMatchObject({ masterHost: 'demo-master', masterPaths: [demo.masterData] });

    await writeFile(master('docs/readme.txt'), 'changed after the first backup\n');
    await unlink(master('projects/atlas/notes.md'));
    await replicated('docs/readme.txt', 'changed after the first backup\n');
    await replicated('projects/atlas/notes.md', undefined);
    expect((await backup()).result).toBe('completed');
    const numbers = (await sessionsOf()).map((s) => s.number);
    expect(numbers).toHaveLength(2);
    expect(numbers[1]).toBe(first);
  });

  it('restores a whole session to an alternate folder, byte for byte as the master was', async () => {
    const target = path.join(work, 'by-session');
    const job = await finished(
      await json<Job>([
        'restore',
        'start',
        DEMO_SCENARIO,
        '--session',
        String(first),
        '--host',
        'demo-replica',
        '--to',
        target,
      ]),
    );
    expect(job.result, JSON.stringify(job.scenarios)).toBe('completed');
    expect(await treeHashes(path.join(target, demo.masterData))).toEqual(atFirst);
  });

  it('restores a deleted directory by tree from the older recovery point', async () => {
    const tree = await cli([
      'restore',
      'tree',
      DEMO_SCENARIO,
      master('projects/atlas'),
      '--at',
      String(first),
    ]);
    expect(tree).toContain(master('projects/atlas/notes.md'));
    expect(tree).toMatch(/recovery points of .*: \d+ \(.*\), \d+ \(/);

    const target = path.join(work, 'by-tree');
    const job = await finished(
      await json<Job>([
        'restore',
        'start',
        DEMO_SCENARIO,
        '--session',
        String(first),
        '--path',
        master('projects/atlas'),
        '--host',
        'demo-master',
        '--to',
        target,
      ]),
    );
    expect(job.result, JSON.stringify(job.scenarios)).toBe('completed');
    const restored = await treeHashes(path.join(target, demo.masterData));
    const expected = Object.fromEntries(
      Object.entries(atFirst).filter(([name]) => name.startsWith('projects/atlas/')),
    );
    expect(restored).toEqual(expected);
    expect(Object.keys(restored)).toContain('projects/atlas/notes.md');
  });

  it('finds files by query and restores exactly those', async () => {
    const found = await cli(['restore', 'query', '*.txt', '--scenario', DEMO_SCENARIO]);
    expect(found).toContain(master('docs/added.txt'));

    const target = path.join(work, 'by-query');
    const job = await finished(
      await json<Job>([
        'restore',
        'start',
        DEMO_SCENARIO,
        '--session',
        String(first),
        '--pattern',
        '*.txt',
        '--host',
        'demo-replica',
        '--to',
        target,
      ]),
    );
    expect(job.result, JSON.stringify(job.scenarios)).toBe('completed');
    const expected = Object.fromEntries(Object.entries(atFirst).filter(([name]) => name.endsWith('.txt')));
    expect(await treeHashes(path.join(target, demo.masterData))).toEqual(expected);
  });
});

describe('failure paths through the CLI', () => {
  const codeOf = (job: Job) => job.scenarios[0]?.error?.code;

  it('gives one of two concurrent jobs on a scenario AE0470', async () => {
    const [a, b] = await Promise.all([
      json<Job>(['backup', DEMO_SCENARIO]),
      json<Job>(['backup', DEMO_SCENARIO]),
    ]);
    const outcomes = await Promise.all([finished(a), finished(b)]);
    const codes = outcomes.map(codeOf).sort();
    expect(outcomes.map((job) => job.result).sort()).toEqual(['completed', 'failed']);
    expect(codes).toContain('AE0470');
  });

  it('refuses a stopped scenario with AE0465', async () => {
    await cli(['scenarios', 'stop', DEMO_SCENARIO]);
    const job = await backup();
    expect(job.result).toBe('failed');
    expect(codeOf(job)).toBe('AE0465');
    await cli(['scenarios', 'run', DEMO_SCENARIO]);
    await until('the scenario to replicate again', 60, async () => {
      const scenario = await json<{ state: string }>(['scenarios', 'get', DEMO_SCENARIO]);
      return scenario.state === 'replicating' ? true : undefined;
    });
  });

  it('turns a killed replica agent into AE0469 within the timeout, and replication resumes when it is back', async () => {
    const replica = demo.processes.get('demo-replica');
    if (!replica) throw new Error('the demo runs no replica process');
    const exited = new Promise((resolve) => replica.once('exit', resolve));
    replica.kill('SIGKILL');
    await exited;

    const started = Date.now();
    const job = await backup();
    expect(job.result).toBe('failed');
    expect(codeOf(job)).toBe('AE0469');
    expect(Date.now() - started).toBeLessThan((AGENT_TIMEOUT_SECONDS * 2 + 30) * 1000);

    await demo.restartAgent('demo-replica');
    await writeFile(master('docs/after-crash.txt'), 'the replica came back\n');
    await replicated('docs/after-crash.txt', 'the replica came back\n');
    expect((await stat(onReplica(master('docs/readme.txt')))).isFile()).toBe(true);
  });
});
