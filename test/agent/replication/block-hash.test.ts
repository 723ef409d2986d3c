/**
 * Block hashing against a plain reference (SHA-256 of each 16 KiB block, cut
 * to 16 bytes), on a real file read in several growing chunks with read-ahead
 * (the next read fills one buffer while the last is hashed), with a short
 * last block and all-zero blocks.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, open, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BLOCK_SIZE, HASH_BYTES, hashBlocks } from '../../../agent/replication/block-hash.js';

let dir: string;
let content: Buffer;
let reference: Buffer;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'block-hash-'));
  content = Buffer.concat([
    randomBytes(9 * 1024 * 1024),
    Buffer.alloc(3 * 1024 * 1024),
    randomBytes(8 * 1024 * 1024 + 5000),
  ]);
  await writeFile(join(dir, 'f'), content);
  const parts: Buffer[] = [];
  for (let o = 0; o < content.length; o += BLOCK_SIZE) {
    parts.push(
      createHash('sha256')
        .update(content.subarray(o, o + BLOCK_SIZE))
        .digest()
        .subarray(0, HASH_BYTES),
    );
  }
  reference = Buffer.concat(parts);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('hashBlocks', () => {
  for (const fresh of [false, true]) {
    it(`hashes every block as the reference does and shows each block's bytes (${fresh ? 'fresh buffers' : 'reused buffers'})`, async () => {
      const fd = await open(join(dir, 'f'), 'r');
      const seen: Buffer[] = [];
      let chunks = 0;
      let bad = 0;
      const { hashes, size } = await hashBlocks(
        fd,
        (i, block, hash) => {
          if (!hash.equals(reference.subarray(i * HASH_BYTES, (i + 1) * HASH_BYTES))) bad++;
          if (!block.equals(content.subarray(i * BLOCK_SIZE, i * BLOCK_SIZE + block.length))) bad++;
          if (fresh) seen.push(block);
        },
        async () => {
          chunks++;
        },
        undefined,
        fresh,
      );
      await fd.close();
      expect(size).toBe(content.length);
      expect(hashes.equals(reference)).toBe(true);
      expect(bad).toBe(0);
      expect(chunks).toBeGreaterThan(4);
      // With fresh buffers the blocks stay valid after the call (callers keep views of them).
      if (fresh) expect(Buffer.concat(seen).equals(content)).toBe(true);
    });
  }
});
