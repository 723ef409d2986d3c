/**
 * Reads a pack's chunks for a restore. The needed blobs are grouped (nearby
 * blobs together, at most `rangeBytes` a group); each run of groups with
 * small gaps between them is read in one request, as a stream, and each
 * group's bytes are copied into a shared slot (shared-slots.ts) that a CPU
 * worker then verifies and writes into the restore's temp files
 * (blob-writer.ts) while the next group arrives. One request per pack rather
 * than one per group: moto, like any server that reads the object for each
 * range, answered 8 MiB ranges of a 32 MiB pack by reading the pack four
 * times; and received bytes land in reused slots rather than in a fresh
 * joined buffer per range, which kept V8 collecting (≈1 s per GB). A stream
 * that breaks is not retried as a stream: the rest of the pack's groups are
 * fetched with ranged reads, which are retried. A backend that can read into
 * a buffer (a local directory) is read with no stream at all: copying its
 * stream chunks into the slots was ≈0.3 s of the main thread per GB. A blob
 * that does not authenticate, decompress or hash to its name fails the
 * restore, naming the chunk and the pack.
 */

import { type Group, groupBlobs, MAX_GAP, type PackBlob } from '../backup/blob-groups.js';
import { packShorterThanIndex, RepositoryCorrupted } from '../backup/corruption.js';
import { cpuPool } from '../backup/cpu-pool.js';
import { keys, type Repository } from '../backup/repository.js';
import { copyBytes } from '../backup/shared-copy.js';
import type { SharedSlots } from '../backup/shared-slots.js';
import { ShortObject } from '../backup/storage.js';
import type { Place, WriteOutcome } from './blob-writer.js';

/** Bounds the bytes of one group, and so what one slot holds. */
export const DEFAULT_RANGE_BYTES = 8 * 1024 * 1024;

/**
 * Reads byte ranges of one pack in order: straight into the slot where the backend can (`readInto`),
 * else from streams, each over a run of nearby groups.
 */
class PackStream {
  private iterator: AsyncIterator<Uint8Array> | undefined;
  private chunk: Uint8Array = new Uint8Array(0);
  /** Pack offset of `chunk[0]`, and where the open stream ends. */
  private at = 0;
  private streamEnd = 0;
  private broken = false;

  constructor(
    private readonly repo: Repository,
    private readonly pack: string,
  ) {}

  /**
   * Reads pack bytes [group.first, group.end) into `slot` and returns them (a view of `slot`);
   * `runEnd` is where the group's run of groups ends.
   */
  async read(group: Group, runEnd: number, slot: Buffer): Promise<Buffer> {
    const length = group.end - group.first;
    const storage = this.repo.storage;
    if (storage.readInto) {
      const start = await storage.readInto(keys.pack(this.pack), group.first, length, slot).catch((error) => {
        throw error instanceof ShortObject ? packShorterThanIndex(this.pack) : error;
      });
      return slot.subarray(start, start + length);
    }
    const target = slot.subarray(0, length);
    if (!this.broken) {
      try {
        if (!this.iterator || group.first < this.at || group.first >= this.streamEnd)
          await this.open(group.first, runEnd);
        await this.copy(group.first, length, target);
        return target;
      } catch {
        // Fall through: ranged reads from here on, each retried by the storage backend.
        await this.close();
        this.broken = true;
      }
    }
    const bytes = await this.repo.storage.getRange(keys.pack(this.pack), group.first, length);
    if (bytes.length < length) throw packShorterThanIndex(this.pack);
    copyBytes(bytes.subarray(0, length), target, 0);
    return target;
  }

  private async open(from: number, to: number): Promise<void> {
    await this.close();
    const stream = await this.repo.storage.getStream(keys.pack(this.pack), from, to - from);
    this.iterator = stream[Symbol.asyncIterator]();
    this.chunk = new Uint8Array(0);
    this.at = from;
    this.streamEnd = to;
  }

  private async copy(from: number, length: number, target: Buffer): Promise<void> {
    let filled = 0;
    while (filled < length) {
      const want = from + filled;
      const inChunk = want - this.at;
      if (inChunk < this.chunk.length) {
        const take = Math.min(this.chunk.length - inChunk, length - filled);
        copyBytes(this.chunk.subarray(inChunk, inChunk + take), target, filled);
        filled += take;
        continue;
      }
      const next = await (this.iterator as AsyncIterator<Uint8Array>).next();
      if (next.done) throw new Error(`the stream of pack ${this.pack} ended early`);
      this.at += this.chunk.length;
      this.chunk = next.value;
    }
  }

  async close(): Promise<void> {
    const iterator = this.iterator;
    this.iterator = undefined;
    // Ends the request if it is not done (a stream's iterator destroys it on return).
    await iterator?.return?.().catch(() => undefined);
  }
}

/** Restores `blobs` of `pack` to their places; resolves with the bytes written. */
export async function restorePackBlobs(
  repo: Repository,
  pack: string,
  blobs: PackBlob[],
  placesOf: (hash: string) => Place[],
  /** Where groups are read into: slots of at least the largest group's span and READ_INTO_ROOM. */
  slots: SharedSlots,
  rangeBytes = DEFAULT_RANGE_BYTES,
  /** Called with each group's blobs once they are written to all their places. */
  onWritten?: (blobs: PackBlob[]) => void,
): Promise<number> {
  const groups = groupBlobs(blobs, rangeBytes);
  // A run of groups with gaps under MAX_GAP is read in one request; `runEnds[g]` is where g's run ends.
  const runEnds: number[] = new Array(groups.length);
  for (let g = groups.length - 1; g >= 0; g--) {
    const next = groups[g + 1];
    const end = (groups[g] as Group).end;
    runEnds[g] = next && next.first - end <= MAX_GAP ? (runEnds[g + 1] as number) : end;
  }
  const stream = new PackStream(repo, pack);
  let written = 0;
  /** The group a worker is writing while the next one is read: at most one. */
  let writing: Promise<void> | undefined;
  try {
    for (let g = 0; g < groups.length; g++) {
      const group = groups[g] as Group;
      const slot = await slots.acquire();
      let task: Promise<void>;
      try {
        const data = await stream.read(group, runEnds[g] as number, slot);
        task = writeGroup(repo, pack, group, data, placesOf).then((bytes) => {
          written += bytes;
          onWritten?.(group.blobs);
        });
      } catch (error) {
        slots.release(slot);
        throw error;
      }
      const previous = writing;
      writing = task.finally(() => slots.release(slot));
      // Handled here as well: it may fail (disk full) while the next group is read, before it is awaited.
      writing.catch(() => undefined);
      await previous;
    }
    await writing;
  } finally {
    // Settles the last write (it may hold a slot) before the pack is given up on.
    await writing?.catch(() => undefined);
    await stream.close();
  }
  return written;
}

async function writeGroup(
  repo: Repository,
  pack: string,
  group: Group,
  data: Buffer,
  placesOf: (hash: string) => Place[],
): Promise<number> {
  const outcome = await cpuPool().run<WriteOutcome>({
    op: 'restoreBlobs',
    key: repo.key.forWorkers(),
    data,
    blobs: group.blobs.map(({ hash, location }) => [
      location.offset - group.first,
      location.length,
      hash,
      placesOf(hash),
    ]),
  });
  if ('failed' in outcome) {
    const { hash } = group.blobs[outcome.failed] as PackBlob;
    throw new RepositoryCorrupted(
      outcome.error === 'hash'
        ? `chunk ${hash} in pack ${pack} does not match its hash`
        : `chunk ${hash} in pack ${pack} is corrupted: ${outcome.error}`,
    );
  }
  return outcome.written;
}
