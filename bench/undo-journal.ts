/**
 * `npm run bench -- undo-journal`: what data rewind costs the replica. The
 * same Applier applies 4 KiB files with and without a rewind point (so with
 * and without before-images in the undo journal), as new files and as
 * overwrites, three rounds each; medians and their ratio are printed. No
 * peer keeps an undo journal (rsync and lsyncd have no rewind), so the
 * comparison is with the engine itself, journal off.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Applier } from '../agent/replication/applier.js';
import type { JournalRecord } from '../agent/replication/records.js';
import { UndoJournal } from '../agent/replication/undo-journal.js';

const FILES = Number(process.env.BENCH_FILES ?? 5000);
/** Records between flushes: what one acknowledgement covers on a busy stream. */
const BATCH = 256;

async function filesPerSecond(withPoint: boolean, overwrite: boolean): Promise<number> {
  const base = await mkdtemp(join(tmpdir(), 'bench-undo-'));
  const journal = new UndoJournal(join(base, 'undo'), 'bench');
  await journal.open();
  const applier = new Applier({
    roots: ['/data'],
    directory: join(base, 'replica'),
    stateDir: join(base, 'state'),
    hooks: [],
    undo: journal,
  });
  await applier.open();
  const data = Buffer.alloc(4096, 7);
  let seq = 0;
  const put = (i: number): JournalRecord => ({
    kind: 'put',
    seq: ++seq,
    path: `/data/f${i}`,
    data,
    mode: 0o644,
    uid: 0,
    gid: 0,
    mtimeMs: 1_000_000,
  });
  try {
    if (overwrite) {
      for (let i = 0; i < FILES; i++) await applier.apply(put(i));
      await applier.flush();
    }
    if (withPoint) await journal.createPoint('bookmark', 'bench');
    const started = performance.now();
    for (let i = 0; i < FILES; i++) {
      await applier.apply(put(i));
      if (i % BATCH === BATCH - 1) await applier.flush();
    }
    await applier.flush();
    return Math.round(FILES / ((performance.now() - started) / 1000));
  } finally {
    await applier.close();
    await journal.close();
    await rm(base, { recursive: true, force: true });
  }
}

const median = (values: number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;

export async function runUndoJournalBenchmark(): Promise<void> {
  const measures: Record<string, number> = { files: FILES };
  for (const overwrite of [false, true]) {
    const off: number[] = [];
    const on: number[] = [];
    for (let round = 0; round < 3; round++) {
      off.push(await filesPerSecond(false, overwrite));
      on.push(await filesPerSecond(true, overwrite));
    }
    const kind = overwrite ? 'overwrite' : 'new';
    measures[`${kind}FilesPerSecondNoPoint`] = median(off);
    measures[`${kind}FilesPerSecondWithPoint`] = median(on);
    measures[`${kind}Ratio`] = Math.round((median(on) / median(off)) * 100) / 100;
  }
  console.log(JSON.stringify({ benchmark: 'undo-journal', ...measures }));
}
