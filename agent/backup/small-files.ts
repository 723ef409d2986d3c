/**
 * Small files in batches: one CPU-worker task reads a whole batch of small
 * plain files (synchronous reads are fine off the main thread), cuts each
 * one exactly as `fileSegments` would (the whole file is one final segment)
 * into one shared slot the main thread lends it (shared-slots.ts). With
 * 12,000 small files the main thread's open/read/close and two messages per
 * file were the backup's bottleneck; now it is two messages per batch.
 */
import { closeSync, readSync } from 'node:fs';
import type { GearChunker } from './gear-chunker.js';
import { openToReadSync } from './open-to-read.js';
import { type CutPiece, cutSegment } from './segment-cut.js';

/** A batched file's cut: its bytes are `data[start, start + length)`, pieces' offsets are into `data`. */
export interface BatchedCut {
  start: number;
  length: number;
  pieces: CutPiece[];
}

/** A file that has grown past its scanned size: the caller reads it the ordinary way. */
export interface GrownFile {
  grown: true;
}

export interface BatchCut {
  files: Array<BatchedCut | GrownFile>;
}

/** The bytes a batch needs in its slot: each file's scanned size and one spare byte. */
export function batchBytes(sizes: number[]): number {
  return sizes.reduce((sum, size) => sum + size + 1, 0);
}

/**
 * Reads and cuts `paths` (scanned sizes `sizes`) into `data`, which holds at least `batchBytes(sizes)`
 * bytes; runs on a CPU worker.
 */
export function readAndCutBatch(
  paths: string[],
  sizes: number[],
  chunker: GearChunker,
  data: Buffer,
): BatchCut {
  // One spare byte per file, so a file that grew shows as a longer read, not a silent truncation.
  if (data.length < batchBytes(sizes)) throw new Error('a batch of small files does not fit its slot');
  const files: BatchCut['files'] = [];
  let offset = 0;
  for (let i = 0; i < paths.length; i++) {
    const want = (sizes[i] as number) + 1;
    const fd = openToReadSync(paths[i] as string);
    let length = 0;
    try {
      while (length < want) {
        const n = readSync(fd, data, offset + length, want - length, length);
        if (n === 0) break;
        length += n;
      }
    } finally {
      closeSync(fd);
    }
    if (length === want) {
      files.push({ grown: true });
      continue;
    }
    const file = data.subarray(offset, offset + length);
    const { pieces } = cutSegment(file, 0, true, chunker);
    for (const piece of pieces)
      if (piece.length === 3) {
        piece[0] += offset;
        piece[1] += offset;
      }
    files.push({ start: offset, length, pieces });
    offset += length;
  }
  return { files };
}
