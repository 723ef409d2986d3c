/** The messages the main thread sends to CPU workers (cpu-worker.ts), and the transfer rule. */
import type { RangeBlob } from '../restore/blob-writer.js';
import type { CreateItem, PlaceItem } from '../restore/file-batches.js';
import type { ChunkCodec } from './compression.js';
import type { ChunkerParams } from './gear-chunker.js';

export type CpuTask =
  | { op: 'cut'; data: Uint8Array; newStart: number; final: boolean; chunker: ChunkerParams }
  | { op: 'cutFiles'; paths: string[]; sizes: number[]; chunker: ChunkerParams }
  | {
      op: 'seal';
      key: Uint8Array;
      codec: ChunkCodec;
      data: Uint8Array;
      ranges: Array<[start: number, end: number]>;
    }
  | { op: 'createFiles'; items: CreateItem[] }
  | { op: 'placeFiles'; items: PlaceItem[] }
  | { op: 'restoreBlobs'; key: Uint8Array; data: Uint8Array; blobs: RangeBlob[] };

/**
 * The ArrayBuffers under `views` that may move to the other thread instead of being copied. Node
 * carves small Buffers out of a shared 8 KiB pool; moving that would break every other Buffer on it,
 * so only buffers larger than the pool move (each once: a transfer list must not repeat one).
 */
export function transferable(views: Uint8Array[]): ArrayBuffer[] {
  const out = new Set<ArrayBuffer>();
  for (const view of views)
    if (view.buffer instanceof ArrayBuffer && view.buffer.byteLength > Buffer.poolSize) out.add(view.buffer);
  return [...out];
}
