/**
 * Runs `agent/replication/engine-process.ts` as a real child process that a
 * test can SIGKILL and start again on the same state directory. The entry is
 * bundled once with esbuild (packages stay external and resolve from our
 * node_modules) so that each restart costs a plain `node` start, not a tsx
 * compile — the crash test restarts the engine 40+ times.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { build } from 'esbuild';
import type { EngineProcessConfig } from '../../../agent/replication/engine-process.js';
import type { TlsMaterial } from '../../../agent/tls/certificates.js';

const REPO = resolve(import.meta.dirname, '../../..');

/** Bundles the engine entry into `dir` and returns the script path. */
export async function bundleEngine(dir: string): Promise<string> {
  const outfile = join(dir, 'engine-process.cjs');
  await build({
    entryPoints: [join(REPO, 'agent/replication/engine-process.ts')],
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    packages: 'external',
    outfile,
    logLevel: 'error',
  });
  return outfile;
}

/** Writes PEM files for `tls` under `dir` and returns their paths as the config wants them. */
export async function tlsFiles(tls: TlsMaterial, dir: string): Promise<EngineProcessConfig['tls']> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const paths = { key: join(dir, 'key.pem'), cert: join(dir, 'cert.pem'), ca: join(dir, 'ca.pem') };
  await writeFile(paths.key, tls.key, { mode: 0o600 });
  await writeFile(paths.cert, tls.cert);
  await writeFile(paths.ca, tls.ca);
  return paths;
}

export interface EngineLine {
  type: string;
  [k: string]: unknown;
}

/** One engine process; `lines` keeps everything it printed, across restarts. */
export class ChildEngine {
  lines: EngineLine[] = [];
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  private listeners: ((l: EngineLine) => void)[] = [];
  stderr = '';

  constructor(
    private readonly script: string,
    private readonly configPath: string,
  ) {}

  static async create(script: string, config: EngineProcessConfig, path: string): Promise<ChildEngine> {
    await writeFile(path, JSON.stringify(config));
    return new ChildEngine(script, path);
  }

  /** True until the process has exited (on its own or killed). */
  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Starts the process (with `env` added, e.g. an armed fault point) and resolves when it reports `ready`. */
  async start(env: Record<string, string> = {}): Promise<void> {
    const child = spawn(process.execPath, [this.script, this.configPath], {
      cwd: REPO,
      env: { ...process.env, NODE_PATH: join(REPO, 'node_modules'), ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.child = child;
    this.exited = new Promise((r) => child.once('exit', () => r()));
    child.stderr?.on('data', (c: Buffer) => {
      this.stderr += c.toString();
    });
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (text) => {
      let line: EngineLine;
      try {
        line = JSON.parse(text) as EngineLine;
      } catch {
        return;
      }
      this.lines.push(line);
      for (const l of this.listeners) l(line);
    });
    await this.waitFor((l) => l.type === 'ready', 30_000);
  }

  /** Resolves with the first line (from now on) that matches. */
  waitFor(match: (l: EngineLine) => boolean, ms = 20_000): Promise<EngineLine> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.listeners = this.listeners.filter((x) => x !== on);
        reject(new Error(`engine did not report in ${ms} ms; stderr: ${this.stderr.slice(-2000)}`));
      }, ms);
      const on = (l: EngineLine) => {
        if (!match(l)) return;
        clearTimeout(timer);
        this.listeners = this.listeners.filter((x) => x !== on);
        resolve(l);
      };
      this.listeners.push(on);
    });
  }

  /** Resolves when the process ends on its own (a fault point killed it); rejects after `ms`. */
  async exit(ms = 30_000): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      this.exited,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`engine still running after ${ms} ms`)), ms);
      }),
    ]).finally(() => clearTimeout(timer));
  }

  /** kill -9: no chance to flush or close anything. */
  async kill(): Promise<void> {
    this.child?.kill('SIGKILL');
    await this.exited;
  }

  async stats(scenarioId: string): Promise<EngineLine> {
    const answer = this.waitFor((l) => l.type === 'stats');
    this.child?.stdin?.write(`${JSON.stringify({ op: 'stats', scenarioId })}\n`);
    return answer;
  }

  /** A clean stop through the process's own protocol. */
  async close(): Promise<void> {
    if (!this.child || this.child.exitCode !== null) return;
    this.child.stdin?.end(`${JSON.stringify({ op: 'close' })}\n`);
    const done = await Promise.race([
      this.exited.then(() => true),
      new Promise<boolean>((r) => setTimeout(() => r(false), 5000)),
    ]);
    if (!done) await this.kill();
  }

  eventIds(): string[] {
    return this.lines.filter((l) => l.type === 'event').map((l) => String(l.eventId));
  }
}
