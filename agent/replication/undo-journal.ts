/**
 * The replica's undo journal: before-images of what apply changes, cut into
 * one segment per rewind point. `rewind` plays the images after a point back
 * newest first. Nothing is journaled while no point exists (there would be
 * nothing to rewind to).
 *
 * - Paths are relative to the replica's target folder and every read and
 *   write goes through its ContainedTree, so a rewind can no more follow a
 *   symlink out of the folder than apply can.
 * - Bounded: past `maxBytes` (or MAX_REWIND_POINTS points) the oldest segments go,
 *   and `onDropped` is told which points fell off.
 * - Durable with the changes: entries are written before apply changes the
 *   bytes they describe and fdatasynced by `sync()`, which the applier calls
 *   before it makes its changes durable and acknowledges them (one sync a
 *   batch: one per entry cut small-file apply from 6,600 to 1,060 files/s).
 *   A crash can therefore lose the images of the last unacknowledged
 *   changes while some of those changes reached the disk: a journal not
 *   closed cleanly gets a `gap` entry at its next open, and a rewind across
 *   it says so in its warnings.
 *
 * Segment file `segments/<n>.seg`: entries of u32 headerLength | JSON header |
 * u32 dataLength | data; the first entry is the point.
 */

import { randomUUID } from 'node:crypto';
import { constants, writeSync } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { mkdir, open, readdir, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { join, posix } from 'node:path';
import type { RewindOutput } from '../../core/agent-commands.js';
import { MAX_REWIND_POINTS } from '../../core/rewind-point.js';
import type { ContainedTree } from '../fs/contained-tree.js';
import { writeAll } from '../fs/write-all.js';
import type { RewindPoint, RewindPointEvent } from '../scenario-runtime.js';

type UndoOp =
  | { op: 'point'; id: string; createdAt: string; event: RewindPointEvent; label?: string }
  /** Bytes at offset were `data`, and the file was `oldSize` long. */
  | { op: 'range'; path: string; offset: number; oldSize: number }
  /** The path did not exist. */
  | { op: 'absent'; path: string }
  /** A whole regular file that was removed or replaced. */
  | { op: 'file'; path: string; mode: number; uid: number; gid: number; mtimeMs: number }
  /** A directory's attributes (mtimeMs -1: a directory that was removed, whose times follow its children). */
  | { op: 'attrs'; path: string; mode: number; uid: number; gid: number; mtimeMs: number; dir: boolean }
  | { op: 'renamed'; from: string; to: string }
  /** The journal was not closed cleanly before this: images of the changes just before `at` may be missing. */
  | { op: 'gap'; at: string };

interface Entry {
  header: UndoOp;
  data: Buffer;
  end: number;
}

interface Segment {
  file: string;
  point: RewindPoint;
  bytes: number;
  /** The size of its point entry, as written (what a rewind truncates the segment back to). */
  pointBytes: number;
}

export interface UndoJournalOptions {
  /** The journal's bytes on disk before the oldest points fall off. */
  maxBytes?: number;
  /** Told the points that fell off (oldest first). */
  onDropped?: (points: RewindPoint[]) => void;
}

const REPORTED_PATHS = 100;
/** Files up to this size are read for their image in synchronous calls. */
const SMALL_FILE = 64 * 1024;
const DEFAULT_MAX_BYTES = 1024 ** 3;

export class UndoJournal {
  private segments: Segment[] = [];
  private readonly dir: string;
  private fd: FileHandle | undefined;
  private next = 1;
  /** Entries written since the last sync. */
  private dirty = false;

  constructor(
    dir: string,
    private readonly scenarioId: string,
    private readonly options: UndoJournalOptions = {},
  ) {
    this.dir = join(dir, 'segments');
    this.cleanMarker = join(dir, 'closed-cleanly');
  }

  private readonly cleanMarker: string;

  async open(): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    // The single-file journal of earlier versions: its points cannot be trusted to bound, so it goes.
    await rm(join(this.dir, '..', 'undo.log'), { force: true });
    const names = (await readdir(this.dir)).filter((n) => n.endsWith('.seg')).sort();
    this.segments = [];
    for (const name of names) {
      const file = join(this.dir, name);
      const entries = await readEntries(file);
      const first = entries[0]?.header;
      // A point whose own entry never reached the disk: nothing can rewind to it.
      if (first?.op !== 'point') {
        await rm(file, { force: true });
        continue;
      }
      const end = entries.at(-1)?.end ?? 0;
      await truncate(file, end); // a torn last entry from a crash
      const pointBytes = entries[0]?.end ?? 0;
      this.segments.push({ file, point: this.pointOf(first), bytes: end, pointBytes });
      this.next = Number.parseInt(name, 10) + 1;
    }
    const clean = await rm(this.cleanMarker).then(
      () => true,
      () => false,
    );
    if (!clean && this.active) {
      await this.append({ op: 'gap', at: new Date().toISOString() });
      await this.sync();
    }
  }

  /** Makes every entry written so far durable; the applier calls it before its own flush. */
  async sync(): Promise<void> {
    if (!this.dirty || !this.fd) return;
    this.dirty = false;
    await this.fd.datasync();
  }

  get active(): boolean {
    return this.segments.length > 0;
  }

  /** Oldest first. */
  listPoints(): RewindPoint[] {
    return this.segments.map((s) => ({ ...s.point }));
  }

  get sizeBytes(): number {
    return this.segments.reduce((n, s) => n + s.bytes, 0);
  }

  /** True when something was journaled since the newest point (a new point would differ from it). */
  get changedSinceLastPoint(): boolean {
    const last = this.segments.at(-1);
    return last !== undefined && last.bytes > last.pointBytes;
  }

  async createPoint(event: RewindPointEvent, label?: string): Promise<RewindPoint> {
    const point: RewindPoint = {
      id: randomUUID(),
      scenarioId: this.scenarioId,
      createdAt: new Date().toISOString(),
      event,
      ...(label ? { label } : {}),
    };
    await this.closeSegment();
    const file = join(this.dir, `${String(this.next++).padStart(12, '0')}.seg`);
    this.fd = await open(file, constants.O_WRONLY | constants.O_CREAT | constants.O_APPEND, 0o600);
    const segment: Segment = { file, point, bytes: 0, pointBytes: 0 };
    this.segments.push(segment);
    try {
      await this.append({ op: 'point', id: point.id, createdAt: point.createdAt, event, label });
      segment.pointBytes = segment.bytes;
      await this.sync();
      await syncDirectory(this.dir);
    } catch (error) {
      this.segments.pop();
      await this.closeSegment();
      await rm(file, { force: true });
      throw error;
    }
    await this.enforceBounds();
    return point;
  }

  /** Journals the bytes about to be overwritten in [offset, offset+length) and the current size. */
  async beforeRange(tree: ContainedTree, path: string, offset: number, length: number): Promise<void> {
    if (!this.active) return;
    const st = await tree.lstat(path);
    if (!st?.isFile()) return this.append({ op: 'absent', path });
    const n = Math.max(0, Math.min(length, st.size - offset));
    const data = Buffer.alloc(n);
    if (n > 0) {
      const fd = await tree.openFile(path, constants.O_RDONLY);
      try {
        await fd.read(data, 0, n, offset);
      } finally {
        await fd.close();
      }
    }
    await this.append({ op: 'range', path, offset, oldSize: st.size }, data);
  }

  /** Journals a whole entry about to be removed or replaced (or that it did not exist). */
  async beforeReplace(tree: ContainedTree, path: string): Promise<void> {
    if (!this.active) return;
    const st = await tree.lstat(path);
    if (!st) return this.append({ op: 'absent', path });
    const owner = { mode: st.mode & 0o7777, uid: st.uid, gid: st.gid };
    if (st.isFile()) {
      // Small files in synchronous calls (as the applier reads them); large ones through the thread pool.
      const small = await tree.readFileSmall(path, (s) => s.isFile() && s.size <= SMALL_FILE);
      const data =
        small.data ??
        (await tree.openFile(path, constants.O_RDONLY).then((fd) => fd.readFile().finally(() => fd.close())));
      return this.append({ op: 'file', path, ...owner, mtimeMs: st.mtimeMs }, data);
    }
    // A directory comes back (its entries have their own images); a symlink the master sends again.
    if (st.isDirectory()) await this.append({ op: 'attrs', path, ...owner, mtimeMs: -1, dir: true });
  }

  async beforeAttributes(tree: ContainedTree, path: string): Promise<void> {
    if (!this.active) return;
    const st = await tree.lstat(path);
    if (!st || st.isSymbolicLink()) return;
    const owner = { mode: st.mode & 0o7777, uid: st.uid, gid: st.gid };
    await this.append({ op: 'attrs', path, ...owner, mtimeMs: st.mtimeMs, dir: st.isDirectory() });
  }

  async renamed(from: string, to: string): Promise<void> {
    if (this.active) await this.append({ op: 'renamed', from, to });
  }

  /**
   * Rolls the tree back to `pointId`, newest change first, and forgets the
   * undone entries (the point itself stays, so it can be rewound to again).
   * Idempotent: a crash half way and a second run end in the same tree.
   */
  async rewind(pointId: string, tree: ContainedTree): Promise<RewindOutput> {
    const at = this.segments.findIndex((s) => s.point.id === pointId);
    if (at < 0) throw new Error(`no rewind point ${pointId} in the journal`);
    await this.closeSegment();
    const later = this.segments.slice(at);
    const changed = new Set<string>();
    const warnings: string[] = [];
    let undone = 0;
    for (const segment of [...later].reverse()) {
      const entries = (await readEntries(segment.file)).slice(1);
      for (const entry of entries.reverse()) {
        if (entry.header.op === 'gap') {
          warnings.push(
            `the replica's agent stopped without closing the journal before ${entry.header.at}; changes it applied in its last moments before may not be undone`,
          );
          continue;
        }
        await undo(tree, entry);
        for (const p of pathsOf(entry.header)) changed.add(`/${p}`);
        undone++;
      }
    }
    const [kept, ...dropped] = later as [Segment, ...Segment[]];
    for (const segment of dropped) await rm(segment.file, { force: true });
    kept.bytes = kept.pointBytes;
    await truncate(kept.file, kept.bytes);
    this.segments = this.segments.slice(0, at + 1);
    this.fd = await open(kept.file, constants.O_WRONLY | constants.O_APPEND);
    return {
      pointId,
      entriesUndone: undone,
      pathsChanged: changed.size,
      paths: [...changed].sort().slice(0, REPORTED_PATHS),
      warnings,
    };
  }

  /** Syncs and closes, and notes the clean close (its absence at the next open is a gap). */
  async close(): Promise<void> {
    await this.sync();
    await this.closeSegment();
    // A full disk here only costs a gap at the next open: the conservative outcome.
    await writeFile(this.cleanMarker, '', { mode: 0o600 }).catch(() => undefined);
  }

  private pointOf(h: Extract<UndoOp, { op: 'point' }>): RewindPoint {
    return {
      id: h.id,
      scenarioId: this.scenarioId,
      createdAt: h.createdAt,
      event: h.event ?? 'bookmark',
      ...(h.label ? { label: h.label } : {}),
    };
  }

  private async closeSegment(): Promise<void> {
    await this.sync();
    const fd = this.fd;
    this.fd = undefined;
    await fd?.close();
  }

  private async append(header: UndoOp, data: Buffer = Buffer.alloc(0)): Promise<void> {
    const segment = this.segments.at(-1);
    if (!segment) return;
    this.fd ??= await open(segment.file, constants.O_WRONLY | constants.O_APPEND);
    const buf = encodeEntry(header, data);
    try {
      // Synchronous: a write to cached pages takes microseconds, the thread-pool trip ~40 µs an entry.
      for (let o = 0; o < buf.length; ) o += writeSync(this.fd.fd, buf, o, buf.length - o);
      this.dirty = true;
    } catch (e) {
      // A full disk: cut the torn entry off, or every entry after it would be unreadable.
      await truncate(segment.file, segment.bytes).catch(() => undefined);
      throw e;
    }
    segment.bytes += buf.length;
    if (header.op !== 'point' && this.sizeBytes > this.maxBytes) await this.enforceBounds();
  }

  private get maxBytes(): number {
    return this.options.maxBytes ?? DEFAULT_MAX_BYTES;
  }

  /** Drops the oldest points past the byte or count bound; the newest goes too when it alone is over. */
  private async enforceBounds(): Promise<void> {
    const dropped: Segment[] = [];
    while (
      this.segments.length > 0 &&
      (this.sizeBytes > this.maxBytes || this.segments.length > MAX_REWIND_POINTS)
    ) {
      const oldest = this.segments.shift() as Segment;
      if (this.segments.length === 0) await this.closeSegment();
      await rm(oldest.file, { force: true });
      dropped.push(oldest);
    }
    if (dropped.length > 0) this.options.onDropped?.(dropped.map((s) => ({ ...s.point })));
  }
}

function encodeEntry(header: UndoOp, data: Buffer): Buffer {
  const h = Buffer.from(JSON.stringify(header));
  const buf = Buffer.allocUnsafe(8 + h.length + data.length);
  buf.writeUInt32LE(h.length, 0);
  h.copy(buf, 4);
  buf.writeUInt32LE(data.length, 4 + h.length);
  data.copy(buf, 8 + h.length);
  return buf;
}

async function readEntries(file: string): Promise<Entry[]> {
  const buf = await readFile(file).catch(() => Buffer.alloc(0));
  const out: Entry[] = [];
  let o = 0;
  while (o + 8 <= buf.length) {
    const hl = buf.readUInt32LE(o);
    if (o + 8 + hl > buf.length) break;
    const dl = buf.readUInt32LE(o + 4 + hl);
    const end = o + 8 + hl + dl;
    if (end > buf.length) break; // torn last entry from a crash: ignored
    out.push({
      header: JSON.parse(buf.toString('utf8', o + 4, o + 4 + hl)) as UndoOp,
      data: buf.subarray(o + 8 + hl, end),
      end,
    });
    o = end;
  }
  return out;
}

function pathsOf(h: UndoOp): string[] {
  if (h.op === 'point' || h.op === 'gap') return [];
  if (h.op === 'renamed') return [h.from, h.to];
  return [h.path];
}

const parentOf = (relative: string) => {
  const dir = posix.dirname(relative);
  return dir === '.' ? '' : dir;
};

/** Plays one before-image back, through the tree (no symlink on the way is followed). */
async function undo(tree: ContainedTree, { header: h, data }: Entry): Promise<void> {
  switch (h.op) {
    case 'point':
    case 'gap':
      return;
    case 'range': {
      const st = await tree.lstat(h.path);
      if (st && !st.isFile()) await removeEntry(tree, h.path);
      const fd = await tree.openFile(h.path, constants.O_RDWR | constants.O_CREAT, 0o600, true);
      try {
        if (data.length > 0) await writeAll(fd, data, h.offset);
        await fd.truncate(h.oldSize);
      } finally {
        await fd.close();
      }
      return;
    }
    case 'absent':
      return removeEntry(tree, h.path);
    case 'file': {
      await removeEntry(tree, h.path);
      const fd = await tree.openFile(
        h.path,
        constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC,
        0o600,
        true,
      );
      try {
        await writeAll(fd, data, 0);
      } finally {
        await fd.close();
      }
      await tree.setAttributes(h.path, { mode: h.mode, uid: h.uid, gid: h.gid, mtimeMs: h.mtimeMs }, 'try');
      return;
    }
    case 'attrs': {
      const st = await tree.lstat(h.path);
      if (h.dir && !st?.isDirectory()) {
        if (st) await removeEntry(tree, h.path);
        await tree.mkdirs(h.path, h.mode);
      } else if (!st || st.isSymbolicLink()) return;
      const mtimeMs = h.mtimeMs >= 0 ? h.mtimeMs : undefined;
      await tree.setAttributes(h.path, { mode: h.mode, uid: h.uid, gid: h.gid, mtimeMs }, 'try');
      return;
    }
    case 'renamed':
      if (!(await tree.lstat(h.to))) return;
      await removeEntry(tree, h.from);
      await tree.mkdirs(parentOf(h.from));
      await tree.rename(h.to, h.from);
      return;
  }
}

/** Removes a file, link or whole directory tree, never following a symlink. */
async function removeEntry(tree: ContainedTree, path: string): Promise<void> {
  const st = await tree.lstat(path).catch(() => undefined);
  if (!st) return;
  if (st.isDirectory()) {
    for (const name of await tree.readdir(path)) await removeEntry(tree, `${path}/${name}`);
    await tree.rmdir(path);
    return;
  }
  await tree.unlink(path);
}

async function syncDirectory(dir: string): Promise<void> {
  const fd = await open(dir, constants.O_RDONLY | constants.O_DIRECTORY);
  try {
    await fd.sync();
  } finally {
    await fd.close();
  }
}
