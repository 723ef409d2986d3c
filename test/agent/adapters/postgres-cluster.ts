/**
 * A real, live PostgreSQL cluster for the assured-recovery tests (Debian's
 * server binaries; `.ci/run` installs them): initdb in a directory the
 * `postgres` user owns, started with `pg_ctl` on a free port with its socket
 * in a short directory, and a way to hash a tree with owners and modes,
 * which is what "the replica is unchanged" means to a check that chowns
 * its copy.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chownSync, existsSync, readdirSync, readFileSync } from 'node:fs';
import { lstat, readdir, readFile, readlink } from 'node:fs/promises';
import path from 'node:path';
import { freePort } from '../../../agent/free-port.js';

export function findPostgresBin(): string | undefined {
  const versions = existsSync('/usr/lib/postgresql')
    ? readdirSync('/usr/lib/postgresql').sort().reverse()
    : [];
  return versions.map((v) => `/usr/lib/postgresql/${v}/bin`).find((dir) => existsSync(`${dir}/initdb`));
}

const isRoot = process.getuid?.() === 0;

// initdb and the server refuse to run as root: run them as the postgres user.
const asOwner = (command: string, args: string[]) =>
  isRoot
    ? execFileSync('runuser', ['-u', 'postgres', '--', command, ...args], {
        encoding: 'utf8',
        timeout: 60_000,
      })
    : execFileSync(command, args, { encoding: 'utf8', timeout: 60_000 });

/** Gives `dir` to the postgres user when the tests run as root, so the server can write there. */
export function giveToPostgres(dir: string): void {
  if (!isRoot) return;
  const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
  chownSync(dir, id('-u'), id('-g'));
}

export interface LiveCluster {
  dataDir: string;
  /** The major version, as in PG_VERSION. */
  version: string;
  port: number;
  sql(database: string, statement: string): string;
  stop(): void;
}

/** initdb `dataDir` (postgres must be able to create or own it) and start it; socket and log go to `socketDir`. */
export async function startLiveCluster(
  bin: string,
  dataDir: string,
  socketDir: string,
): Promise<LiveCluster> {
  // 1 MiB WAL segments instead of 16: a smaller cluster to copy and replicate.
  asOwner(`${bin}/initdb`, ['-D', dataDir, '-A', 'trust', '-U', 'postgres', '--no-sync', '--wal-segsize=1']);
  const port = await freePort();
  asOwner(`${bin}/pg_ctl`, [
    '-D',
    dataDir,
    '-l',
    path.join(socketDir, 'server.log'),
    '-w',
    '-t',
    '30',
    'start',
    '-o',
    // No autovacuum: an idle cluster then writes nothing while a test copies or replicates it.
    `-p ${port} -k ${socketDir} -c listen_addresses='' -c fsync=off -c autovacuum=off`,
  ]);
  return {
    dataDir,
    version: readFileSync(path.join(dataDir, 'PG_VERSION'), 'utf8').trim(),
    port,
    sql: (database, statement) =>
      asOwner(`${bin}/psql`, [
        '-XAtq',
        '-h',
        socketDir,
        '-p',
        String(port),
        '-d',
        database,
        '-c',
        statement,
      ]).trim(),
    stop: () => {
      if (existsSync(path.join(dataDir, 'postmaster.pid')))
        asOwner(`${bin}/pg_ctl`, ['-D', dataDir, '-m', 'immediate', '-w', '-t', '20', 'stop']);
    },
  };
}

/** A database `shop` with table `stock` of 1234 rows, the last 234 written after a checkpoint. */
export function seedShop(cluster: LiveCluster): void {
  cluster.sql('postgres', 'CREATE DATABASE shop');
  cluster.sql('shop', 'CREATE TABLE stock (id int PRIMARY KEY, item text NOT NULL)');
  cluster.sql('shop', "INSERT INTO stock SELECT i, 'item ' || i FROM generate_series(1, 1000) i");
  cluster.sql('shop', 'CHECKPOINT');
  // After the checkpoint: a copy's WAL holds these rows, which crash recovery on the overlay replays.
  cluster.sql('shop', "INSERT INTO stock SELECT i, 'item ' || i FROM generate_series(1001, 1234) i");
}

/** Every entry under `dir` with its type, mode, owner and content digest. */
export async function treeDigest(dir: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const visit = async (p: string): Promise<void> => {
    const info = await lstat(p);
    const meta = `${info.mode.toString(8)} ${info.uid}:${info.gid}`;
    if (info.isDirectory()) {
      out.set(p, `dir ${meta}`);
      for (const name of await readdir(p)) await visit(path.join(p, name));
    } else if (info.isSymbolicLink()) out.set(p, `link ${meta} ${await readlink(p)}`);
    else
      out.set(
        p,
        `file ${meta} ${createHash('sha256')
          .update(await readFile(p))
          .digest('hex')}`,
      );
  };
  await visit(dir);
  return out;
}
