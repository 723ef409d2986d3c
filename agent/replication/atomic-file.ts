/**
 * Small state files (applied sequence, flags) replaced atomically: write a
 * temp file, fsync it, rename, then fsync the directory. Without the last
 * step a power loss can bring back the old name (or no name at all) after the
 * new content was reported durable.
 */
import { open, rename } from 'node:fs/promises';
import { dirname } from 'node:path';
import { faultPoint } from '../fault-points.js';

/** `sync: false` skips both fsyncs for files whose loss a reader detects and repairs. */
export async function writeFileAtomic(path: string, content: string | Buffer, sync = true): Promise<void> {
  const temp = `${path}.tmp-${process.pid}`;
  const fd = await open(temp, 'w', 0o600);
  try {
    await fd.writeFile(content);
    if (sync) await fd.datasync();
  } finally {
    await fd.close();
  }
  faultPoint('atomic-file.before-rename');
  await rename(temp, path);
  if (sync) await syncDirectory(dirname(path));
}

/** Makes a directory's entries (a created, renamed or removed name) durable. */
export async function syncDirectory(path: string): Promise<void> {
  const fd = await open(path, 'r');
  try {
    await fd.sync();
  } finally {
    await fd.close();
  }
}
