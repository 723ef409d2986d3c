/** The messages the main thread sends to CPU workers (cpu-worker.ts), and the transfer rule. */
import type { RangeBlob } from '../restore/blob-writer.js';
import type { CreateItem, PlaceItem } from '../restore/file-batches.js';
import type { ChunkCodec } from './compression.js';
import type { ChunkerParams } from './gear-chunker.js';
import type { WorkerKey } from './repo-key.js';

/**
 * The backup's tasks work on shared slots (shared-slots.ts): `data` and `out` are views of
 * SharedArrayBuffers, read and written in place by the worker.
 */
export type CpuTask =
  | { op: 'cut'; data: Uint8Array; newStart: number; final: boolean; chunker: ChunkerParams }
  | { op: 'cutFiles'; paths: string[]; sizes: number[]; chunker: ChunkerParams; data: Uint8Array }
  | {
      /** Compresses and encrypts `data`'s `ranges` into `out`, one after another; answers their lengths. */
      op: 'seal';
      key: WorkerKey;
      codec: ChunkCodec;
      data: Uint8Array;
      ranges: Array<[start: number, end: number]>;
      /** The SHA-256 of each range's chunk: its name, sealed with it. */
      hashes: string[];
      out: Uint8Array;
    }
  | { op: 'hash'; data: Uint8Array }
  | { op: 'createFiles'; items: CreateItem[] }
  | { op: 'placeFiles'; items: PlaceItem[] }
  | { op: 'restoreBlobs'; key: WorkerKey; data: Uint8Array; blobs: RangeBlob[] };

/**
 * The ArrayBuffers under `views` that may move to the other thread instead of being copied. Node
 * carves small Buffers out of a shared 8 KiB pool; moving that would break every other Buffer on it,
 * so only buffers larger than the pool move (each once: a transfer list must not repeat one).
 * SharedArrayBuffers are shared, never moved.
 */
export function transferable(views: Uint8Array[]): ArrayBuffer[] {
  const out = new Set<ArrayBuffer>();
  for (const view of views)
    if (view.buffer instanceof ArrayBuffer && view.buffer.byteLength > Buffer.poolSize) out.add(view.buffer);
  return [...out];
}
