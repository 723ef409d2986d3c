/**
 * Per-file block signatures on the master: the block hashes of what the
 * replica holds after applying every spooled record. A change is diffed
 * against them so only changed blocks travel.
 *
 * Keyed by inode, so a rename keeps its signature. Each entry records the
 * size and mtime it was computed for; an entry that does not match the file
 * (a crash between spool append and signature write) is not trusted, and
 * start-up synchronization recomputes it.
 */
import { mkdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { writeFileAtomic } from './atomic-file.js';

export interface Signature {
  size: number;
  mtimeMs: number;
  hashes: Buffer;
}

const HEADER = 4 + 8 + 8;

export class SignatureStore {
  private readonly cache = new Map<string, Signature>();

  constructor(private readonly dir: string) {}

  async open(): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
  }

  private fileOf(key: string): string {
    return join(this.dir, key);
  }

  async get(key: string): Promise<Signature | undefined> {
    const hit = this.cache.get(key);
    if (hit) return hit;
    let buf: Buffer;
    try {
      buf = await readFile(this.fileOf(key));
    } catch {
      return undefined;
    }
    if (buf.length < HEADER || crc32(buf.subarray(4)) !== buf.readUInt32LE(0)) return undefined;
    const sig = { size: buf.readDoubleLE(4), mtimeMs: buf.readDoubleLE(12), hashes: buf.subarray(HEADER) };
    this.cache.set(key, sig);
    return sig;
  }

  async put(key: string, sig: Signature): Promise<void> {
    const buf = Buffer.allocUnsafe(HEADER + sig.hashes.length);
    buf.writeDoubleLE(sig.size, 4);
    buf.writeDoubleLE(sig.mtimeMs, 12);
    sig.hashes.copy(buf, HEADER);
    buf.writeUInt32LE(crc32(buf.subarray(4)), 0);
    this.cache.set(key, sig);
    await writeFileAtomic(this.fileOf(key), buf, false);
  }

  async remove(key: string): Promise<void> {
    this.cache.delete(key);
    await rm(this.fileOf(key), { force: true });
  }

  /** Every signature goes (spool overflow resets the baseline; synchronization rebuilds it). */
  async clear(): Promise<void> {
    this.cache.clear();
    await rm(this.dir, { recursive: true, force: true });
    await this.open();
  }
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
