/**
 * The master's durable spool: append-only segment files of encoded journal
 * records, named by the sequence number of their first record.
 *
 * Fsync policy (group commit): `append` resolves only after the bytes it
 * wrote are fdatasync'ed; appends that arrive while a sync is running wait
 * for the next one, so one fdatasync covers many records and no caller is
 * ever acknowledged before its records are on disk. Readers only see
 * durable bytes, so a sequence number a replica has applied can never be
 * handed out again after a crash.
 *
 * Recovery on open: the last segment is scanned and cut at the first record
 * that is incomplete or fails its checksum (a torn tail from a crash).
 *
 * Records just made durable are also kept in memory (`recent`) until the
 * reader moves past them, so the sender takes them from there instead of
 * reading back what was written a moment ago; older records, and any
 * reader that falls behind the memory bound, are read from the segments.
 */
import { EventEmitter } from 'node:events';
import type { FileHandle } from 'node:fs/promises';
import { mkdir, open, readdir, rm, stat, truncate } from 'node:fs/promises';
import { join } from 'node:path';
import { faultPoint } from '../fault-points.js';
import { writeAll } from '../fs/write-all.js';
import { syncDirectory, writeFileAtomic } from './atomic-file.js';
import {
  encodeRecordParts,
  type JournalRecord,
  RecordFormatError,
  readRecordAt,
  recordExtent,
  type UnsequencedRecord,
} from './records.js';

interface Segment {
  firstSeq: number;
  /** Sequence number after the last durable record in it. */
  endSeq: number;
  durableBytes: number;
  path: string;
}

/**
 * A spool write or its fdatasync failed (ENOSPC, EIO): the records of that
 * write, and every append after it until `resume()`, were refused. Their
 * sequence numbers are not handed out again, so the replica has a gap that
 * only a synchronization can fill.
 */
export class SpoolWriteError extends Error {
  constructor(
    override readonly cause: Error,
    /** The refused records' sequence numbers: [firstSeq, endSeq). */
    readonly firstSeq: number,
    readonly endSeq: number,
  ) {
    super(
      `spool write failed (${(cause as NodeJS.ErrnoException).code ?? cause.message}): records ${firstSeq}..${endSeq - 1} not spooled`,
    );
  }

  get code(): string | undefined {
    return (this.cause as NodeJS.ErrnoException).code;
  }
}

export interface SpoolCursor {
  seq: number;
  segmentFirstSeq: number;
  offset: number;
}

const SEGMENT_BYTES = 64 * 1024 * 1024;
/** Memory the recent records may hold (their backing buffers, counted once each). */
const RECENT_BYTES = 64 * 1024 * 1024;
const READ_CHUNK = 4 * 1024 * 1024;
const MIN_READ = 64 * 1024;
const nameOf = (seq: number) => `${String(seq).padStart(16, '0')}.seg`;

/** One durable record kept in memory: its encoded parts and where it ends in its segment. */
interface RecentRecord {
  seq: number;
  parts: Buffer[];
  segmentFirstSeq: number;
  end: number;
}

export class Spool extends EventEmitter {
  private segments: Segment[] = [];
  private active!: { segment: Segment; fd: FileHandle; bytes: number };
  private readonly recent: RecentRecords;
  private pending: {
    records: { seq: number; parts: Buffer[] }[];
    bytes: number;
    endSeq: number;
    resolve: () => void;
    reject: (e: Error) => void;
  }[] = [];
  private flushQueued = false;
  /** Set by a failed write: appends are refused until `resume()` (nothing may follow the gap unseen). */
  private failure: SpoolWriteError | undefined;
  private nextSeqValue = 1;
  private closed = false;
  /** Writing, rolling and closing the active segment run one at a time, in call order. */
  private lock: Promise<void> = Promise.resolve();

  private constructor(
    readonly dir: string,
    private readonly segmentBytes: number,
    recentBytes: number,
  ) {
    super();
    this.recent = new RecentRecords(recentBytes);
  }

  /** Memory held by records kept for the reader (backing buffers, each counted once). */
  get memoryBytes(): number {
    return this.recent.bytes;
  }

  /** `recentBytes` bounds the memory kept for the reader (see RecentRecords). */
  static async open(dir: string, segmentBytes = SEGMENT_BYTES, recentBytes = RECENT_BYTES): Promise<Spool> {
    const spool = new Spool(dir, segmentBytes, recentBytes);
    await spool.recover();
    return spool;
  }

  /** The sequence number the next appended record gets. */
  get nextSeq(): number {
    return this.nextSeqValue;
  }

  /** The oldest sequence number still held (equal to nextSeq when empty). */
  get firstSeq(): number {
    return this.segments[0]?.firstSeq ?? this.nextSeqValue;
  }

  /** Bytes on disk in all segments: what the overflow threshold is checked against. */
  get sizeBytes(): number {
    return this.segments.reduce((n, s) => n + s.durableBytes, 0);
  }

  private async recover(): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    const names = (await readdir(this.dir)).filter((n) => /^\d{16}\.seg$/.test(n)).sort();
    for (const name of names) {
      const path = join(this.dir, name);
      const firstSeq = Number(name.slice(0, 16));
      this.segments.push({ firstSeq, endSeq: firstSeq, durableBytes: (await stat(path)).size, path });
    }
    // Only the last segment can hold a torn tail; earlier ones were closed after a sync.
    const last = this.segments.at(-1);
    if (last) {
      const { endSeq, goodBytes } = await scanSegment(last);
      if (goodBytes < last.durableBytes) await truncate(last.path, goodBytes);
      last.endSeq = endSeq;
      last.durableBytes = goodBytes;
      for (let i = 0; i < this.segments.length - 1; i++) {
        const s = this.segments[i] as Segment;
        s.endSeq = (this.segments[i + 1] as Segment).firstSeq;
      }
      this.nextSeqValue = endSeq;
    } else {
      this.nextSeqValue = await readStartSeq(this.dir);
    }
    await this.openActive();
  }

  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.lock.then(fn);
    this.lock = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  private async openActive(emptyStart?: number): Promise<void> {
    let segment = this.segments.at(-1);
    const created = !segment || segment.durableBytes >= this.segmentBytes;
    if (!segment || created) {
      // Appends may already have numbered records past the durable end; the new segment starts at it.
      const firstSeq = segment ? segment.endSeq : (emptyStart ?? this.nextSeqValue);
      segment = { firstSeq, endSeq: firstSeq, durableBytes: 0, path: join(this.dir, nameOf(firstSeq)) };
    }
    const fd = await open(segment.path, 'a', 0o600);
    if (created) this.segments.push(segment);
    this.active = { segment, fd, bytes: segment.durableBytes };
    // fdatasync of a record does not make a new file's name durable: the directory is synced before any.
    if (created) await syncDirectory(this.dir);
  }

  /** Opens the next segment, then closes the full one, so `active` is always an open segment. */
  private async roll(): Promise<void> {
    const full = this.active.fd;
    try {
      await this.openActive();
    } finally {
      if (this.active.fd !== full) await full.close();
    }
  }

  /**
   * Gives the records sequence numbers, appends them, and resolves once they
   * are durable. A write record's data is kept as it is (for writev, then
   * for the reader): the caller must not change it afterwards.
   */
  append(records: UnsequencedRecord[]): Promise<JournalRecord[]> {
    if (this.closed) return Promise.reject(new Error('spool is closed'));
    if (this.failure) return Promise.reject(this.failure);
    const sequenced = records.map((r) => ({ ...r, seq: this.nextSeqValue++ }) as JournalRecord);
    // Encoded records go to writev as they are: joining them would copy every byte once more.
    const encoded = sequenced.map((r) => ({ seq: r.seq, parts: encodeRecordParts(r) }));
    const bytes = encoded.reduce((n, e) => n + partsLength(e.parts), 0);
    return new Promise<JournalRecord[]>((resolve, reject) => {
      this.pending.push({
        records: encoded,
        bytes,
        endSeq: this.nextSeqValue,
        resolve: () => resolve(sequenced),
        reject,
      });
      if (!this.flushQueued) {
        this.flushQueued = true;
        void this.exclusive(() => this.flush());
      }
    });
  }

  private async flush(): Promise<void> {
    try {
      while (this.pending.length > 0) {
        const batch = this.pending.splice(0);
        try {
          // Rolled before a write, not after: a failed roll then refuses the records it was for.
          if (this.active.bytes >= this.segmentBytes) await this.roll();
          await writeAll(
            this.active.fd,
            batch.flatMap((b) => b.records.flatMap((r) => r.parts)),
          );
          faultPoint('spool.before-datasync');
          await this.active.fd.datasync();
          let end = this.active.bytes;
          for (const b of batch) {
            for (const r of b.records) {
              end += partsLength(r.parts);
              this.recent.add({
                seq: r.seq,
                parts: r.parts,
                segmentFirstSeq: this.active.segment.firstSeq,
                end,
              });
            }
          }
          const bytes = batch.reduce((n, b) => n + b.bytes, 0);
          this.active.bytes += bytes;
          this.active.segment.durableBytes = this.active.bytes;
          this.active.segment.endSeq = (batch.at(-1) as (typeof batch)[number]).endSeq;
          for (const b of batch) b.resolve();
          this.emit('durable', this.active.segment.endSeq);
        } catch (e) {
          await this.failWrite(e as Error, batch);
        }
      }
    } finally {
      this.flushQueued = false;
    }
  }

  /**
   * A failed write may have left part of its records in the segment (the
   * file is opened for append, so the next write would land after them):
   * cut it back to its last good size, refuse this batch and everything
   * queued behind it, and tell the owner, who must resynchronize the
   * replica before calling `resume()`.
   */
  private async failWrite(cause: Error, batch: typeof this.pending): Promise<void> {
    const refused = [...batch, ...this.pending.splice(0)];
    const failure = new SpoolWriteError(
      cause,
      refused[0]?.records[0]?.seq ?? this.nextSeqValue,
      refused.at(-1)?.endSeq ?? this.nextSeqValue,
    );
    this.failure = failure;
    await this.cutToDurable();
    for (const b of refused) b.reject(failure);
    this.emit('write-failed', failure);
  }

  /** Truncates the active segment to its durable bytes; false when even that fails. */
  private async cutToDurable(): Promise<boolean> {
    try {
      await this.active.fd.truncate(this.active.bytes);
      return true;
    } catch {
      return false;
    }
  }

  /** The write failure appends are refused for, if any. */
  get writeFailure(): SpoolWriteError | undefined {
    return this.failure;
  }

  /**
   * Accepts appends again after a write failure, once the segment is back at
   * its last good size (the truncate is retried here). Numbering goes on
   * after the refused records.
   */
  resume(): Promise<boolean> {
    return this.exclusive(async () => {
      if (!this.failure) return true;
      if (!(await this.cutToDurable())) return false;
      this.failure = undefined;
      return true;
    });
  }

  /** The sequence number after the last durable record. */
  get durableEndSeq(): number {
    return this.active.segment.endSeq;
  }

  /**
   * Reads durable records from `cursor` (or from sequence number `from` when
   * no cursor is kept), up to about `maxBytes`. Returns the encoded records
   * and the cursor to continue from.
   */
  async read(
    from: SpoolCursor | number,
    maxBytes = READ_CHUNK,
  ): Promise<{ records: Buffer[]; cursor: SpoolCursor }> {
    const { records, cursor } = await this.readParts(from, maxBytes);
    return {
      records: records.map((parts) => (parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts))),
      cursor,
    };
  }

  /**
   * As `read`, with each record as its encoded parts (a write record's data
   * apart from its head), so the sender frames them without joining them.
   * Records still in memory come from there; the reader is assumed to be
   * the only one (one sender per spool), so what it moved past is dropped.
   */
  async readParts(
    from: SpoolCursor | number,
    maxBytes = READ_CHUNK,
  ): Promise<{ records: Buffer[][]; cursor: SpoolCursor }> {
    let cursor: SpoolCursor =
      typeof from === 'number' ? { seq: from, segmentFirstSeq: -1, offset: 0 } : { ...from };
    if (cursor.seq < this.firstSeq) {
      throw new Error(`spool no longer holds record ${cursor.seq} (first held is ${this.firstSeq})`);
    }
    this.recent.dropBefore(cursor.seq);
    const records: Buffer[][] = [];
    let bytes = 0;
    while (bytes < maxBytes) {
      const kept = this.recent.at(cursor.seq);
      if (kept) {
        records.push(kept.parts);
        bytes += partsLength(kept.parts);
        cursor = { seq: kept.seq + 1, segmentFirstSeq: kept.segmentFirstSeq, offset: kept.end };
        this.recent.dropBefore(cursor.seq);
        continue;
      }
      const index = this.segments.findIndex((s) => s.firstSeq <= cursor.seq && cursor.seq < s.endSeq);
      const segment = this.segments[index];
      if (!segment) break;
      if (segment.firstSeq !== cursor.segmentFirstSeq) {
        cursor = { seq: cursor.seq, segmentFirstSeq: segment.firstSeq, offset: 0 };
      }
      const available = segment.durableBytes - cursor.offset;
      // Read about what was asked for (reading a fixed 4 MiB for one 1 MiB record quadrupled the work).
      let length = Math.min(available, Math.max(MIN_READ, maxBytes - bytes));
      if (length <= 0) break;
      let buf = await readAt(segment.path, cursor.offset, length);
      let o = 0;
      for (;;) {
        const found = recordExtent(buf, o);
        if (found && 'need' in found && o === 0 && found.need <= available && length < found.need) {
          // One record larger than the read: read exactly that record.
          length = found.need;
          buf = await readAt(segment.path, cursor.offset, length);
          continue;
        }
        if (!found || 'need' in found) break;
        if (found.seq >= cursor.seq) {
          records.push([found.encoded]);
          bytes += found.encoded.length;
          cursor.seq = found.seq + 1;
        }
        o = found.next;
        if (bytes >= maxBytes) break;
      }
      if (o === 0)
        throw new RecordFormatError(`spool segment ${segment.path} has a record larger than a read`);
      cursor.offset += o;
    }
    return { records, cursor };
  }

  /** Drops whole segments whose records are all at or below `seq` (acknowledged by every replica). */
  release(seq: number): Promise<void> {
    return this.exclusive(() => this.releaseNow(seq));
  }

  private async releaseNow(seq: number): Promise<void> {
    this.recent.dropBefore(seq + 1);
    while (this.segments.length > 1) {
      const s = this.segments[0] as Segment;
      if (s.endSeq - 1 > seq || s === this.active.segment) break;
      this.segments.shift();
      await rm(s.path, { force: true });
    }
    if (this.segments.length === 1 && this.active.segment.endSeq - 1 <= seq && this.active.bytes > 0) {
      await this.rollEmpty();
    }
  }

  /** Overflow: throws every held record away; numbering continues where it was. */
  discardAll(): Promise<void> {
    return this.exclusive(() => this.discardNow());
  }

  private async discardNow(): Promise<void> {
    this.recent.clear();
    const old = this.segments.filter((s) => s !== this.active.segment);
    this.segments = [this.active.segment];
    for (const s of old) await rm(s.path, { force: true });
    await this.rollEmpty();
  }

  /** Starts an empty segment at the durable end (records still pending go into it). */
  private async rollEmpty(): Promise<void> {
    const old = this.active;
    const start = old.segment.endSeq;
    await old.fd.close();
    await writeStartSeq(this.dir, start);
    this.segments = [];
    await rm(old.segment.path, { force: true });
    await this.openActive(start);
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.exclusive(() => this.active.fd.close());
  }
}

const partsLength = (parts: Buffer[]) => parts.reduce((n, b) => n + b.length, 0);

/**
 * Recently durable records in sequence order, bounded by the memory they
 * hold: a record's data is often a view of a larger read buffer, so the
 * bound counts each backing buffer once, whole, while any record uses it.
 */
class RecentRecords {
  private readonly list: RecentRecord[] = [];
  private head = 0;
  private readonly uses = new Map<ArrayBufferLike, number>();
  private heldBytes = 0;

  constructor(private readonly maxBytes: number) {}

  get bytes(): number {
    return this.heldBytes;
  }

  add(r: RecentRecord): void {
    const last = this.list.at(-1);
    // Sequence numbers are contiguous here; anything else (never expected) restarts the list.
    if (last && last.seq + 1 !== r.seq) this.clear();
    this.list.push(r);
    for (const p of r.parts) this.hold(p.buffer, 1);
    while (this.heldBytes > this.maxBytes && this.head < this.list.length) this.dropFirst();
  }

  at(seq: number): RecentRecord | undefined {
    const first = this.list[this.head];
    return first ? this.list[this.head + seq - first.seq] : undefined;
  }

  dropBefore(seq: number): void {
    while (this.head < this.list.length && (this.list[this.head] as RecentRecord).seq < seq) this.dropFirst();
  }

  clear(): void {
    this.list.length = 0;
    this.head = 0;
    this.uses.clear();
    this.heldBytes = 0;
  }

  private dropFirst(): void {
    const r = this.list[this.head] as RecentRecord;
    for (const p of r.parts) this.hold(p.buffer, -1);
    this.head++;
    // Compact now and then instead of shifting on every drop.
    if (this.head === this.list.length) this.clear();
    else if (this.head >= 1024) {
      this.list.splice(0, this.head);
      this.head = 0;
    }
  }

  private hold(buffer: ArrayBufferLike, delta: 1 | -1): void {
    const n = (this.uses.get(buffer) ?? 0) + delta;
    if (n === 0) {
      this.uses.delete(buffer);
      this.heldBytes -= buffer.byteLength;
    } else {
      if (delta === 1 && n === 1) this.heldBytes += buffer.byteLength;
      this.uses.set(buffer, n);
    }
  }
}

/** `length` bytes of a segment from `offset` (durable bytes, so a short read means damage). */
async function readAt(path: string, offset: number, length: number): Promise<Buffer> {
  const buf = Buffer.allocUnsafe(length);
  const fd = await open(path, 'r');
  try {
    const { bytesRead } = await fd.read(buf, 0, length, offset);
    return buf.subarray(0, bytesRead);
  } finally {
    await fd.close();
  }
}

/** Reads a segment and returns where its last good record ends. */
async function scanSegment(segment: Segment): Promise<{ endSeq: number; goodBytes: number }> {
  const fd = await open(segment.path, 'r');
  let offset = 0;
  let endSeq = segment.firstSeq;
  try {
    for (;;) {
      const buf = Buffer.allocUnsafe(READ_CHUNK + 16);
      const { bytesRead } = await fd.read(buf, 0, buf.length, offset);
      if (bytesRead === 0) break;
      let o = 0;
      try {
        for (;;) {
          const found = readRecordAt(buf.subarray(0, bytesRead), o);
          if (!found) break;
          endSeq = found.record.seq + 1;
          o = found.next;
        }
      } catch (e) {
        if (!(e instanceof RecordFormatError)) throw e;
        return { endSeq, goodBytes: offset + o };
      }
      if (o === 0) return { endSeq, goodBytes: offset };
      offset += o;
    }
  } finally {
    await fd.close();
  }
  return { endSeq, goodBytes: offset };
}

/** With no segment left, the next sequence number lives in `next-seq` so numbering never restarts. */
async function readStartSeq(dir: string): Promise<number> {
  try {
    const fd = await open(join(dir, 'next-seq'), 'r');
    try {
      const text = (await fd.readFile('utf8')).trim();
      const n = Number(text);
      return Number.isSafeInteger(n) && n >= 1 ? n : 1;
    } finally {
      await fd.close();
    }
  } catch {
    return 1;
  }
}

async function writeStartSeq(dir: string, seq: number): Promise<void> {
  await writeFileAtomic(join(dir, 'next-seq'), `${seq}\n`);
}
