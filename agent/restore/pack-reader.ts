/**
 * Reads a pack's chunks for a restore with as few ranged GETs as possible
 * (nearby blobs share one request), one request ahead of the CPU workers,
 * which verify each range's blobs and write them into the temp files
 * (blob-writer.ts). A blob that does not authenticate, decompress or hash
 * to its name fails the restore, naming the chunk and the pack.
 */

import { RepositoryCorrupted } from '../backup/corruption.js';
import { cpuPool } from '../backup/cpu-pool.js';
import type { BlobLocation } from '../backup/repo-index.js';
import { keys, type Repository } from '../backup/repository.js';
import type { Place, WriteOutcome } from './blob-writer.js';

/** Blobs closer than this are fetched in one request rather than two. */
const MAX_GAP = 1024 * 1024;
/** Bounds the bytes one request fetches, and so what one pack reader holds (ranges, then their plain chunks). */
export const DEFAULT_RANGE_BYTES = 8 * 1024 * 1024;

/** Restores `blobs` of `pack` to their places; resolves with the bytes written. */
export async function restorePackBlobs(
  repo: Repository,
  pack: string,
  blobs: Array<{ hash: string; location: BlobLocation }>,
  placesOf: (hash: string) => Place[],
  rangeBytes = DEFAULT_RANGE_BYTES,
): Promise<number> {
  let written = 0;
  type Blob = (typeof blobs)[number];
  const sorted = [...blobs].sort((a, b) => a.location.offset - b.location.offset);
  const groups: Blob[][] = [];
  for (let i = 0; i < sorted.length; ) {
    const first = (sorted[i] as Blob).location;
    let end = first.offset + first.length;
    let j = i + 1;
    for (; j < sorted.length; j++) {
      const next = (sorted[j] as Blob).location;
      if (next.offset - end > MAX_GAP || next.offset + next.length - first.offset > rangeBytes) break;
      end = Math.max(end, next.offset + next.length);
    }
    groups.push(sorted.slice(i, j));
    i = j;
  }
  const fetch = (group: Blob[]) => {
    const first = (group[0] as Blob).location.offset;
    const last = group.reduce((end, b) => Math.max(end, b.location.offset + b.location.length), first);
    const range = repo.storage.getRange(keys.pack(pack), first, last - first);
    range.catch(() => {}); // awaited in turn; this only keeps a prefetch that fails from counting as unhandled
    return { first, range };
  };
  // The next range is fetched while this one is verified and written: one request ahead, no more.
  let next = groups[0] ? fetch(groups[0]) : undefined;
  for (let g = 0; g < groups.length; g++) {
    const group = groups[g] as Blob[];
    const { first, range } = next as ReturnType<typeof fetch>;
    const data = await range;
    next = groups[g + 1] ? fetch(groups[g + 1] as Blob[]) : undefined;
    const outcome = await cpuPool().run<WriteOutcome>({
      op: 'restoreBlobs',
      key: repo.key.forWorkers(),
      data,
      blobs: group.map(({ hash, location }) => [
        location.offset - first,
        location.length,
        hash,
        placesOf(hash),
      ]),
    });
    if ('failed' in outcome) {
      const { hash } = group[outcome.failed] as Blob;
      throw new RepositoryCorrupted(
        outcome.error === 'hash'
          ? `chunk ${hash} in pack ${pack} does not match its hash`
          : `chunk ${hash} in pack ${pack} is corrupted: ${outcome.error}`,
      );
    }
    written += outcome.written;
  }
  return written;
}
