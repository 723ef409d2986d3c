/**
 * A throwaway `postgres` on a copied data directory: its own free port, no
 * TCP listener, its unix socket in a private short directory, a private
 * `pg_hba.conf` (local trust: the check must connect whatever the copied
 * cluster's authentication says), no WAL archiving and no logging
 * collector (either could write outside the copy). Started directly (not
 * through `pg_ctl -w` or `runuser`), so its pid is the postmaster's and
 * every wait is ours and bounded. When the agent is root it runs as the
 * data directory's account, because the server refuses to run as root.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { chown, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { freePort } from '../free-port.js';
import type { ServerAccount } from './postgres-data-directory.js';

const run = promisify(execFile);

/** sockaddr_un's sun_path is 108 bytes with its terminating NUL. */
const SOCKET_PATH_MAX = 107;

export interface ThrowawayServerOptions {
  bin: string;
  dataDir: string;
  account: ServerAccount | undefined;
  /** How long start-up (crash recovery included) may take before the check gives up. */
  startupMs: number;
  signal: AbortSignal;
}

export interface ThrowawayServer {
  /** Runs one statement as the `postgres` role; rows as lines, columns separated by `|`. */
  query(database: string, sql: string, timeoutMs?: number): Promise<string>;
  stop(): Promise<void>;
}

async function socketDirectory(account: ServerAccount | undefined): Promise<string> {
  // A long TMPDIR would push the socket past sun_path; /tmp is short everywhere.
  const parent =
    path.join(tmpdir(), 'tidemark-pg-XXXXXX', '.s.PGSQL.65535').length > SOCKET_PATH_MAX ? '/tmp' : tmpdir();
  const dir = await mkdtemp(path.join(parent, 'tidemark-pg-'));
  if (account) await chown(dir, account.uid, account.gid);
  return dir;
}

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function exitedWithin(child: ChildProcess, ms: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return true;
  return await new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

export async function startThrowawayServer(options: ThrowawayServerOptions): Promise<ThrowawayServer> {
  const { bin, dataDir, account, startupMs, signal } = options;
  const socketDir = await socketDirectory(account);
  const hbaFile = path.join(socketDir, 'pg_hba.conf');
  await writeFile(hbaFile, 'local all all trust\n', { mode: 0o644 });
  const port = await freePort();
  const server = spawn(
    path.join(bin, 'postgres'),
    [
      '-D',
      dataDir,
      '-p',
      String(port),
      '-k',
      socketDir,
      '-c',
      'listen_addresses=',
      '-c',
      `hba_file=${hbaFile}`,
      '-c',
      'archive_mode=off',
      '-c',
      'logging_collector=off',
      '-c',
      'fsync=off',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'], ...(account ? { uid: account.uid, gid: account.gid } : {}) },
  );
  let log = '';
  server.stderr?.on('data', (chunk: Buffer) => {
    log = (log + chunk.toString()).slice(-4000);
  });
  const failed = new Promise<Error>((resolve) => {
    server.once('error', resolve);
    server.once('exit', (code, name) =>
      resolve(new Error(`postgres exited during the check (${name ?? `code ${code}`}): ${lastLines(log)}`)),
    );
  });

  const client = (tool: string, args: string[], timeoutMs: number) =>
    run(path.join(bin, tool), ['-h', socketDir, '-p', String(port), ...args], {
      timeout: timeoutMs,
      signal,
      env: { ...process.env, PGCONNECT_TIMEOUT: '5', PGOPTIONS: `-c statement_timeout=${timeoutMs}` },
    }).catch((error: Error & { stderr?: string }) => {
      throw new Error(error.stderr?.trim() || error.message);
    });

  const stop = async () => {
    server.kill('SIGINT'); // fast shutdown: roll back, checkpoint the copy, exit
    if (!(await exitedWithin(server, 15_000))) {
      server.kill('SIGQUIT'); // immediate shutdown
      if (!(await exitedWithin(server, 5_000))) {
        server.kill('SIGKILL');
        await exitedWithin(server, 5_000);
      }
    }
    await rm(socketDir, { recursive: true, force: true });
  };

  try {
    const until = Date.now() + startupMs;
    for (;;) {
      signal.throwIfAborted();
      const ready = await Promise.race([
        client('pg_isready', ['-q', '-t', '2'], 5_000).then(
          () => true,
          () => false,
        ),
        failed.then((error) => Promise.reject(error)),
      ]);
      if (ready) break;
      if (Date.now() > until)
        throw new Error(
          `postgres did not accept connections within ${startupMs / 1000} s: ${lastLines(log) || 'no output'}`,
        );
      await delay(200);
    }
  } catch (error) {
    await stop();
    throw error;
  }

  return {
    query: async (database, sql, timeoutMs = 60_000) => {
      const result = client(
        'psql',
        ['-U', 'postgres', '-d', database, '-XAtq', '-v', 'ON_ERROR_STOP=1', '-c', sql],
        timeoutMs,
      );
      const { stdout } = await Promise.race([result, failed.then((error) => Promise.reject(error))]);
      return stdout.trim();
    },
    stop,
  };
}

function lastLines(log: string): string {
  return log.trim().split('\n').slice(-5).join(' | ');
}
