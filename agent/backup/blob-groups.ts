/**
 * Which blobs of one pack are read together: nearby blobs (gaps under
 * MAX_GAP) in groups of at most `rangeBytes`. The restore reads groups into
 * shared slots (agent/restore/pack-reader.ts); manifest pages are read a
 * group per ranged request (manifest-pages.ts). Both first sort the blobs
 * they need by pack (`blobsByPack`).
 */
import { RepositoryCorrupted } from './corruption.js';
import type { BlobLocation, RepoIndex } from './repo-index.js';

/** Blobs closer than this are read in one group (and groups closer than this, in one request). */
export const MAX_GAP = 1024 * 1024;
export type PackBlob = { hash: string; location: BlobLocation };
export interface Group {
  blobs: PackBlob[];
  first: number;
  end: number;
}

/** The blobs in pack order, cut into groups; a group spans at most `rangeBytes` unless one blob is larger. */
export function groupBlobs(blobs: PackBlob[], rangeBytes: number): Group[] {
  const sorted = [...blobs].sort((a, b) => a.location.offset - b.location.offset);
  const groups: Group[] = [];
  for (let i = 0; i < sorted.length; ) {
    const first = (sorted[i] as PackBlob).location;
    let end = first.offset + first.length;
    let j = i + 1;
    for (; j < sorted.length; j++) {
      const next = (sorted[j] as PackBlob).location;
      if (next.offset - end > MAX_GAP || next.offset + next.length - first.offset > rangeBytes) break;
      end = Math.max(end, next.offset + next.length);
    }
    groups.push({ blobs: sorted.slice(i, j), first: first.offset, end });
    i = j;
  }
  return groups;
}

/** `hashes` by the pack that holds each; a hash no index file names is damage, worded by `missing`. */
export function blobsByPack(
  index: RepoIndex,
  hashes: Iterable<string>,
  missing: (hash: string) => string,
): Map<string, PackBlob[]> {
  const byPack = new Map<string, PackBlob[]>();
  for (const hash of hashes) {
    const location = index.get(hash);
    if (!location) throw new RepositoryCorrupted(missing(hash));
    const list = byPack.get(location.pack);
    if (list) list.push({ hash, location });
    else byPack.set(location.pack, [{ hash, location }]);
  }
  return byPack;
}
