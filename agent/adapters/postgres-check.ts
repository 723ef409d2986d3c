/**
 * The PostgreSQL check of assured recovery: a throwaway `postgres` starts on
 * the overlay's copy of the data directory (so crash recovery replays the
 * WAL as a failover would), as the `postgres` user, on a free port with its
 * unix socket in a private temp directory and no TCP listener; then
 * `SELECT 1`, and per database a catalogue query; then a fast shutdown.
 * The overlay is thrown away by the caller, so nothing it wrote survives.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { chmod, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir, userInfo } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { freePort } from '../free-port.js';
import type { ApplicationCheck } from './application-check.js';

const run = promisify(execFile);
const STARTUP_MS = 60_000;

async function dataDirectoryIn(overlayRoots: string[]): Promise<string | undefined> {
  for (const root of overlayRoots)
    if (
      await stat(path.join(root, 'PG_VERSION')).then(
        () => true,
        () => false,
      )
    )
      return root;
  return undefined;
}

/** Runs a command as the postgres user (the server refuses to run as root). */
function asPostgres(command: string, args: string[]): [string, string[]] {
  return userInfo().username === 'postgres'
    ? [command, args]
    : ['runuser', ['-u', 'postgres', '--', command, ...args]];
}

async function ownByPostgres(dir: string, overlayBase: string): Promise<void> {
  const { stdout } = await run('id', ['-u', 'postgres']);
  const uid = Number(stdout.trim());
  const gid = Number((await run('id', ['-g', 'postgres'])).stdout.trim());
  await run('chown', ['-R', `${uid}:${gid}`, dir]);
  await chmod(dir, 0o700);
  // The server must reach its directory through the overlay's private parents.
  for (let parent = path.dirname(dir); parent.startsWith(overlayBase); parent = path.dirname(parent)) {
    await chmod(parent, 0o711);
    if (parent === overlayBase) break;
  }
}

async function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  await new Promise((resolve) => child.once('exit', resolve));
}

export const postgresCheck: ApplicationCheck = async ({ overlay, roots }) => {
  const dataDir = await dataDirectoryIn(roots.map((root) => overlay.pathOf(root)));
  if (!dataDir)
    return { passed: false, report: ['PostgreSQL: no data directory (PG_VERSION) in the scenario roots'] };
  const major = (await readFile(path.join(dataDir, 'PG_VERSION'), 'utf8')).trim();
  const bin = `/usr/lib/postgresql/${major}/bin`;
  if (
    !(await stat(path.join(bin, 'postgres')).then(
      () => true,
      () => false,
    ))
  )
    return {
      passed: false,
      report: [`PostgreSQL ${major}: no server binaries at ${bin} (install the postgresql-${major} package)`],
    };

  await rm(path.join(dataDir, 'postmaster.pid'), { force: true }); // the copy's owner is gone; a stale pid file would stop start-up
  await ownByPostgres(dataDir, path.resolve(overlay.pathOf('/')));
  const socketDir = await mkdtemp(path.join(tmpdir(), 'tidemark-pg-'));
  await run('chown', ['postgres', socketDir]);
  const port = await freePort();
  const [command, args] = asPostgres(path.join(bin, 'postgres'), [
    '-D',
    dataDir,
    '-p',
    String(port),
    '-k',
    socketDir,
    '-c',
    'listen_addresses=',
    '-c',
    'fsync=off',
  ]);
  const server = spawn(command, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  server.stderr?.on('data', (chunk: Buffer) => {
    log = (log + chunk.toString()).slice(-4000);
  });
  const psql = async (database: string, sql: string) => {
    const [c, a] = asPostgres(path.join(bin, 'psql'), [
      '-h',
      socketDir,
      '-p',
      String(port),
      '-U',
      'postgres',
      '-d',
      database,
      '-XAtc',
      sql,
    ]);
    return (await run(c, a, { timeout: 30_000 })).stdout.trim();
  };
  const report: string[] = [];
  try {
    const until = Date.now() + STARTUP_MS;
    for (;;) {
      if (server.exitCode !== null) throw new Error(`postgres exited at start-up: ${log.trim()}`);
      const [c, a] = asPostgres(path.join(bin, 'pg_isready'), ['-h', socketDir, '-p', String(port)]);
      if (
        await run(c, a).then(
          () => true,
          () => false,
        )
      )
        break;
      if (Date.now() > until)
        throw new Error(`postgres did not accept connections within ${STARTUP_MS / 1000} s`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    if ((await psql('postgres', 'SELECT 1')) !== '1') throw new Error('SELECT 1 did not return 1');
    report.push(`PostgreSQL ${major}: server started on the overlay, SELECT 1 answered`);
    const databases = (
      await psql(
        'postgres',
        'SELECT datname FROM pg_database WHERE datallowconn AND NOT datistemplate ORDER BY 1',
      )
    )
      .split('\n')
      .filter(Boolean);
    for (const database of databases) {
      const relations = await psql(database, 'SELECT count(*) FROM pg_catalog.pg_class');
      report.push(`database ${database}: ${relations} relations readable`);
    }
    return { passed: true, report };
  } catch (error) {
    return { passed: false, report: [...report, `PostgreSQL ${major}: ${(error as Error).message}`] };
  } finally {
    server.kill('SIGINT'); // fast shutdown
    await exited(server);
    await rm(socketDir, { recursive: true, force: true });
  }
};
