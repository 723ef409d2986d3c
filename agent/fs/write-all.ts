/**
 * Writes every byte, resuming after short writes. libuv reports a write
 * that stopped part way (the disk filled after some bytes) as a short count,
 * not as an error, so a caller that ignores `bytesWritten` loses the rest
 * without a word; resuming makes the next write fail with the real errno
 * (ENOSPC).
 */
import type { FileHandle } from 'node:fs/promises';

/** Buffers per writev (IOV_MAX is 1024 on Linux). */
const BATCH = 512;

/** Writes `data` at `position`, or at the file's own position when null (e.g. a file opened for append). */
export async function writeAll(
  handle: FileHandle,
  data: Buffer | Buffer[],
  position: number | null = null,
): Promise<void> {
  const parts = Array.isArray(data) ? data : [data];
  let at = position;
  for (let i = 0; i < parts.length; i += BATCH) {
    const pending = parts.slice(i, i + BATCH).filter((p) => p.length > 0);
    while (pending.length > 0) {
      let { bytesWritten } =
        pending.length === 1
          ? await handle.write(pending[0] as Buffer, 0, (pending[0] as Buffer).length, at)
          : await handle.writev(pending, at ?? undefined);
      if (at !== null) at += bytesWritten;
      while (pending.length > 0 && bytesWritten >= (pending[0] as Buffer).length) {
        bytesWritten -= (pending[0] as Buffer).length;
        pending.shift();
      }
      if (bytesWritten > 0) pending[0] = (pending[0] as Buffer).subarray(bytesWritten);
    }
  }
}
