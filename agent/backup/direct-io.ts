/**
 * Writes and reads a local repository's packs with direct I/O (O_DIRECT):
 * the bytes move between the caller's buffer and the disk without passing
 * through the page cache. Packs are written once and read rarely; through
 * the page cache they would push the replica's own cached data out, and cost
 * a fresh page per 4 KiB. Measured on this project's machine (a VM), 544 MiB
 * after a pause (`dd`, with and without `oflag=direct` / `iflag=direct`):
 * written with fsync, 1.90 s (1.54 s system time) buffered against 0.42 s
 * (0.07 s) direct; read cold, 0.85 s (0.78 s) buffered against 0.44 s
 * (0.02 s) direct.
 *
 * Direct I/O needs the buffer's address, the file offset and the length
 * aligned to the disk's blocks. Buffers here are shared slots, which start
 * on a page boundary (shared-slots.ts). A write sends the body's whole blocks
 * directly and its last partial block through the page cache; a read reads
 * the whole blocks around the range into the slot and says where the range
 * starts in it. A filesystem or a buffer that refuses direct I/O (EINVAL)
 * gets `undefined` back, and the caller does the ordinary read or write.
 */
import { constants } from 'node:fs';
import { type FileHandle, open } from 'node:fs/promises';

/** The alignment asked of offsets and lengths: a page, which covers 512-byte and 4 KiB disk blocks. */
const BLOCK = 4096;

/** What a direct read may use of its slot beyond the range: a partial block on either side. */
export const DIRECT_READ_ROOM = 2 * BLOCK;

/**
 * Creates `file` holding `body`, durably (fsynced); false if the filesystem or `body`'s memory does
 * not allow direct I/O (then the caller writes it the ordinary way, which truncates what is there).
 */
export async function writeFileDirect(file: string, body: Buffer): Promise<boolean> {
  const direct = body.length - (body.length % BLOCK);
  if (direct === 0) return false;
  const handle = await openDirect(file, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC);
  if (!handle) return false;
  try {
    for (let done = 0; done < direct; ) {
      const { bytesWritten } = await handle.write(body, done, direct - done, done);
      done += bytesWritten;
    }
  } catch (error) {
    if (refused(error)) return false;
    throw error;
  } finally {
    await handle.close();
  }
  const rest = await open(file, 'r+');
  try {
    for (let done = direct; done < body.length; ) {
      const { bytesWritten } = await rest.write(body, done, body.length - done, done);
      done += bytesWritten;
    }
    // One fsync covers the file: its direct blocks, its cached tail and its size.
    await rest.sync();
  } finally {
    await rest.close();
  }
  return true;
}

/**
 * Reads the blocks of `file` around `length` bytes at `offset` into `slot` (which needs
 * `length` + DIRECT_READ_ROOM bytes). Returns where the range starts in `slot` and how many bytes of
 * `slot` were filled (fewer than `start + length` if the file ends early), or undefined if the
 * filesystem or `slot`'s memory does not allow direct I/O.
 */
export async function readFileDirect(
  file: string,
  offset: number,
  length: number,
  slot: Buffer,
): Promise<{ start: number; filled: number } | undefined> {
  const start = offset % BLOCK;
  const span = Math.ceil((start + length) / BLOCK) * BLOCK;
  if (span > slot.length) return undefined;
  const handle = await openDirect(file, constants.O_RDONLY);
  if (!handle) return undefined;
  let filled = 0;
  try {
    while (filled < span) {
      const { bytesRead } = await handle.read(slot, filled, span - filled, offset - start + filled);
      filled += bytesRead;
      // Only the file's end gives a read short of whole blocks; reading on from there would be unaligned.
      if (bytesRead === 0 || bytesRead % BLOCK !== 0) break;
    }
  } catch (error) {
    if (refused(error) && filled === 0) return undefined;
    throw error;
  } finally {
    await handle.close();
  }
  return { start, filled };
}

async function openDirect(file: string, flags: number): Promise<FileHandle | undefined> {
  try {
    return await open(file, flags | constants.O_DIRECT, 0o666);
  } catch (error) {
    if (refused(error)) return undefined;
    throw error;
  }
}

function refused(error: unknown): boolean {
  return (error as NodeJS.ErrnoException).code === 'EINVAL';
}
