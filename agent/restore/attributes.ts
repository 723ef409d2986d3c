/**
 * Applies a manifest entry's owner, mode and times to a restored path
 * without following a symlink at it (fs/entry-attributes.ts): a symlink
 * planted where a restored file or folder was staged, or already in the
 * destination, gets at most owner and times on the link itself.
 */

import type { ManifestEntry } from '../backup/manifest.js';
import { type EntryAttributes, setEntryAttributes, setEntryAttributesSync } from '../fs/entry-attributes.js';

const canChown = process.getuid?.() === 0;

export type Attributes = Pick<ManifestEntry, 'type' | 'uid' | 'gid' | 'mode' | 'atimeMs' | 'mtimeMs'>;

const asEntry = (entry: Attributes): EntryAttributes => ({
  uid: entry.uid,
  gid: entry.gid,
  mode: entry.type === 'symlink' ? undefined : entry.mode,
  atimeMs: entry.atimeMs,
  mtimeMs: entry.mtimeMs,
});

export async function applyAttributes(path: string, entry: Attributes): Promise<void> {
  await setEntryAttributes(path, asEntry(entry), canChown ? 'must' : 'skip');
}

/** The same, synchronously, for batches on a CPU worker (file-batches.ts). */
export function applyAttributesSync(path: string, entry: Attributes): void {
  setEntryAttributesSync(path, asEntry(entry), canChown ? 'must' : 'skip');
}
