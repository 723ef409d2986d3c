/**
 * The CPU worker: the per-chunk work of backup and restore, off the main
 * thread. `cut` finds chunk boundaries and hashes; `cutFiles` reads and cuts a batch of small files; `seal` compresses and
 * encrypts chosen chunks; `hash` names a pack; `restoreBlobs` verifies a fetched range's blobs and writes them into the
 * restore's temp files (restore/blob-writer.ts); `createFiles` and `placeFiles` run a restore's
 * per-file calls in batches (restore/file-batches.ts).
 * The backup's buffers are shared (shared-slots.ts); the restore's travel by transfer, not copy
 * (see `transferable`).
 */
import { createHash } from 'node:crypto';
import { parentPort } from 'node:worker_threads';
import { writeRangeBlobs } from '../restore/blob-writer.js';
import { createFiles, placeFiles } from '../restore/file-batches.js';
import { compressChunk } from './compression.js';
import type { CpuTask } from './cpu-tasks.js';
import { type ChunkerParams, GearChunker } from './gear-chunker.js';
import { blobName, RepoKey } from './repo-key.js';
import { cutSegment } from './segment-cut.js';
import { readAndCutBatch } from './small-files.js';

const chunkers = new Map<string, GearChunker>();

function chunkerFor(params: ChunkerParams): GearChunker {
  const key = `${params.minSize}/${params.avgSize}/${params.maxSize}`;
  const chunker = chunkers.get(key) ?? new GearChunker(params);
  chunkers.set(key, chunker);
  return chunker;
}

/** A Buffer over the same memory as `view` (shared or transferred, never copied). */
function asBuffer(view: Uint8Array): Buffer {
  return Buffer.from(view.buffer, view.byteOffset, view.byteLength);
}

async function run(task: CpuTask): Promise<unknown> {
  switch (task.op) {
    case 'cut': {
      const data = asBuffer(task.data);
      return cutSegment(data, task.newStart, task.final, chunkerFor(task.chunker));
    }
    case 'cutFiles': {
      const data = asBuffer(task.data);
      return readAndCutBatch(task.paths, task.sizes, chunkerFor(task.chunker), data);
    }
    case 'seal': {
      const key = RepoKey.forWorker(task.key);
      const data = asBuffer(task.data);
      const out = asBuffer(task.out);
      // One chunk at a time: zstd runs on libuv's thread pool, and this worker is one of the pool's slots.
      const lengths: number[] = [];
      let at = 0;
      for (const [i, [start, end]] of task.ranges.entries()) {
        const chunk = await compressChunk(data.subarray(start, end), task.codec);
        const length = key.sealInto(chunk, out, at, blobName(task.hashes[i] as string));
        lengths.push(length);
        at += length;
      }
      return lengths;
    }
    case 'hash': {
      const data = asBuffer(task.data);
      return createHash('sha256').update(data).digest('hex');
    }
    case 'createFiles':
      createFiles(task.items);
      return null;
    case 'placeFiles':
      placeFiles(task.items);
      return null;
    case 'restoreBlobs': {
      const key = RepoKey.forWorker(task.key);
      const data = asBuffer(task.data);
      return await writeRangeBlobs(key, data, task.blobs);
    }
  }
}

parentPort?.on('message', async ({ id, task }: { id: number; task: CpuTask }) => {
  try {
    parentPort?.postMessage({ id, result: await run(task) });
  } catch (error) {
    // The errno code crosses too: the caller tells a full disk (ENOSPC) from other failures by it.
    parentPort?.postMessage({
      id,
      error: (error as Error).message,
      code: (error as NodeJS.ErrnoException).code,
    });
  }
});
