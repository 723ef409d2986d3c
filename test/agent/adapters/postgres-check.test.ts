/**
 * The PostgreSQL assured-recovery check against a REAL server (Debian's
 * postgresql package): a live cluster with a table gets rows after its last
 * checkpoint (so its copy needs crash recovery), its running data directory
 * is copied to a replica folder, a copy-on-write snapshot of that folder is
 * opened as a writable overlay, and the check starts a throwaway server on
 * the overlay, replays the WAL and reads the table. The replica's bytes and
 * the live cluster stay as they were; a broken copy fails fast in the
 * server's words; an aborted step leaves no server behind. Skipped, saying
 * why, only when the PostgreSQL binaries are not installed.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { findPostgresBin, treeDigest } from './postgres-cluster.js';
import { checkSnapshotOf, hotCopy, leftovers, useLiveCluster } from './snapshot-check.js';

const bin = findPostgresBin();
if (!bin)
  console.warn(
    'PostgreSQL binaries missing (apt-get install -y postgresql): skipping the PostgreSQL AR check',
  );

describe.skipIf(!bin)('PostgreSQL assured-recovery check on a real server', () => {
  const pg = useLiveCluster(bin);
  const replicaData = () => path.join(pg.base, 'replica', pg.live);
  const diff = () => path.join(pg.base, 'diff');

  it('starts a throwaway server on a writable overlay, replays the WAL, reads the table, and leaves replica and live cluster as they were', async () => {
    hotCopy(pg.live, replicaData());
    const livePid = readFileSync(path.join(pg.live, 'postmaster.pid'), 'utf8');
    const before = await treeDigest(path.join(pg.base, 'replica'));
    const tmpBefore = leftovers();

    const result = await checkSnapshotOf(diff(), [replicaData()]);
    expect(result.passed, result.report.join('\n')).toBe(true);
    expect(result.report).toEqual([
      `PostgreSQL ${pg.cluster.version} on ${replicaData()}: a throwaway server started on the overlay`,
      'SELECT 1 answered',
      'database postgres: 0 tables, 0 rows read',
      'database shop: 1 tables, 1234 rows read (public.stock 1234)',
    ]);

    // The overlay is gone, the replica's bytes (its copied postmaster.pid too) are untouched.
    expect(existsSync(result.overlayDir)).toBe(false);
    expect(leftovers()).toEqual(tmpBefore);
    expect(await treeDigest(path.join(pg.base, 'replica'))).toEqual(before);
    // The live cluster kept running, on its own pid file, with its rows.
    expect(readFileSync(path.join(pg.live, 'postmaster.pid'), 'utf8')).toBe(livePid);
    expect(pg.cluster.sql('shop', 'SELECT count(*) FROM stock')).toBe('1234');
  }, 60_000);

  it('stops the throwaway server and gives up when the step is aborted while the server runs', async () => {
    const data = replicaData(); // the first test's copy, which it left unchanged
    // Server processes on the overlay of `data`, without their children: a child postgres just forked
    // still shows the server's command line until it sets its own, which once made this count 2.
    const running = () => {
      const rows = execFileSync('ps', ['-eo', 'pid=,ppid=,args='], { encoding: 'utf8' })
        .split('\n')
        .map((line) => line.trim().match(/^(\d+)\s+(\d+)\s+(.*)$/))
        .filter((m): m is RegExpMatchArray => m !== null)
        .filter(([, , , args]) => args?.includes('/postgres -D /tmp/tidemark-ar-') && args.includes(data));
      const pids = new Set(rows.map(([, pid]) => pid));
      return rows.filter(([, , ppid]) => !pids.has(ppid)).map(([, , , args]) => args);
    };
    const abort = new AbortController();
    const check = checkSnapshotOf(diff(), [data], abort.signal);
    const until = Date.now() + 30_000;
    while (running().length === 0 && Date.now() < until)
      await new Promise((resolve) => setTimeout(resolve, 100));
    expect(running()).toHaveLength(1);
    abort.abort(new Error('the step passed its deadline'));
    await expect(check).rejects.toThrow('the step passed its deadline');
    expect(running()).toEqual([]);
  }, 60_000);

  it('fails clearly and quickly on a data directory without global/pg_control', async () => {
    const broken = hotCopy(pg.live, path.join(pg.base, 'broken', pg.live));
    rmSync(path.join(broken, 'global', 'pg_control'));
    const before = await treeDigest(path.join(pg.base, 'broken'));
    const result = await checkSnapshotOf(diff(), [broken]);
    expect(result.passed).toBe(false);
    expect(result.report).toEqual([
      expect.stringMatching(
        new RegExp(
          `^PostgreSQL \\d+ on ${broken}: postgres exited during the check \\(code \\d+\\): .*could not open file "${broken}/global/pg_control"`,
        ),
      ),
    ]);
    expect(result.ms).toBeLessThan(15_000);
    expect(await treeDigest(path.join(pg.base, 'broken'))).toEqual(before);
  }, 60_000);
});
