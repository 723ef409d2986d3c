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
/** Bounds the bytes one pack reader holds (ranges, then their plain chunks). */
const MAX_REQUEST = 8 * 1024 * 1024;

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
    const group = sorted.slice(i, j);
    const opened = await cpuPool().run<Array<Uint8Array | { error: string }>>({
      op: 'open',
      key: repo.key.forWorkers(),
      data: range,
      blobs: group.map(({ hash, location }) => [
        location.offset - first.location.offset,
        location.length,
        hash,
      ]),
    });
    for (let k = 0; k < group.length; k++) {
      const { hash } = group[k] as (typeof group)[number];
      const plain = opened[k] as Uint8Array | { error: string };
      if (!(plain instanceof Uint8Array))
        throw new RepositoryCorrupted(
          plain.error === 'hash'
            ? `chunk ${hash} in pack ${pack} does not match its hash`
            : `chunk ${hash} in pack ${pack} is corrupted: ${plain.error}`,
        );
      await onBlob(hash, Buffer.from(plain.buffer, plain.byteOffset, plain.byteLength));
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
