/**
 * Fixed-size block hashing, shared by change capture (diff against the last
 * signature) and block-level synchronization (diff against the replica).
 * SHA-256 cut to 16 bytes: this CPU family hashes it in hardware, and 128
 * bits keep accidental collisions out of reach.
 */
import { hash as hashOnce } from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';

export const BLOCK_SIZE = 16 * 1024;
export const HASH_BYTES = 16;
const READ_CHUNK = 8 * 1024 * 1024;
/** Reads start small and double up to READ_CHUNK: most files are small, and 8 MiB per file was mostly GC work. */
const FIRST_READ = 128 * 1024;

const ZERO_BLOCK = Buffer.alloc(BLOCK_SIZE);

/** One-shot hashing: a Hash object per 16 KiB block cost ~15% more and left garbage for every block. */
export function hashBlock(block: Buffer): Buffer {
  return hashOnce('sha256', block, 'buffer').subarray(0, HASH_BYTES);
}

/** Holes in sparse files read as zeros: one memcmp tells, and their hash is computed once. */
export const ZERO_HASH = hashBlock(ZERO_BLOCK);

export function isZero(block: Buffer): boolean {
  for (let o = 0; o < block.length; o += BLOCK_SIZE) {
    const part = block.subarray(o, Math.min(o + BLOCK_SIZE, block.length));
    if (!part.equals(ZERO_BLOCK.subarray(0, part.length))) return false;
  }
  return true;
}

function hashOf(block: Buffer): Buffer {
  return block.length === BLOCK_SIZE && block.equals(ZERO_BLOCK) ? ZERO_HASH : hashBlock(block);
}

/** Files up to this size travel whole, as one `put` record: a block diff would save nothing worth a round. */
export const SMALL_FILE = 64 * 1024;

/** The block hashes of bytes held in memory (a small file read whole). */
export function blockHashesOf(data: Buffer): Buffer {
  const hashes: Buffer[] = [];
  for (let o = 0; o < data.length; o += BLOCK_SIZE) hashes.push(hashOf(data.subarray(o, o + BLOCK_SIZE)));
  return Buffer.concat(hashes);
}

/** The hash of block `index` in a packed hash list, or undefined past its end. */
export function hashAt(hashes: Buffer, index: number): Buffer | undefined {
  const o = index * HASH_BYTES;
  return o + HASH_BYTES <= hashes.length ? hashes.subarray(o, o + HASH_BYTES) : undefined;
}

/**
 * Reads the file block by block, hashing each; `onBlock` sees every block
 * with its hash, and `afterChunk` runs after each read so callers can flush
 * what they collected without holding a large file in memory. With a
 * `layout` (see sparse-layout.ts) the holes are not read: their blocks are
 * zeros by definition. With `fresh`, every read gets its own buffer, so the
 * blocks `onBlock` sees stay valid (callers keep views instead of copies).
 */
export async function hashBlocks(
  fd: FileHandle,
  onBlock?: (index: number, block: Buffer, hash: Buffer) => void,
  afterChunk?: () => Promise<void>,
  layout?: { size: number; data: { start: number; end: number }[] },
  fresh = false,
): Promise<{ hashes: Buffer; size: number }> {
  const parts: Buffer[] = [];
  let chunk = FIRST_READ;
  // Two buffers take turns (unless `fresh`): the next read fills one while the other is hashed.
  const spare: Buffer[] = [];
  const bufferFor = (want: number): Buffer => {
    const b = fresh ? undefined : spare.pop();
    return b && b.length >= want ? b : Buffer.allocUnsafe(want);
  };
  let position = 0;
  let index = 0;
  const take = (block: Buffer, hash: Buffer) => {
    parts.push(hash);
    onBlock?.(index, block, hash);
    index++;
  };
  const startRead = (at: number, want: number) => {
    const buf = bufferFor(want);
    chunk = Math.min(chunk * 2, READ_CHUNK);
    return fd.read(buf, 0, want, at).then(({ bytesRead }) => ({ buf, want, bytesRead }));
  };
  const readSpan = async (end: number): Promise<boolean> => {
    // Read-ahead: the next chunk is read (thread pool) while this one is hashed (main thread).
    let next = position < end ? startRead(position, Math.min(chunk, end - position)) : undefined;
    try {
      while (next) {
        const { buf, want, bytesRead } = await next;
        const after = position + bytesRead;
        next = bytesRead === want && after < end ? startRead(after, Math.min(chunk, end - after)) : undefined;
        if (bytesRead === 0) return false;
        for (let o = 0; o < bytesRead; o += BLOCK_SIZE) {
          const block = buf.subarray(o, Math.min(o + BLOCK_SIZE, bytesRead));
          take(block, hashOf(block));
        }
        position = after;
        if (afterChunk) await afterChunk();
        if (!fresh) spare.push(buf);
        if (bytesRead < want) return false;
      }
      return true;
    } finally {
      // A throwing afterChunk leaves a read in flight: its outcome no longer matters.
      next?.catch(() => undefined);
    }
  };
  if (!layout) {
    await readSpan(Number.MAX_SAFE_INTEGER);
    return { hashes: Buffer.concat(parts), size: position };
  }
  for (const range of [...layout.data, { start: layout.size, end: layout.size }]) {
    // A hole: zeros, known without reading.
    let since = 0;
    while (position < range.start) {
      const length = Math.min(BLOCK_SIZE, range.start - position);
      const block = ZERO_BLOCK.subarray(0, length);
      take(block, length === BLOCK_SIZE ? ZERO_HASH : hashBlock(block));
      position += length;
      since += length;
      if (afterChunk && since >= READ_CHUNK) {
        since = 0;
        await afterChunk();
      }
    }
    if (!(await readSpan(range.end))) break;
  }
  if (afterChunk) await afterChunk();
  return { hashes: Buffer.concat(parts), size: position };
}
