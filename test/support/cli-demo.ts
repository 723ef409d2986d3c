/**
 * The end-to-end suites' world: the local cloud, the `npm start` demo with
 * its two agents as real `tidemark-agent run` processes, and the `tidemark`
 * CLI pointed at them, with the waits every suite needs.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type Demo, startDemo } from '../../infra/local/demo.js';
import { startLocalCloud } from '../../infra/local/local-cloud.js';
import { runTidemark } from './run-tidemark.js';
import { until } from './until.js';

/** A job as `tidemark --json jobs get` prints it (the fields the suites read). */
export interface Job {
  id: string;
  status: string;
  result?: string;
  createdAt: string;
  scenarios: Array<{ result?: string; error?: { code: string; message: string } }>;
}

export interface CliDemo {
  demo: Demo;
  /** A temporary folder for the suite (restore targets and such), removed by `stop`. */
  work: string;
  /** Runs `tidemark args…` and returns its stdout; a non-zero exit throws with its stderr. */
  cli(args: string[]): Promise<string>;
  json<T>(args: string[]): Promise<T>;
  /** Waits (up to 120 s) until the job is done and returns it. */
  finished(job: Job): Promise<Job>;
  /** A path under the demo master's data folder. */
  master(relative: string): string;
  /** Where the replica keeps a master path. */
  onReplica(masterPath: string): string;
  /** Waits until the replica's copy of a master file holds `content` (undefined: gone). */
  replicated(relative: string, content: string | undefined): Promise<void>;
  stop(): Promise<void>;
}

export async function startCliDemo(workPrefix: string, agentTimeoutSeconds: number): Promise<CliDemo> {
  const cloud = await startLocalCloud();
  const token = await cloud.mintOperatorToken('admin');
  const env = { TIDEMARK_API_URL: cloud.apiUrl, TIDEMARK_TOKEN: token };
  const work = await mkdtemp(path.join(tmpdir(), workPrefix));
  const demo = await startDemo({
    apiUrl: cloud.apiUrl,
    token,
    directory: path.join(work, 'demo'),
    log: () => {},
    childAgents: true,
    scenarioOptions: { agentTimeoutSeconds },
  });
  const cli = async (args: string[]) => {
    const run = await runTidemark(args, env);
    if (run.code !== 0) throw new Error(`tidemark ${args.join(' ')} exited ${run.code}: ${run.stderr}`);
    return run.stdout;
  };
  const json = async <T>(args: string[]) => JSON.parse(await cli(['--json', ...args])) as T;
  const master = (relative: string) => path.join(demo.masterData, relative);
  const onReplica = (masterPath: string) => path.join(demo.replicaDirectory, masterPath);
  return {
    demo,
    work,
    cli,
    json,
    master,
    onReplica,
    finished: (job) =>
      until(`job ${job.id} to finish`, 120, async () => {
        const now = await json<Job>(['jobs', 'get', job.id]);
        return now.status === 'done' ? now : undefined;
      }),
    replicated: async (relative, content) => {
      await until(`${relative} to reach the replica`, 30, async () => {
        const now = await readFile(onReplica(master(relative)), 'utf8').catch(() => undefined);
        return now === content ? true : undefined;
      });
    },
    stop: async () => {
      await demo.stop();
      await cloud.stop();
      await rm(work, { recursive: true, force: true });
    },
  };
}
