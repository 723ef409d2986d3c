/** Applies a manifest entry's owner, mode and times to a restored path (before it is renamed into place). */
import { chmod, lchown, lutimes } from 'node:fs/promises';
import type { ManifestEntry } from '../backup/manifest.js';

const canChown = process.getuid?.() === 0;

export async function applyAttributes(path: string, entry: ManifestEntry): Promise<void> {
  // Owner first: chown clears setuid/setgid bits, so the mode must come after it.
  if (canChown) await lchown(path, entry.uid, entry.gid);
  if (entry.type !== 'symlink') await chmod(path, entry.mode);
  await lutimes(path, entry.atimeMs / 1000, entry.mtimeMs / 1000);
}
