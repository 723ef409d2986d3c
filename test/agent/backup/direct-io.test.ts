/**
 * Direct I/O for a local repository's packs: a page-aligned body (a shared
 * slot) is written past the page cache, an unaligned one is refused without
 * harm, and either way `put` stores the bytes exactly; reads of odd ranges
 * land in a slot whole-block aligned and give back exactly the range. The test
 * directory is under os.tmpdir(), which on this project's machines is ext4
 * (it allows direct I/O).
 */
import { randomFillSync } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIRECT_READ_ROOM, readFileDirect, writeFileDirect } from '../../../agent/backup/direct-io.js';
import { alignedSharedBuffer, SharedSlots } from '../../../agent/backup/shared-slots.js';
import { ShortObject } from '../../../agent/backup/storage.js';
import { LocalDirectoryStorage } from '../../../agent/backup/storage-local.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'tidemark-direct-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function randomBody(buffer: Buffer): Buffer {
  randomFillSync(buffer);
  return buffer;
}

describe('writeFileDirect', () => {
  it('writes a page-aligned body with a partial last block exactly', async () => {
    const body = randomBody(alignedSharedBuffer(3 * 4096 + 1234));
    const file = path.join(dir, 'aligned');
    expect(await writeFileDirect(file, body)).toBe(true);
    expect((await readFile(file)).equals(body)).toBe(true);
  });

  it('writes from any slot of a pool, each starting on a page boundary', async () => {
    const slots = new SharedSlots(3 * 4096 + 5, 3);
    for (let i = 0; i < 3; i++) {
      const slot = randomBody(await slots.acquire());
      const file = path.join(dir, `slot-${i}`);
      expect(await writeFileDirect(file, slot)).toBe(true);
      expect((await readFile(file)).equals(slot)).toBe(true);
    }
  });

  it('refuses a body off a page boundary and shorter than a block, so the caller writes it', async () => {
    const slot = randomBody(alignedSharedBuffer(8 * 4096));
    expect(await writeFileDirect(path.join(dir, 'unaligned'), slot.subarray(100, 100 + 4 * 4096))).toBe(
      false,
    );
    expect(await writeFileDirect(path.join(dir, 'short'), slot.subarray(0, 4000))).toBe(false);
  });
});

describe('readFileDirect', () => {
  it('reads odd ranges through whole blocks and says where they start and how far the file went', async () => {
    const body = randomBody(alignedSharedBuffer(5 * 4096 + 321));
    const file = path.join(dir, 'to-read');
    expect(await writeFileDirect(file, body)).toBe(true);
    const slot = alignedSharedBuffer(64 * 1024);
    for (const [offset, length] of [
      [0, 4096],
      [1, 10],
      [4095, 4098],
      [9000, body.length - 9000],
    ] as const) {
      const read = await readFileDirect(file, offset, length, slot);
      expect(read?.start).toBe(offset % 4096);
      const { start, filled } = read as { start: number; filled: number };
      expect(filled).toBeGreaterThanOrEqual(start + length);
      expect(slot.subarray(start, start + length).equals(body.subarray(offset, offset + length))).toBe(true);
    }
    // Past the end: the bytes that exist, and no more.
    const past = await readFileDirect(file, body.length - 100, 200, slot);
    expect(past).toEqual({ start: (body.length - 100) % 4096, filled: ((body.length - 100) % 4096) + 100 });
  });

  it('gives up without reading into a slot off a page boundary or too small for whole blocks', async () => {
    const file = path.join(dir, 'aligned');
    const slot = alignedSharedBuffer(64 * 1024);
    expect(await readFileDirect(file, 0, 4096, slot.subarray(100))).toBeUndefined();
    expect(await readFileDirect(file, 10, 4096, slot.subarray(0, 4096))).toBeUndefined();
  });
});

describe('LocalDirectoryStorage.put', () => {
  it('stores aligned, unaligned and gathered bodies byte for byte and leaves no temp files', async () => {
    const storage = new LocalDirectoryStorage(dir);
    const slot = randomBody(alignedSharedBuffer(3 * 1024 * 1024));
    const bodies: Record<string, Buffer | Buffer[]> = {
      'packs/aligned': slot.subarray(0, 2 * 1024 * 1024 + 77),
      'packs/unaligned': slot.subarray(13, 13 + 2 * 1024 * 1024),
      'packs/parts': [slot.subarray(0, 1000), slot.subarray(5000, 2 * 1024 * 1024)],
    };
    for (const [key, body] of Object.entries(bodies)) await storage.put(key, body);
    for (const [key, body] of Object.entries(bodies))
      expect((await storage.get(key)).equals(Array.isArray(body) ? Buffer.concat(body) : body)).toBe(true);
    expect((await readdir(path.join(dir, 'packs'))).sort()).toEqual(['aligned', 'parts', 'unaligned']);
  });
});

describe('LocalDirectoryStorage.readInto', () => {
  it('returns exactly the range asked for, and names where a short pack ends', async () => {
    const storage = new LocalDirectoryStorage(dir);
    const body = randomBody(alignedSharedBuffer(2 * 1024 * 1024 + 4321));
    await storage.put('packs/read-back', body);
    const slot = alignedSharedBuffer(1024 * 1024 + DIRECT_READ_ROOM);
    const start = await storage.readInto('packs/read-back', 12345, 1024 * 1024, slot);
    expect(slot.subarray(start, start + 1024 * 1024).equals(body.subarray(12345, 12345 + 1024 * 1024))).toBe(
      true,
    );
    const short = await storage
      .readInto('packs/read-back', body.length - 10, 20, slot)
      .catch((e: unknown) => e);
    expect(short).toBeInstanceOf(ShortObject);
    expect((short as ShortObject).size).toBe(body.length);
  });
});
