/** Small state files (applied sequence, flags) replaced atomically: write a temp file, fsync, rename. */
import { open, rename } from 'node:fs/promises';

/** `sync: false` skips the fsync for files whose loss a reader detects and repairs (signatures). */
export async function writeFileAtomic(path: string, content: string | Buffer, sync = true): Promise<void> {
  const temp = `${path}.tmp-${process.pid}`;
  const fd = await open(temp, 'w', 0o600);
  try {
    await fd.writeFile(content);
    if (sync) await fd.datasync();
  } finally {
    await fd.close();
  }
  await rename(temp, path);
}
