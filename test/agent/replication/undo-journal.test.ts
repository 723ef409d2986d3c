/**
 * The undo journal behind data rewind, driven through a real Applier on real
 * directories: segments per point, rewinding renames, removed trees and
 * overwrites, the byte bound that drops the oldest points, reopening after a
 * restart, and a rewind that meets a symlink planted in the replica folder.
 */
import { mkdir, mkdtemp, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ContainedTree } from '../../../agent/fs/contained-tree.js';
import { Applier } from '../../../agent/replication/applier.js';
import type { JournalRecord } from '../../../agent/replication/records.js';
import { UndoJournal } from '../../../agent/replication/undo-journal.js';
import type { RewindPoint } from '../../../core/rewind-point.js';

const ROOT = '/data';
let base: string;
let replica: string;
let journal: UndoJournal;
let applier: Applier;
let seq = 0;
let dropped: RewindPoint[];

async function openPair(maxBytes?: number): Promise<void> {
  journal = new UndoJournal(join(base, 'undo'), 's-1', { maxBytes, onDropped: (p) => dropped.push(...p) });
  await journal.open();
  applier = new Applier({
    roots: [ROOT],
    directory: replica,
    stateDir: join(base, 'state'),
    hooks: [],
    undo: journal,
  });
  await applier.open();
}

/** A record before the stream numbers it (Omit distributed over the union). */
type Unsequenced = JournalRecord extends infer R ? (R extends JournalRecord ? Omit<R, 'seq'> : never) : never;

async function apply(...records: Unsequenced[]): Promise<void> {
  for (const r of records) await applier.apply({ ...r, seq: ++seq } as JournalRecord);
  await applier.flush();
}

const put = (path: string, text: string) =>
  ({
    kind: 'put',
    path: `${ROOT}/${path}`,
    data: Buffer.from(text),
    mode: 0o644,
    uid: 0,
    gid: 0,
    mtimeMs: 1_000_000,
  }) as const;
const file = (path: string) => readFile(join(replica, ROOT, path), 'utf8');
const exists = (path: string) =>
  stat(join(replica, ROOT, path)).then(
    () => true,
    () => false,
  );

async function rewindTo(point: RewindPoint) {
  const tree = await ContainedTree.open(replica);
  try {
    return await journal.rewind(point.id, tree);
  } finally {
    tree.close();
  }
}

beforeEach(async () => {
  base = await mkdtemp(join(tmpdir(), 'tm-undo-'));
  replica = join(base, 'replica');
  seq = 0;
  dropped = [];
  await openPair();
});

afterEach(async () => {
  await applier.close();
  await journal.close();
  await rm(base, { recursive: true, force: true });
});

describe('undo journal', () => {
  it('journals nothing until a point exists', async () => {
    await apply(put('a', 'one'));
    expect(journal.active).toBe(false);
    expect(journal.sizeBytes).toBe(0);
  });

  it('rewinds overwrites, renames, removed trees and new files to the state at the point', async () => {
    await apply(
      { kind: 'mkdir', path: `${ROOT}/dir`, mode: 0o755 },
      put('dir/inner', 'inside'),
      put('doc', 'version one'),
      put('old-name', 'renamed later'),
    );
    const point = await journal.createPoint('bookmark', 'before damage');
    await apply(
      { kind: 'write', path: `${ROOT}/doc`, offset: 0, data: Buffer.from('VERSION TWO, LONGER') },
      { kind: 'rename', path: `${ROOT}/old-name`, to: `${ROOT}/new-name` },
      { kind: 'delete', path: `${ROOT}/dir/inner` },
      { kind: 'rmdir', path: `${ROOT}/dir` },
      put('created', 'after the point'),
    );
    const report = await rewindTo(point);
    expect(await file('doc')).toBe('version one');
    expect(await file('old-name')).toBe('renamed later');
    expect(await exists('new-name')).toBe(false);
    expect(await file('dir/inner')).toBe('inside');
    expect(await exists('created')).toBe(false);
    expect(report.pathsChanged).toBe(report.paths.length);
    expect(report.paths).toEqual(
      expect.arrayContaining([`${ROOT}/doc`, `${ROOT}/created`, `${ROOT}/old-name`, `${ROOT}/dir/inner`]),
    );
    // The point stays, empty, and can be rewound to again.
    expect(journal.listPoints().map((p) => p.id)).toEqual([point.id]);
    expect(journal.changedSinceLastPoint).toBe(false);
  });

  it('rewinds to an older point through newer ones, and forgets the newer', async () => {
    await apply(put('f', 'at first'));
    const first = await journal.createPoint('scheduled');
    await apply(put('f', 'at second'));
    await journal.createPoint('suspend');
    await apply(put('f', 'at third'));
    await rewindTo(first);
    expect(await file('f')).toBe('at first');
    expect(journal.listPoints().map((p) => p.event)).toEqual(['scheduled']);
  });

  it('keeps its points and images across a restart', async () => {
    await apply(put('f', 'before'));
    const point = await journal.createPoint('backup', 'job j-1');
    await apply(put('f', 'after'));
    await applier.close();
    await journal.close();
    await openPair();
    expect(journal.listPoints()).toEqual([point]);
    await rewindTo(point);
    expect(await file('f')).toBe('before');
  });

  it('marks a journal that was not closed cleanly, and a rewind across it warns', async () => {
    await apply(put('f', 'before'));
    const point = await journal.createPoint('scheduled');
    await apply(put('f', 'after'));
    // A crash: the applier and journal are dropped without a close (their descriptors just go).
    await openPair();
    const report = await rewindTo(point);
    expect(await file('f')).toBe('before');
    expect(report.warnings).toEqual([expect.stringMatching(/stopped without closing the journal/)]);
    // A clean close and open adds no gap.
    await journal.close();
    await openPair();
    await apply(put('f', 'again'));
    expect((await rewindTo(point)).warnings).toEqual([]);
  });

  it('drops the oldest points past its byte bound and says which', async () => {
    await applier.close();
    await journal.close();
    await openPair(64 * 1024);
    await apply(put('big', 'x'.repeat(30 * 1024)));
    const oldest = await journal.createPoint('scheduled');
    await apply(put('big', 'y'.repeat(30 * 1024)));
    const middle = await journal.createPoint('scheduled');
    await apply(put('big', 'z'.repeat(30 * 1024)));
    const newest = await journal.createPoint('scheduled');
    await apply(put('big', 'w'.repeat(30 * 1024)));
    expect(dropped.map((p) => p.id)).toEqual([oldest.id]);
    expect(journal.listPoints().map((p) => p.id)).toEqual([middle.id, newest.id]);
    expect(journal.sizeBytes).toBeLessThanOrEqual(64 * 1024);
    await rewindTo(middle);
    expect(await file('big')).toBe('y'.repeat(30 * 1024));
  });

  it('never follows a symlink planted in the replica folder while it rewinds', async () => {
    const outside = join(base, 'outside');
    await mkdir(outside);
    await writeFile(join(outside, 'victim'), 'must survive');
    await apply({ kind: 'mkdir', path: `${ROOT}/dir`, mode: 0o755 });
    const point = await journal.createPoint('bookmark', 'before');
    await apply(put('dir/victim', 'created after the point'));
    // Someone with access to the replica folder swaps the directory for a link out of it.
    await rm(join(replica, ROOT, 'dir'), { recursive: true });
    await symlink(outside, join(replica, ROOT, 'dir'));
    await rewindTo(point).catch(() => undefined);
    expect(await readFile(join(outside, 'victim'), 'utf8')).toBe('must survive');
  });
});
