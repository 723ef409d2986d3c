/**
 * The restore's per-file system calls in batches, run on a CPU worker with
 * synchronous calls: creating the staged files that have holes or no data
 * before any data arrives, giving files their attributes (as they finish,
 * or at the end), and renaming those that are their own anchor into place
 * (staging.ts). Creating
 * or renaming many files of one directory from libuv's four threads at once
 * made them spin on the directory's lock (`rwsem_spin_on_owner` was the top
 * kernel symbol, ≈17% of a restore's samples); one thread per batch, batches
 * split by directory, does not, and skips a thread-pool round trip per call.
 */
import { closeSync, constants, ftruncateSync, openSync, renameSync } from 'node:fs';
import path from 'node:path';
import { type Attributes, applyAttributesSync } from './attributes.js';

/** A temp file to create, `size` bytes long (all a hole until written). */
export type CreateItem = [temp: string, size: number];

/**
 * A written file, the name it takes (none when its new folder is renamed instead), and its attributes
 * (none when they were given already, as the file was finished).
 */
export type PlaceItem = [temp: string, final: string | undefined, attributes: Attributes | undefined];

export function createFiles(items: CreateItem[]): void {
  for (const [temp, size] of items) {
    // A fresh name (staging.ts): anything already there, a symlink or a planted link, is refused.
    const fd = openSync(
      temp,
      constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW,
      0o600,
    );
    try {
      if (size > 0) ftruncateSync(fd, size);
    } finally {
      closeSync(fd);
    }
  }
}

export function placeFiles(items: PlaceItem[]): void {
  for (const [temp, final, attributes] of items) {
    if (attributes) applyAttributesSync(temp, attributes);
    if (final !== undefined) renameSync(temp, final);
  }
}

/** Splits `items` into at most `parts` batches, each directory's items in one batch, sizes about even. */
export function byDirectory<T>(items: T[], pathOf: (item: T) => string, parts: number): T[][] {
  const dirs = new Map<string, T[]>();
  for (const item of items) {
    const dir = path.dirname(pathOf(item));
    const list = dirs.get(dir);
    if (list) list.push(item);
    else dirs.set(dir, [item]);
  }
  const batches: T[][] = Array.from({ length: Math.max(1, parts) }, () => []);
  for (const list of dirs.values()) {
    const smallest = batches.reduce((a, b) => (b.length < a.length ? b : a));
    smallest.push(...list);
  }
  return batches.filter((b) => b.length > 0);
}
