/** Applies a manifest entry's owner, mode and times to a restored path (before it is renamed into place). */
import { chmodSync, lchownSync, lutimesSync } from 'node:fs';
import { chmod, lchown, lutimes } from 'node:fs/promises';
import type { ManifestEntry } from '../backup/manifest.js';

const canChown = process.getuid?.() === 0;

export type Attributes = Pick<ManifestEntry, 'type' | 'uid' | 'gid' | 'mode' | 'atimeMs' | 'mtimeMs'>;

export async function applyAttributes(path: string, entry: Attributes): Promise<void> {
  // Owner first: chown clears setuid/setgid bits, so the mode must come after it.
  if (canChown) await lchown(path, entry.uid, entry.gid);
  if (entry.type !== 'symlink') await chmod(path, entry.mode);
  await lutimes(path, entry.atimeMs / 1000, entry.mtimeMs / 1000);
}

/** The same, synchronously, for batches on a CPU worker (file-batches.ts). */
export function applyAttributesSync(path: string, entry: Attributes): void {
  if (canChown) lchownSync(path, entry.uid, entry.gid);
  if (entry.type !== 'symlink') chmodSync(path, entry.mode);
  lutimesSync(path, entry.atimeMs / 1000, entry.mtimeMs / 1000);
}
