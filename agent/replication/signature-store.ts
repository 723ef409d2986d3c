/**
 * Per-file block signatures on the master: the block hashes of what the
 * replica holds after applying every spooled record. A change is diffed
 * against them so only changed blocks travel.
 *
 * Keyed by inode, so a rename keeps its signature. Each entry records the
 * size and mtime it was computed for; an entry that does not match the file
 * (a crash before its log write, a torn write) is not trusted, and start-up
 * synchronization recomputes it. That makes the store a cache, never a
 * source of truth, so it needs no fsync and no per-entry atomicity.
 *
 * All signatures live in memory, backed by one append-only log that a
 * restart reads back (last entry per key wins) and that is rewritten once
 * it is mostly superseded entries. One file per inode cost a file create
 * per captured file, as much as the capture itself (200,000 small files:
 * 200,000 creates of ~100 µs on ext4).
 */
import { mkdir, open, readdir, readFile, rename, rm, truncate } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { writeAll } from '../fs/write-all.js';

export interface Signature {
  size: number;
  mtimeMs: number;
  hashes: Buffer;
}

/** u32 bodyLength | u32 crc32(body) | body; body = u8 keyLength | key | f64 size | f64 mtimeMs | hashes. */
const HEADER = 8;
/** A removal is an entry with this size. */
const REMOVED = -1;
/** Pending log bytes that make a put wait for the write (memory stays bounded under a burst). */
const FLUSH_AT = 1024 * 1024;
const LOG = 'log';

export class SignatureStore {
  private readonly sigs = new Map<string, Signature>();
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private logBytes = 0;
  private liveBytes = 0;
  private writing: Promise<void> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;
  /** A log write failed: entries since are only in memory until a rewrite succeeds. */
  private logLost = false;

  constructor(private readonly dir: string) {}

  private get logPath(): string {
    return join(this.dir, LOG);
  }

  async open(): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    // Stores from before the log kept one file per inode: a cache, so dropped (the next sync rebuilds it).
    for (const name of await readdir(this.dir))
      if (name !== LOG) await rm(join(this.dir, name), { recursive: true, force: true });
    const log = await readFile(this.logPath).catch(() => Buffer.alloc(0));
    let o = 0;
    for (; o + HEADER <= log.length; ) {
      const length = log.readUInt32LE(o);
      const body = log.subarray(o + HEADER, o + HEADER + length);
      // A torn or corrupt tail (a crash mid-append) ends the log: what follows it is not trusted.
      if (body.length !== length || length < 17 || crc32(body) !== log.readUInt32LE(o + 4)) break;
      const keyLength = body.readUInt8(0);
      const key = body.subarray(1, 1 + keyLength).toString('latin1');
      const size = body.readDoubleLE(1 + keyLength);
      const mtimeMs = body.readDoubleLE(9 + keyLength);
      // Copied out, so the log buffer itself is not kept alive by its entries.
      if (size === REMOVED) this.sigs.delete(key);
      else this.sigs.set(key, { size, mtimeMs, hashes: Buffer.from(body.subarray(17 + keyLength)) });
      o += HEADER + length;
    }
    this.logBytes = o;
    this.liveBytes = 0;
    for (const [key, sig] of this.sigs) this.liveBytes += entryLength(key, sig.hashes.length);
    if (o < log.length || this.logBytes > 2 * this.liveBytes + FLUSH_AT) await this.rewrite();
  }

  /** In memory, so synchronous (callers that await it wait for nothing). */
  get(key: string): Signature | undefined {
    return this.sigs.get(key);
  }

  async put(key: string, sig: Signature): Promise<void> {
    const old = this.sigs.get(key);
    if (old) this.liveBytes -= entryLength(key, old.hashes.length);
    this.sigs.set(key, sig);
    this.liveBytes += entryLength(key, sig.hashes.length);
    await this.log(encodeEntry(key, sig.size, sig.mtimeMs, sig.hashes));
  }

  async remove(key: string): Promise<void> {
    const old = this.sigs.get(key);
    if (!old) return;
    this.liveBytes -= entryLength(key, old.hashes.length);
    this.sigs.delete(key);
    await this.log(encodeEntry(key, REMOVED, 0, Buffer.alloc(0)));
  }

  /** Every signature goes (spool overflow resets the baseline; synchronization rebuilds it). */
  async clear(): Promise<void> {
    this.sigs.clear();
    this.liveBytes = 0;
    this.pending = [];
    this.pendingBytes = 0;
    await this.enqueue(() =>
      this.rewrite().catch(() => {
        this.logLost = true;
      }),
    );
  }

  /** Writes what is pending; the store stays usable. */
  async close(): Promise<void> {
    await this.flush();
  }

  /** Queues an entry; it is written within 100 ms, or at once when much is pending. */
  private async log(entry: Buffer): Promise<void> {
    this.pending.push(entry);
    this.pendingBytes += entry.length;
    if (this.pendingBytes >= FLUSH_AT) return this.flush();
    this.timer ??= setTimeout(() => void this.flush().catch(() => undefined), 100).unref();
  }

  private async flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.pendingBytes === 0) return this.writing;
    const batch = Buffer.concat(this.pending);
    this.pending = [];
    this.pendingBytes = 0;
    return this.enqueue(async () => {
      try {
        if (this.logLost) {
          await this.rewrite();
          this.logLost = false;
          return;
        }
        const fd = await open(this.logPath, 'a', 0o600);
        try {
          await writeAll(fd, batch);
        } finally {
          await fd.close();
        }
        this.logBytes += batch.length;
        if (this.logBytes > 2 * this.liveBytes + FLUSH_AT) await this.rewrite();
      } catch {
        // A full disk: the store is a cache, so capture goes on from memory. The log is cut back
        // to its last whole entry and rewritten whole by the next flush that can write.
        this.logLost = true;
        await truncate(this.logPath, this.logBytes).catch(() => undefined);
      }
    });
  }

  /** Writes run one at a time, in order. */
  private enqueue(write: () => Promise<void>): Promise<void> {
    const next = this.writing.then(write);
    this.writing = next.catch(() => undefined);
    return next;
  }

  /** The log with only the live entries, swapped in by a rename. */
  private async rewrite(): Promise<void> {
    const temp = `${this.logPath}.tmp`;
    const fd = await open(temp, 'w', 0o600);
    let bytes = 0;
    let written = false;
    try {
      let batch: Buffer[] = [];
      let batchBytes = 0;
      for (const [key, sig] of this.sigs) {
        const entry = encodeEntry(key, sig.size, sig.mtimeMs, sig.hashes);
        batch.push(entry);
        batchBytes += entry.length;
        if (batchBytes >= FLUSH_AT) {
          await writeAll(fd, Buffer.concat(batch));
          bytes += batchBytes;
          batch = [];
          batchBytes = 0;
        }
      }
      if (batchBytes > 0) await writeAll(fd, Buffer.concat(batch));
      bytes += batchBytes;
      written = true;
    } finally {
      await fd.close();
      // A rewrite cut short by a full disk must not keep what it took.
      if (!written) await rm(temp, { force: true });
    }
    await rename(temp, this.logPath);
    this.logBytes = bytes;
  }
}

function entryLength(key: string, hashBytes: number): number {
  return HEADER + 17 + key.length + hashBytes;
}

function encodeEntry(key: string, size: number, mtimeMs: number, hashes: Buffer): Buffer {
  const keyLength = Buffer.byteLength(key, 'latin1');
  const buf = Buffer.allocUnsafe(entryLength(key, hashes.length));
  const body = buf.subarray(HEADER);
  body.writeUInt8(keyLength, 0);
  body.write(key, 1, 'latin1');
  body.writeDoubleLE(size, 1 + keyLength);
  body.writeDoubleLE(mtimeMs, 9 + keyLength);
  hashes.copy(body, 17 + keyLength);
  buf.writeUInt32LE(body.length, 0);
  buf.writeUInt32LE(crc32(body), 4);
  return buf;
}

export function signatureKey(stat: { dev: number; ino: number }): string {
  return `${stat.dev}-${stat.ino}`;
}

/** Times travel as float milliseconds; a round trip through utimes keeps them to about a microsecond. */
export function sameTime(a: number, b: number): boolean {
  return Math.abs(a - b) < 0.002;
}

/**
 * File times tick with the kernel's coarse clock (a few ms): a file read
 * this soon after its mtime may still be written within the same tick, and
 * size + mtime would then not show the later write. Such a state is not
 * trusted as "unchanged" next time (as git does with racy index entries).
 */
const RACY_MS = 50;
export const isRacy = (mtimeMs: number) => Date.now() - mtimeMs < RACY_MS;
