/** Starts moto on a free loopback port as a child that cannot outlive us (see moto_server.py). */
import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';

export interface Moto {
  url: string;
  stop(): Promise<void>;
}

export interface MotoOptions {
  /** 0 (the default) picks a free port. */
  port?: number;
  /**
   * The account every resource lives in (MOTO_ACCOUNT_ID); without it moto uses
   * its own default, 123456789012, and ARNs built for another account name nothing.
   */
  accountId?: string;
}

export async function startMoto(python: string, root: string, options: MotoOptions = {}): Promise<Moto> {
  const script = path.join(root, 'infra', 'local', 'moto_server.py');
  const env = options.accountId ? { ...process.env, MOTO_ACCOUNT_ID: options.accountId } : process.env;
  const child = spawn(python, [script, String(options.port ?? 0)], { stdio: ['pipe', 'pipe', 'pipe'], env });
  const stderr: string[] = [];
  child.stderr.on('data', (chunk: Buffer) => {
    stderr.push(chunk.toString());
    if (stderr.length > 50) stderr.shift();
  });

  const boundPort = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => fail(new Error('moto did not start within 60 s')), 60_000);
    const fail = (error: Error) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(new Error(`${error.message}\n${stderr.join('')}`.trim()));
    };
    child.once('error', fail);
    child.once('exit', (code) => fail(new Error(`moto exited with code ${code} before it was ready`)));
    createInterface({ input: child.stdout }).on('line', (line) => {
      const match = /^MOTO_READY (\d+)$/.exec(line);
      if (!match) return;
      clearTimeout(timer);
      child.removeAllListeners('exit');
      resolve(Number(match[1]));
    });
  });

  return { url: `http://127.0.0.1:${boundPort}`, stop: () => stopChild(child) };
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.stdin?.end(); // moto_server.py exits when its stdin closes
  const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
  await exited;
  clearTimeout(timer);
}
