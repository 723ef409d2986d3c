/**
 * What the PostgreSQL check tests share: a seeded live cluster in a private
 * base directory for the whole file, hot copies of it into replica folders,
 * and the check run on a writable overlay of a copy-on-write snapshot.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import type { CheckResult } from '../../../agent/adapters/application-check.js';
import { postgresCheck } from '../../../agent/adapters/postgres-check.js';
import { openWritableOverlay } from '../../../agent/adapters/writable-overlay.js';
import { CowSnapshots } from '../../../agent/snapshots/cow-snapshots.js';
import { giveToPostgres, type LiveCluster, seedShop, startLiveCluster } from './postgres-cluster.js';

export interface ClusterFixture {
  base: string;
  live: string;
  cluster: LiveCluster;
}

/** Starts a seeded live cluster before the file's tests and removes it after them. */
export function useLiveCluster(bin: string | undefined): ClusterFixture {
  const fixture = {} as ClusterFixture; // filled in beforeAll, before any test reads it
  beforeAll(async () => {
    if (!bin) return;
    fixture.base = mkdtempSync(path.join(tmpdir(), 'tm-pgar-'));
    fixture.live = path.join(fixture.base, 'live');
    giveToPostgres(fixture.base);
    fixture.cluster = await startLiveCluster(bin, fixture.live, fixture.base);
    seedShop(fixture.cluster);
  }, 60_000);
  afterAll(() => {
    fixture.cluster?.stop();
    if (fixture.base) rmSync(fixture.base, { recursive: true, force: true });
  });
  return fixture;
}

/** A hot copy of the running cluster (like replication's, the server keeps running) to `target`. */
export function hotCopy(live: string, target: string): string {
  execFileSync('mkdir', ['-p', path.dirname(target)]);
  execFileSync('cp', ['-a', live, target]);
  return target;
}

/** The check's temporary directories (overlays, socket directories) now in the temp dir. */
export const leftovers = () =>
  readdirSync(tmpdir())
    .filter((name) => name.startsWith('tidemark-ar-') || name.startsWith('tidemark-pg-'))
    .sort();

/** Runs the check on a writable overlay of a snapshot of `roots`, then discards the overlay. */
export async function checkSnapshotOf(
  diffRoot: string,
  roots: string[],
  signal = AbortSignal.timeout(50_000),
): Promise<CheckResult & { ms: number; overlayDir: string }> {
  // No apply path runs here (the replica folders are plain copies), so the gate has nothing to pause;
  // test/agent/daemon/assured-recovery.test.ts runs the check through the daemon with the engine's snapshots.
  const snapshots = new CowSnapshots({
    liveRoot: '/',
    diffRoot,
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
