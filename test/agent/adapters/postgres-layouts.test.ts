/**
 * The PostgreSQL assured-recovery check on the data-directory layouts a
 * replica meets, against a REAL server: `pg_wal` linked to a directory in
 * another scenario root (the overlay's copy is used; a link leaving the
 * roots is refused, since the server would write outside the overlay), and
 * a Debian-style root (/var/lib/postgresql) with two clusters below it
 * whose configuration lives in /etc. Skipped, saying why, only when the
 * PostgreSQL binaries are not installed.
 */
import { execFileSync } from 'node:child_process';
import { rmSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { findPostgresBin, treeDigest } from './postgres-cluster.js';
import { checkSnapshotOf, hotCopy, useLiveCluster } from './snapshot-check.js';

const bin = findPostgresBin();
if (!bin)
  console.warn(
    'PostgreSQL binaries missing (apt-get install -y postgresql): skipping the PostgreSQL AR layouts',
  );

describe.skipIf(!bin)('PostgreSQL assured-recovery check on data-directory layouts', () => {
  const pg = useLiveCluster(bin);
  const diff = () => path.join(pg.base, 'diff');

  it('runs on the overlay copy of a pg_wal kept in another root, and refuses a pg_wal outside the roots', async () => {
    const replicaData = hotCopy(pg.live, path.join(pg.base, 'walsplit', pg.live));
    const walDir = path.join(pg.base, 'walsplit', 'wal');
    execFileSync('mv', [path.join(replicaData, 'pg_wal'), walDir]);
    symlinkSync(walDir, path.join(replicaData, 'pg_wal'));
    const before = await treeDigest(path.join(pg.base, 'walsplit'));

    const split = await checkSnapshotOf(diff(), [replicaData, walDir]);
    expect(split.passed, split.report.join('\n')).toBe(true);
    expect(split.report).toContain('database shop: 1 tables, 1234 rows read (public.stock 1234)');
    expect(await treeDigest(path.join(pg.base, 'walsplit'))).toEqual(before);

    const outside = await checkSnapshotOf(diff(), [replicaData]);
    expect(outside.passed).toBe(false);
    expect(outside.report).toEqual([
      expect.stringContaining(
        `${replicaData}/pg_wal links to ${walDir}, outside the scenario's roots: add that directory to the scenario`,
      ),
    ]);
    expect(await treeDigest(path.join(pg.base, 'walsplit'))).toEqual(before);
  }, 60_000);

  it('checks every cluster below a Debian-style root, whose configuration lives outside the data directory', async () => {
    const major = pg.cluster.version;
    const root = path.join(pg.base, 'debian', pg.base, 'postgresql'); // the replica path of a master's /var/lib/postgresql
    for (const name of ['main', 'second']) {
      const dir = hotCopy(pg.live, path.join(root, major, name));
      for (const file of ['postgresql.conf', 'pg_hba.conf', 'pg_ident.conf']) rmSync(path.join(dir, file));
    }
    const before = await treeDigest(path.join(pg.base, 'debian'));
    const result = await checkSnapshotOf(diff(), [root]);
    expect(result.passed, result.report.join('\n')).toBe(true);
    const clusterLines = (name: string) => [
      `PostgreSQL ${major} on ${root}/${major}/${name}: a throwaway server started on the overlay`,
      'no postgresql.conf in the data directory: started with the defaults',
      'SELECT 1 answered',
      'database postgres: 0 tables, 0 rows read',
      'database shop: 1 tables, 1234 rows read (public.stock 1234)',
    ];
    expect(result.report).toEqual([...clusterLines('main'), ...clusterLines('second')]);
    expect(await treeDigest(path.join(pg.base, 'debian'))).toEqual(before);
  }, 60_000);
});
