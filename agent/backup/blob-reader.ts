/**
 * Verifies one sealed blob: it must authenticate under the key, decompress,
 * and hash to its name (`check` uses it; restores do the same on the CPU
 * workers, agent/restore/blob-writer.ts).
 */
import { createHash } from 'node:crypto';
import { decompressBlob } from './compression.js';
import { RepositoryCorrupted } from './corruption.js';
import { blobName } from './repo-key.js';
import type { Repository } from './repository.js';

export async function verifyBlob(
  repo: Repository,
  pack: string,
  hash: string,
  sealed: Buffer,
): Promise<Buffer> {
  let data: Buffer;
  try {
    data = await decompressBlob(repo.key.open(sealed, blobName(hash), `chunk ${hash}`));
  } catch (error) {
    throw new RepositoryCorrupted(`chunk ${hash} in pack ${pack} is corrupted: ${(error as Error).message}`);
  }
  if (createHash('sha256').update(data).digest('hex') !== hash)
    throw new RepositoryCorrupted(`chunk ${hash} in pack ${pack} does not match its hash`);
  return data;
}
