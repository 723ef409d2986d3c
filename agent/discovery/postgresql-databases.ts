/**
 * PostgreSQL entities: the databases of a live data directory. The server
 * writes where it listens into `postmaster.pid` (pid, data directory,
 * start time, port, socket directory, listen address); the agent asks it
 * with `psql` over that socket, running psql as the data directory's owner
 * so the usual `peer` authentication of local connections accepts it. Each
 * database's files are `base/<oid>` under the data directory.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Entity } from '../../core/scenario.js';
import { requireDirectory } from './require-directory.js';

const run = promisify(execFile);

const QUERY =
  'SELECT oid, datname FROM pg_database WHERE datallowconn AND NOT datistemplate ORDER BY datname';

export interface PostmasterInfo {
  pid: number;
  port: number;
  /** The Unix socket directory, or the TCP listen address when there is no socket. */
  host: string;
}

export function parsePostmasterPid(text: string, dataDirectory: string): PostmasterInfo {
  const lines = text.split('\n');
  const pid = Number(lines[0]);
  const port = Number(lines[3]);
  if (!Number.isInteger(pid) || pid <= 0 || !Number.isInteger(port) || port <= 0) {
    throw new Error(`${dataDirectory}/postmaster.pid is not a PostgreSQL lock file (no pid or port)`);
  }
  const socketDir = lines[4]?.trim();
  const listen = lines[5]?.trim().split(/[ ,]/)[0];
  const host = socketDir || (listen && listen !== '*' ? listen : '127.0.0.1');
  return { pid, port, host };
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function isDataDirectory(dir: string): boolean {
  return existsSync(path.join(dir, 'PG_VERSION')) && existsSync(path.join(dir, 'base'));
}

/** The data directories at or just below each root (a root may be /var/lib/postgresql). */
async function findDataDirectories(roots: string[]): Promise<string[]> {
  const found: string[] = [];
  const visit = async (dir: string, depth: number) => {
    if (isDataDirectory(dir)) {
      found.push(dir);
      return;
    }
    if (depth === 2) return;
    const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
    for (const entry of entries) if (entry.isDirectory()) await visit(path.join(dir, entry.name), depth + 1);
  };
  for (const root of roots) {
    await requireDirectory(root);
    await visit(root, 0);
  }
  return found;
}

/** psql from the server's own version directory when present (Debian keeps several), else from PATH. */
async function psqlFor(dataDirectory: string): Promise<string> {
  const version = (await readFile(path.join(dataDirectory, 'PG_VERSION'), 'utf8')).trim();
  const debian = `/usr/lib/postgresql/${version}/bin/psql`;
  return existsSync(debian) ? debian : 'psql';
}

async function ownerOf(dataDirectory: string): Promise<{ uid: number; gid: number; name: string }> {
  const { uid, gid } = await stat(dataDirectory);
  const passwd = await readFile('/etc/passwd', 'utf8').catch(() => '');
  const name = passwd
    .split('\n')
    .map((line) => line.split(':'))
    .find((fields) => fields[2] === String(uid))?.[0];
  return { uid, gid, name: name ?? 'postgres' };
}

export async function listDatabases(dataDirectory: string): Promise<Array<{ oid: string; name: string }>> {
  const pidFile = path.join(dataDirectory, 'postmaster.pid');
  const text = await readFile(pidFile, 'utf8').catch(() => undefined);
  if (text === undefined) {
    throw new Error(
      `PostgreSQL is not running on ${dataDirectory} (no postmaster.pid); start it to discover its databases`,
    );
  }
  const server = parsePostmasterPid(text, dataDirectory);
  if (!isAlive(server.pid)) {
    throw new Error(
      `PostgreSQL is not running on ${dataDirectory} (postmaster.pid names pid ${server.pid}, which has exited)`,
    );
  }
  const owner = await ownerOf(dataDirectory);
  const asOwner = process.getuid?.() === 0 ? { uid: owner.uid, gid: owner.gid } : {};
  try {
    const { stdout } = await run(
      await psqlFor(dataDirectory),
      [
        '-X',
        '-q',
        '-A',
        '-t',
        '-F',
        '\t',
        '-h',
        server.host,
        '-p',
        String(server.port),
        '-U',
        owner.name,
        '-d',
        'postgres',
        '-c',
        QUERY,
      ],
      { ...asOwner, timeout: 15_000, env: { ...process.env, PGCONNECT_TIMEOUT: '5', HOME: '/tmp' } },
    );
    return stdout
      .split('\n')
      .filter((line) => line.includes('\t'))
      .map((line) => {
        const [oid = '', name = ''] = line.split('\t');
        return { oid, name };
      });
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr?.trim();
    throw new Error(
      `cannot list the databases of ${dataDirectory} on port ${server.port}: ${stderr || (error as Error).message}`,
    );
  }
}

export async function discoverPostgresDatabases(roots: string[]): Promise<Entity[]> {
  const directories = await findDataDirectories(roots);
  if (directories.length === 0) {
    throw new Error(`no PostgreSQL data directory (PG_VERSION and base/) at or below ${roots.join(', ')}`);
  }
  const entities: Entity[] = [];
  for (const dataDirectory of directories) {
    for (const database of await listDatabases(dataDirectory)) {
      entities.push({
        name: directories.length > 1 ? `${database.name} (${dataDirectory})` : database.name,
        kind: 'database',
        paths: [path.join(dataDirectory, 'base', database.oid)],
      });
    }
  }
  return entities;
}
