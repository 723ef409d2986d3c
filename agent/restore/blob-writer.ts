/**
 * Runs on a CPU worker: opens (authenticates, decompresses) the blobs of one
 * fetched range of a pack, checks each hashes to its name, and writes it at
 * its places in the restore's temp files with synchronous calls, creating
 * them as needed. The plain chunks never go back to the main thread: that
 * transfer was a gigabyte of external memory per restore there, which kept
 * V8 running major garbage collections, and every write cost a thread-pool
 * round trip.
 */
import { createHash } from 'node:crypto';
import { closeSync, constants, openSync, writeSync } from 'node:fs';
import { decompressBlob } from '../backup/compression.js';
import { blobName, type RepoKey } from '../backup/repo-key.js';

/** Where a chunk goes: a temp file and the offset in it. */
export type Place = [temp: string, offset: number];

/** A blob of the range: where it starts, its sealed length, its hash, and its places. */
export type RangeBlob = [start: number, length: number, hash: string, places: Place[]];

/** The bytes written, or the first blob that failed (`error` is `hash` for a hash mismatch). */
export type WriteOutcome = { written: number } | { failed: number; error: string };

export async function writeRangeBlobs(key: RepoKey, data: Buffer, blobs: RangeBlob[]): Promise<WriteOutcome> {
  let written = 0;
  // Consecutive chunks of one file (a large file's run in a pack) share one open.
  let open: { path: string; fd: number } | undefined;
  try {
    for (const [i, [start, length, hash, places]] of blobs.entries()) {
      let plain: Buffer;
      try {
        plain = await decompressBlob(
          key.open(data.subarray(start, start + length), blobName(hash), `chunk ${hash}`),
        );
      } catch (error) {
        return { failed: i, error: (error as Error).message };
      }
      if (createHash('sha256').update(plain).digest('hex') !== hash) return { failed: i, error: 'hash' };
      for (const [path, offset] of places) {
        if (open?.path !== path) {
          if (open) closeSync(open.fd);
          open = undefined;
          // Created here unless it was created beforehand (a file with holes); never truncated, since
          // another worker may be writing other chunks of the same file. Never through a symlink.
          open = {
            path,
            fd: openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_NOFOLLOW, 0o600),
          };
        }
        for (let done = 0; done < plain.length; )
          done += writeSync(open.fd, plain, done, plain.length - done, offset + done);
        written += plain.length;
      }
    }
  } finally {
    if (open) closeSync(open.fd);
  }
  return { written };
}
