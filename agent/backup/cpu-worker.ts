/**
 * The CPU worker: the per-chunk work of backup and restore, off the main
 * thread. `cut` finds chunk boundaries and hashes; `cutFiles` reads and cuts a batch of small files; `seal` compresses and
 * encrypts chosen chunks; `restoreBlobs` verifies a fetched range's blobs and writes them into the
 * restore's temp files (restore/blob-writer.ts); `createFiles` and `placeFiles` run a restore's
 * per-file calls in batches (restore/file-batches.ts).
 * Buffers travel by transfer, not copy (see `transferable`).
 */
import { parentPort } from 'node:worker_threads';
import { writeRangeBlobs } from '../restore/blob-writer.js';
import { createFiles, placeFiles } from '../restore/file-batches.js';
import { compressChunk } from './compression.js';
import type { CpuTask } from './cpu-tasks.js';
import { transferable } from './cpu-tasks.js';
import { type ChunkerParams, GearChunker } from './gear-chunker.js';
import { RepoKey } from './repo-key.js';
import { cutSegment } from './segment-cut.js';
import { readAndCutBatch } from './small-files.js';

const chunkers = new Map<string, GearChunker>();

function chunkerFor(params: ChunkerParams): GearChunker {
  const key = `${params.minSize}/${params.avgSize}/${params.maxSize}`;
  const chunker = chunkers.get(key) ?? new GearChunker(params);
  chunkers.set(key, chunker);
  return chunker;
}

async function run(task: CpuTask): Promise<{ result: unknown; transfer: ArrayBuffer[] }> {
  switch (task.op) {
    case 'cut': {
      const chunker = chunkerFor(task.chunker);
      const data = Buffer.from(task.data.buffer, task.data.byteOffset, task.data.byteLength);
      // The segment goes back with the answer: the caller still needs its bytes.
      return {
        result: { ...cutSegment(data, task.newStart, task.final, chunker), data: task.data },
        transfer: transferable([task.data]),
      };
    }
    case 'cutFiles': {
      const batch = readAndCutBatch(task.paths, task.sizes, chunkerFor(task.chunker));
      return { result: batch, transfer: transferable([batch.data]) };
    }
    case 'seal': {
      const key = new RepoKey(Buffer.from(task.key));
      const data = Buffer.from(task.data.buffer, task.data.byteOffset, task.data.byteLength);
      // One chunk at a time: zstd runs on libuv's thread pool, and this worker is one of the pool's slots.
      const sealed: Buffer[] = [];
      for (const [start, end] of task.ranges)
        sealed.push(key.seal(await compressChunk(data.subarray(start, end), task.codec)));
      return { result: sealed, transfer: transferable(sealed) };
    }
    case 'createFiles':
      createFiles(task.items);
      return { result: null, transfer: [] };
    case 'placeFiles':
      placeFiles(task.items);
      return { result: null, transfer: [] };
    case 'restoreBlobs': {
      const key = new RepoKey(Buffer.from(task.key));
      const data = Buffer.from(task.data.buffer, task.data.byteOffset, task.data.byteLength);
      return { result: await writeRangeBlobs(key, data, task.blobs), transfer: [] };
    }
  }
}

parentPort?.on('message', async ({ id, task }: { id: number; task: CpuTask }) => {
  try {
    const { result, transfer } = await run(task);
    parentPort?.postMessage({ id, result }, transfer);
  } catch (error) {
    parentPort?.postMessage({ id, error: (error as Error).message });
  }
});
