/**
 * CowView's fast paths for files apply has not touched: their live file is read directly (one read,
 * or by a CPU worker through `plainPath`), and kept only if no record appeared meanwhile. Real files;
 * the snapshot is built by hand, and a records map that gains its entry during the read stands for
 * apply's hook firing while the backup reads.
 */
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toViewStat } from '../../../agent/backup/directory-view.js';
import type { CowSnapshot, EntryRecord } from '../../../agent/snapshots/cow-snapshots.js';
import { CowView } from '../../../agent/snapshots/cow-view.js';

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'tm-cow-view-'));
});
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** Records that show `late` only from the second lookup on: the hook "fires" after the first check. */
class LateRecords extends Map<string, EntryRecord> {
  private lookups = 0;
  constructor(
    private readonly late: string,
    private readonly record: EntryRecord,
  ) {
    super();
  }
  override has(key: string): boolean {
    if (key === this.late && ++this.lookups > 1) this.set(key, this.record);
    return super.has(key);
  }
}

function snapshotWith(records: Map<string, EntryRecord>): CowSnapshot {
  return {
    info: { id: 'cow-test', scenarioId: 's', provider: 'cow', createdAt: new Date().toISOString() },
    dir,
    // Every file here was born before the snapshot.
    threshold: BigInt(Date.now() + 3_600_000) * 1_000_000n,
    records,
    inodes: new Map(),
  };
}

describe('CowView', () => {
  it('reads an untouched file live in one go, and gives it a plain path while no record exists', async () => {
    const file = path.join(dir, 'untouched.bin');
    await writeFile(file, Buffer.alloc(300_000, 7));
    const view = new CowView(snapshotWith(new Map()));
    const buffer = Buffer.alloc(300_001);
    expect(await view.read(file, buffer, 0, buffer.length)).toBe(300_000);
    expect(buffer.subarray(0, 300_000).equals(Buffer.alloc(300_000, 7))).toBe(true);
    expect(view.plainPath(file)).toBe(file);
    expect(view.stillPlain(file)).toBe(true);
  });

  it('returns the snapshot bytes of a file apply recorded while the live read ran', async () => {
    const file = path.join(dir, 'changed.bin');
    const old = Buffer.alloc(100_000, 1);
    await writeFile(file, old);
    const stats = toViewStat(await stat(file));
    // Apply preserved the file's first two blocks, then overwrote them live.
    await writeFile(path.join(dir, 'shadow-1'), old.subarray(0, 2 * 65536));
    await writeFile(file, Buffer.alloc(100_000, 2));
    const record: EntryRecord = { stat: stats, shadow: 'shadow-1', blocks: new Set([0, 1]) };
    const view = new CowView(snapshotWith(new LateRecords(file, record)));
    const buffer = Buffer.alloc(100_000);
    expect(await view.read(file, buffer, 0, buffer.length)).toBe(100_000);
    expect(buffer.equals(old)).toBe(true);
    // Now recorded: no plain path, and a batch read earlier would be discarded.
    expect(view.stillPlain(file)).toBe(false);
    expect(view.plainPath(file)).toBeUndefined();
  });
});
