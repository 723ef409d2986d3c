/**
 * Reads chunks out of a pack with as few ranged GETs as possible (nearby
 * blobs share one request) and verifies each: it must authenticate under the
 * key, decompress, and hash to its name. Restores verify on the CPU workers
 * (the fetched range moves there, the plain chunks move back).
 */
import { createHash } from 'node:crypto';
import { decompressBlob } from './compression.js';
import { RepositoryCorrupted } from './corruption.js';
import { cpuPool } from './cpu-pool.js';
import type { BlobLocation } from './repo-index.js';
import { keys, type Repository } from './repository.js';

/** Blobs closer than this are fetched in one request rather than two. */
const MAX_GAP = 1024 * 1024;
/** Bounds the bytes one request fetches, and so what one pack reader holds (ranges, then their plain chunks). */
export const DEFAULT_RANGE_BYTES = 8 * 1024 * 1024;

export async function readPackBlobs(
  repo: Repository,
  pack: string,
  blobs: Array<{ hash: string; location: BlobLocation }>,
  onBlob: (hash: string, data: Buffer) => Promise<void> | void,
  rangeBytes = DEFAULT_RANGE_BYTES,
): Promise<void> {
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
    const opened = await cpuPool().run<Array<Uint8Array | { error: string }>>({
      op: 'open',
      key: repo.key.forWorkers(),
      data,
      blobs: group.map(({ hash, location }) => [location.offset - first, location.length, hash]),
    });
    const failed = opened.findIndex((plain) => !(plain instanceof Uint8Array));
    if (failed >= 0) {
      const { hash } = group[failed] as Blob;
      const { error } = opened[failed] as { error: string };
      throw new RepositoryCorrupted(
        error === 'hash'
          ? `chunk ${hash} in pack ${pack} does not match its hash`
          : `chunk ${hash} in pack ${pack} is corrupted: ${error}`,
      );
    }
    // A group's chunks are handed over together: the caller bounds its own writes.
    await Promise.all(
      group.map(({ hash }, k) => {
        const plain = opened[k] as Uint8Array;
        return onBlob(hash, Buffer.from(plain.buffer, plain.byteOffset, plain.byteLength));
      }),
    );
  }
}

export async function verifyBlob(
  repo: Repository,
  pack: string,
  hash: string,
  sealed: Buffer,
): Promise<Buffer> {
  let data: Buffer;
  try {
    data = await decompressBlob(repo.key.open(sealed, `chunk ${hash}`));
  } catch (error) {
    throw new RepositoryCorrupted(`chunk ${hash} in pack ${pack} is corrupted: ${(error as Error).message}`);
  }
  if (createHash('sha256').update(data).digest('hex') !== hash)
    throw new RepositoryCorrupted(`chunk ${hash} in pack ${pack} does not match its hash`);
  return data;
}
