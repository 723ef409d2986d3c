/**
 * PostgreSQL discovery against a REAL server (Debian's postgresql package):
 * initdb a temporary data directory, start it on a free port with its
 * socket in the data directory, create databases, discover them; create
 * another, and re-discovery adds it to the scenario's entities. Skipped,
 * saying why, only when the PostgreSQL binaries are not installed.
 */
import { execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mergeEntities } from '../../../agent/discovery/merge-entities.js';
import { discoverPostgresDatabases } from '../../../agent/discovery/postgresql-databases.js';
import { freePort } from '../../../agent/free-port.js';

function findBin(): string | undefined {
  const versions = existsSync('/usr/lib/postgresql')
    ? readdirSync('/usr/lib/postgresql').sort().reverse()
    : [];
  return versions.map((v) => `/usr/lib/postgresql/${v}/bin`).find((dir) => existsSync(`${dir}/initdb`));
}

const bin = findBin();
if (!bin)
  console.warn('PostgreSQL binaries missing (apt-get install -y postgresql): skipping PostgreSQL discovery');

const isRoot = process.getuid?.() === 0;
// initdb and the server refuse to run as root: run them as the postgres user.
const asOwner = (command: string, args: string[]) =>
  isRoot
    ? execFileSync('runuser', ['-u', 'postgres', '--', command, ...args], { encoding: 'utf8' })
    : execFileSync(command, args, { encoding: 'utf8' });

let base: string;
let data: string;
let port: number;
const sql = (statement: string) =>
  asOwner(`${bin}/psql`, ['-X', '-q', '-h', data, '-p', String(port), '-d', 'postgres', '-c', statement]);

describe.skipIf(!bin)('PostgreSQL databases of a live data directory', () => {
  beforeAll(async () => {
    base = mkdtempSync(path.join(tmpdir(), 'tm-pg-'));
    data = path.join(base, 'data');
    if (isRoot) {
      const id = (flag: string) =>
        Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
      chownSync(base, id('-u'), id('-g'));
    }
    asOwner(`${bin}/initdb`, ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync']);
    port = await freePort();
    asOwner(`${bin}/pg_ctl`, [
      '-D',
      data,
      '-l',
      path.join(base, 'server.log'),
      '-w',
      'start',
      '-o',
      `-p ${port} -k ${data} -c listen_addresses='' -c fsync=off`,
    ]);
    sql('CREATE DATABASE sales');
    sql('CREATE DATABASE "hr data"');
  }, 120_000);

  afterAll(() => {
    if (data && existsSync(path.join(data, 'postmaster.pid'))) {
      asOwner(`${bin}/pg_ctl`, ['-D', data, '-m', 'immediate', '-w', 'stop']);
    }
    if (base) rmSync(base, { recursive: true, force: true });
  });

  it('lists the databases with their base/<oid> directories, from the data directory or its parent', async () => {
    const entities = await discoverPostgresDatabases([data]);
    expect(entities.map((e) => e.name).sort()).toEqual(['hr data', 'postgres', 'sales']);
    for (const entity of entities) {
      expect(entity.kind).toBe('database');
      expect(entity.paths).toHaveLength(1);
      expect(entity.paths[0]).toMatch(new RegExp(`^${data}/base/\\d+$`));
      expect(existsSync(entity.paths[0] as string)).toBe(true);
    }
    expect(await discoverPostgresDatabases([base])).toEqual(entities);
  });

  it('adds a new database on re-discovery and keeps the known ones', async () => {
    const first = await discoverPostgresDatabases([data]);
    sql('CREATE DATABASE stock');
    const second = await discoverPostgresDatabases([data]);
    const { entities, added } = mergeEntities(first, second);
    expect(added.map((e) => e.name)).toEqual(['stock']);
    expect(entities.map((e) => e.name).sort()).toEqual(['hr data', 'postgres', 'sales', 'stock']);
  });

  it('says clearly that the server is not running when postmaster.pid is absent', async () => {
    const stopped = mkdtempSync(path.join(tmpdir(), 'tm-pg-stopped-'));
    try {
      execFileSync('sh', ['-c', `mkdir -p "${stopped}/base" && echo 15 > "${stopped}/PG_VERSION"`]);
      await expect(discoverPostgresDatabases([stopped])).rejects.toThrow(
        `PostgreSQL is not running on ${stopped} (no postmaster.pid); start it to discover its databases`,
      );
    } finally {
      rmSync(stopped, { recursive: true, force: true });
    }
    expect(readFileSync(path.join(data, 'postmaster.pid'), 'utf8')).toContain(String(port));
  });
});
