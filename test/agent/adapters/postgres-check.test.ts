/**
 * The PostgreSQL assured-recovery check against a REAL server (Debian's
 * postgresql package): a live cluster with a table gets rows after its last
 * checkpoint (so its copy needs crash recovery), its running data directory is
 * copied to a replica folder, a copy-on-write snapshot of that folder is
 * opened as a writable overlay, and the check starts a throwaway server on
 * the overlay, replays the WAL and reads the table. The replica's bytes and
 * the live cluster stay as they were. Skipped, saying why, only when the
 * PostgreSQL binaries are not installed.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresCheck } from '../../../agent/adapters/postgres-check.js';
import { openWritableOverlay } from '../../../agent/adapters/writable-overlay.js';
import { CowSnapshots } from '../../../agent/snapshots/cow-snapshots.js';
import {
  findPostgresBin,
  giveToPostgres,
  type LiveCluster,
  seedShop,
  startLiveCluster,
  treeDigest,
} from './postgres-cluster.js';

const bin = findPostgresBin();
if (!bin)
  console.warn(
    'PostgreSQL binaries missing (apt-get install -y postgresql): skipping the PostgreSQL AR check',
  );

let base: string;
let live: string;
let cluster: LiveCluster;

const leftovers = () =>
  readdirSync(tmpdir())
    .filter((name) => name.startsWith('tidemark-ar-') || name.startsWith('tidemark-pg-'))
    .sort();

/** A replica folder holding a copy of the live data directory at its master path, as replication lays it out. */
function replicaCopy(name: string): string {
  const replicaData = path.join(base, name, live);
  execFileSync('mkdir', ['-p', path.dirname(replicaData)]);
  execFileSync('cp', ['-a', live, replicaData]); // the live server keeps running: a hot copy, like replication's
  return replicaData;
}

/** Runs the check on a writable overlay of a snapshot of `roots`, then discards the overlay. */
async function checkSnapshotOf(roots: string[], signal = AbortSignal.timeout(50_000)) {
  // No apply path runs in this test (the replica folder is a plain copy), so the gate has nothing to pause;
  // test/agent/daemon/assured-recovery.test.ts runs the same check under real replication.
  const snapshots = new CowSnapshots({
    liveRoot: '/',
    diffRoot: path.join(base, 'diff'),
    gate: { pause: async () => ({ release: () => undefined }) },
  });
  const snapshot = await snapshots.take('scenario-pg', 'AR test');
  const view = await snapshots.view(snapshot.id);
  const overlay = await openWritableOverlay(view, roots);
  const started = Date.now();
  try {
    const result = await postgresCheck({ view, overlay, roots, signal });
    return { ...result, ms: Date.now() - started, overlayDir: overlay.pathOf('/') };
  } finally {
    await overlay.discard();
    await snapshots.release(snapshot.id);
  }
}

describe.skipIf(!bin)('PostgreSQL assured-recovery check on a real server', () => {
  beforeAll(async () => {
    base = mkdtempSync(path.join(tmpdir(), 'tm-pgar-'));
    live = path.join(base, 'live');
    giveToPostgres(base);
    cluster = await startLiveCluster(bin as string, live, base);
    seedShop(cluster);
  }, 60_000);

  afterAll(() => {
    cluster?.stop();
    if (base) rmSync(base, { recursive: true, force: true });
  });

  it('starts a throwaway server on a writable overlay, replays the WAL, reads the table, and leaves replica and live cluster as they were', async () => {
    const replicaData = replicaCopy('replica');
    const livePid = readFileSync(path.join(live, 'postmaster.pid'), 'utf8');
    const before = await treeDigest(path.join(base, 'replica'));
    const tmpBefore = leftovers();

    const result = await checkSnapshotOf([replicaData]);
    expect(result.passed, result.report.join('\n')).toBe(true);
    const major = readFileSync(path.join(live, 'PG_VERSION'), 'utf8').trim();
    expect(result.report[0]).toBe(
      `PostgreSQL ${major} on ${replicaData}: a throwaway server started on the overlay`,
    );
    expect(result.report).toContain('SELECT 1 answered');
    expect(result.report).toContain('database shop: 1 tables, 1234 rows read (public.stock 1234)');
    expect(result.report).toContain('database postgres: 0 tables, 0 rows read');

    // The overlay is gone, the replica's bytes (its copied postmaster.pid too) are untouched.
    expect(existsSync(result.overlayDir)).toBe(false);
    expect(leftovers()).toEqual(tmpBefore);
    expect(await treeDigest(path.join(base, 'replica'))).toEqual(before);
    // The live cluster kept running, on its own pid file, with its rows.
    expect(readFileSync(path.join(live, 'postmaster.pid'), 'utf8')).toBe(livePid);
    expect(cluster.sql('shop', 'SELECT count(*) FROM stock')).toBe('1234');
  }, 60_000);

  it('fails clearly and quickly on a data directory without global/pg_control', async () => {
    const replicaData = replicaCopy('broken');
    rmSync(path.join(replicaData, 'global', 'pg_control'));
    const before = await treeDigest(path.join(base, 'broken'));
    const result = await checkSnapshotOf([replicaData]);
    expect(result.passed).toBe(false);
    expect(result.report).toHaveLength(1);
    expect(result.report[0]).toMatch(
      new RegExp(
        `^PostgreSQL \\d+ on ${replicaData}: postgres exited during the check \\(code \\d+\\): .*could not open file "${replicaData}/global/pg_control"`,
      ),
    );
    expect(result.ms).toBeLessThan(15_000);
    expect(await treeDigest(path.join(base, 'broken'))).toEqual(before);
  }, 60_000);

  it('runs on the overlay copy of a pg_wal kept in another root, and refuses a pg_wal outside the roots', async () => {
    const replicaData = replicaCopy('walsplit');
    const walDir = path.join(base, 'walsplit', 'wal');
    execFileSync('mv', [path.join(replicaData, 'pg_wal'), walDir]);
    symlinkSync(walDir, path.join(replicaData, 'pg_wal'));
    const before = await treeDigest(path.join(base, 'walsplit'));

    const split = await checkSnapshotOf([replicaData, walDir]);
    expect(split.passed, split.report.join('\n')).toBe(true);
    expect(split.report).toContain('database shop: 1 tables, 1234 rows read (public.stock 1234)');
    expect(await treeDigest(path.join(base, 'walsplit'))).toEqual(before);

    const outside = await checkSnapshotOf([replicaData]);
    expect(outside.passed).toBe(false);
    expect(outside.report).toEqual([
      expect.stringContaining(
        `${replicaData}/pg_wal links to ${walDir}, outside the scenario's roots: add that directory to the scenario`,
      ),
    ]);
    expect(await treeDigest(path.join(base, 'walsplit'))).toEqual(before);
  }, 60_000);

  it('stops the throwaway server and gives up when the step is aborted while the server runs', async () => {
    const replicaData = path.join(base, 'replica', live); // the first test's copy, which it left unchanged
    const running = () =>
      execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' })
        .split('\n')
        .filter((line) => line.includes('/postgres -D /tmp/tidemark-ar-') && line.includes(replicaData));
    const abort = new AbortController();
    const check = checkSnapshotOf([replicaData], abort.signal);
    const until = Date.now() + 30_000;
    while (running().length === 0 && Date.now() < until)
      await new Promise((resolve) => setTimeout(resolve, 100));
    expect(running()).toHaveLength(1);
    abort.abort(new Error('the step passed its deadline'));
    await expect(check).rejects.toThrow('the step passed its deadline');
    expect(running()).toEqual([]);
  }, 60_000);
});
