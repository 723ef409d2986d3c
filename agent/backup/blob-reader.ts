/**
 * Reads chunks out of a pack with as few ranged GETs as possible (nearby
 * blobs share one request) and verifies each: it must authenticate under the
 * key, decompress, and hash to its name.
 */
import { createHash } from 'node:crypto';
import { decompressBlob } from './compression.js';
import { RepositoryCorrupted } from './corruption.js';
import type { BlobLocation } from './repo-index.js';
import { keys, type Repository } from './repository.js';

/** Blobs closer than this are fetched in one request rather than two. */
const MAX_GAP = 1024 * 1024;
const MAX_REQUEST = 32 * 1024 * 1024;

export async function readPackBlobs(
  repo: Repository,
  pack: string,
  blobs: Array<{ hash: string; location: BlobLocation }>,
  onBlob: (hash: string, data: Buffer) => Promise<void> | void,
): Promise<void> {
  const sorted = [...blobs].sort((a, b) => a.location.offset - b.location.offset);
  let i = 0;
  while (i < sorted.length) {
    const first = sorted[i] as (typeof sorted)[number];
    let end = first.location.offset + first.location.length;
    let j = i + 1;
    for (; j < sorted.length; j++) {
      const next = (sorted[j] as (typeof sorted)[number]).location;
      if (next.offset - end > MAX_GAP || next.offset + next.length - first.location.offset > MAX_REQUEST)
        break;
      end = Math.max(end, next.offset + next.length);
    }
    const range = await repo.storage.getRange(
      keys.pack(pack),
      first.location.offset,
      end - first.location.offset,
    );
    for (let k = i; k < j; k++) {
      const { hash, location } = sorted[k] as (typeof sorted)[number];
      const start = location.offset - first.location.offset;
      await onBlob(hash, verifyBlob(repo, pack, hash, range.subarray(start, start + location.length)));
    }
    i = j;
  }
}

export function verifyBlob(repo: Repository, pack: string, hash: string, sealed: Buffer): Buffer {
  let data: Buffer;
  try {
    data = decompressBlob(repo.key.open(sealed, `chunk ${hash}`));
  } catch (error) {
    throw new RepositoryCorrupted(`chunk ${hash} in pack ${pack} is corrupted: ${(error as Error).message}`);
  }
  if (createHash('sha256').update(data).digest('hex') !== hash)
    throw new RepositoryCorrupted(`chunk ${hash} in pack ${pack} does not match its hash`);
  return data;
}
