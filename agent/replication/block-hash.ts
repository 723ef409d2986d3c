/**
 * Fixed-size block hashing, shared by change capture (diff against the last
 * signature) and block-level synchronization (diff against the replica).
 * SHA-256 cut to 16 bytes: this CPU family hashes it in hardware, and 128
 * bits keep accidental collisions out of reach.
 */
import { createHash } from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';

export const BLOCK_SIZE = 16 * 1024;
export const HASH_BYTES = 16;
const READ_CHUNK = 4 * 1024 * 1024;

export function hashBlock(block: Buffer): Buffer {
  return createHash('sha256').update(block).digest().subarray(0, HASH_BYTES);
}

export function isZero(block: Buffer): boolean {
  for (let i = 0; i < block.length; i++) if (block[i] !== 0) return false;
  return true;
}

/** The hash of block `index` in a packed hash list, or undefined past its end. */
export function hashAt(hashes: Buffer, index: number): Buffer | undefined {
  const o = index * HASH_BYTES;
  return o + HASH_BYTES <= hashes.length ? hashes.subarray(o, o + HASH_BYTES) : undefined;
}

/**
 * Reads the file block by block, hashing each; `onBlock` sees every block
 * with its hash, and `afterChunk` runs after each read so callers can flush
 * what they collected without holding a large file in memory.
 */
export async function hashBlocks(
  fd: FileHandle,
  onBlock?: (index: number, block: Buffer, hash: Buffer) => void,
  afterChunk?: () => Promise<void>,
): Promise<{ hashes: Buffer; size: number }> {
  const parts: Buffer[] = [];
  const buf = Buffer.allocUnsafe(READ_CHUNK);
  let position = 0;
  let index = 0;
  for (;;) {
    const { bytesRead } = await fd.read(buf, 0, READ_CHUNK, position);
    if (bytesRead === 0) break;
    for (let o = 0; o < bytesRead; o += BLOCK_SIZE) {
      const block = buf.subarray(o, Math.min(o + BLOCK_SIZE, bytesRead));
      const hash = hashBlock(block);
      parts.push(hash);
      onBlock?.(index, block, hash);
      index++;
    }
    position += bytesRead;
    if (afterChunk) await afterChunk();
    if (bytesRead < READ_CHUNK) break;
  }
  return { hashes: Buffer.concat(parts), size: position };
}
