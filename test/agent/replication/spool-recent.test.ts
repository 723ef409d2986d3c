/**
 * The spool keeps just-durable records in memory for its reader (the
 * sender): what it hands out from memory must be exactly what the segments
 * hold, a reader behind the memory bound continues from the files, and the
 * bound counts the whole buffer a record's data is a view of.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { decodeRecord, type UnsequencedRecord } from '../../../agent/replication/records.js';
import { Spool, type SpoolCursor } from '../../../agent/replication/spool.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'spool-recent-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const write = (i: number, data = Buffer.alloc(1000, i % 256)): UnsequencedRecord => ({
  kind: 'write',
  path: `/srv/x/f${i}`,
  offset: i * 1000,
  data,
});

/** Every record from `from` on, joined, through `readParts` with small reads. */
async function readAll(spool: Spool, from: number): Promise<Buffer[]> {
  let cursor: SpoolCursor | number = from;
  const out: Buffer[] = [];
  for (;;) {
    const { records, cursor: next } = await spool.readParts(cursor, 3000);
    if (records.length === 0) return out;
    out.push(...records.map((parts) => Buffer.concat(parts)));
    cursor = next;
  }
}

describe('spool records kept in memory for the reader', () => {
  it('hands out from memory exactly the bytes the segments hold, across segment rolls', async () => {
    const spool = await Spool.open(dir, 8000);
    for (let i = 1; i <= 40; i++) await spool.append([write(i)]);
    expect(spool.memoryBytes).toBeGreaterThan(0);
    const fromMemory = await readAll(spool, 1);
    // Read past: nothing is held any more.
    expect(spool.memoryBytes).toBe(0);
    await spool.close();
    const reopened = await Spool.open(dir, 8000); // a fresh process: everything comes from the files
    expect(reopened.memoryBytes).toBe(0);
    const fromFiles = await readAll(reopened, 1);
    expect(fromMemory.map((b) => decodeRecord(b).seq)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    expect(fromMemory).toEqual(fromFiles);
    await reopened.close();
  });

  it('continues from the files when the reader is behind the memory bound, and from memory after', async () => {
    const spool = await Spool.open(dir, 16000, 10_000);
    for (let i = 1; i <= 30; i++) await spool.append([write(i)]);
    // About ten 1000-byte buffers fit; the first twenty records are only on disk.
    expect(spool.memoryBytes).toBeLessThanOrEqual(10_000);
    const first = await spool.readParts(1, 2500);
    expect(first.records.map((p) => decodeRecord(Buffer.concat(p)).seq)).toEqual([1, 2, 3]);
    const rest = await readAll(spool, 1);
    expect(rest.map((b) => decodeRecord(b).seq)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
    // A cursor handed out from memory continues correctly from a file read too (the memory was dropped).
    for (let i = 31; i <= 35; i++) await spool.append([write(i)]);
    const next = await spool.readParts(31, 1500);
    await spool.append([write(36)]);
    const after = await readAll(spool, 1);
    expect(after.map((b) => decodeRecord(b).seq)).toEqual(Array.from({ length: 36 }, (_, i) => i + 1));
    const tail = await spool.readParts(next.cursor, 1_000_000);
    expect(tail.records.map((p) => decodeRecord(Buffer.concat(p)).seq)).toEqual([33, 34, 35, 36]);
    await spool.close();
  });

  it('counts the whole buffer a small record is a view of, and frees memory on release and overflow', async () => {
    const spool = await Spool.open(dir, 64 * 1024 * 1024, 4 * 1024 * 1024);
    // Each record's 100 bytes are a view of its own 1 MiB read buffer (as capture's changed blocks are).
    for (let i = 1; i <= 10; i++)
      await spool.append([write(i, Buffer.alloc(1024 * 1024, i).subarray(0, 100))]);
    expect(spool.memoryBytes).toBeLessThanOrEqual(4 * 1024 * 1024);
    expect(spool.memoryBytes).toBeGreaterThanOrEqual(3 * 1024 * 1024);
    const all = await readAll(spool, 1);
    expect(all.map((b) => decodeRecord(b).seq)).toEqual(Array.from({ length: 10 }, (_, i) => i + 1));
    for (let i = 11; i <= 12; i++)
      await spool.append([write(i, Buffer.alloc(1024 * 1024, i).subarray(0, 100))]);
    // Record heads are small pieces of Node's shared 8 KiB pool: that pool counts too.
    const MIB = 1024 * 1024;
    expect(spool.memoryBytes).toBeGreaterThanOrEqual(2 * MIB);
    expect(spool.memoryBytes).toBeLessThan(2 * MIB + 64 * 1024);
    await spool.release(11);
    expect(spool.memoryBytes).toBeGreaterThanOrEqual(MIB);
    expect(spool.memoryBytes).toBeLessThan(MIB + 64 * 1024);
    await spool.append([write(13)]);
    await spool.discardAll();
    expect(spool.memoryBytes).toBe(0);
    await spool.close();
  });
});
