/**
 * Content-defined chunking, FastCDC style: a gear rolling hash (one shift and
 * one table add per byte), cut points where the hash's top bits are zero,
 * and normalized chunking — a stricter mask before the average size and a
 * looser one after it — so chunk sizes cluster around the average. This is
 * the hot loop of a backup, so the rolling itself runs as WebAssembly
 * (gear-kernel.ts); the cut points are exactly those of the plain JavaScript
 * loop it replaced (pinned by test/agent/backup/chunker.test.ts).
 */
import { createHash } from 'node:crypto';
import { GearKernel } from './gear-kernel.js';

export interface ChunkerParams {
  minSize: number;
  avgSize: number;
  maxSize: number;
}

/** 256 pseudo-random int32s, fixed forever: changing them would change every chunk boundary and defeat dedup. */
const GEAR = (() => {
  const table = new Int32Array(256);
  for (let i = 0; i < 256; i += 8) {
    const digest = createHash('sha256').update(`tidemark gear ${i}`).digest();
    for (let j = 0; j < 8; j++) table[i + j] = digest.readInt32LE(j * 4);
  }
  return table;
})();

function topBits(count: number): number {
  return count <= 0 ? 0 : (~0 << (32 - count)) | 0;
}

/** One kernel per thread (each CPU worker has its own), made on first use. */
let kernel: GearKernel | undefined;

export class GearChunker {
  private readonly maskStrict: number;
  private readonly maskLoose: number;

  constructor(readonly params: ChunkerParams) {
    const { minSize, avgSize, maxSize } = params;
    if (!(minSize < avgSize && avgSize < maxSize))
      throw new Error('chunker sizes must satisfy min < avg < max');
    const bits = Math.round(Math.log2(avgSize));
    this.maskStrict = topBits(bits + 2);
    this.maskLoose = topBits(bits - 2);
  }

  /**
   * The end (exclusive) of the chunk that starts at `start`, looking no
   * further than `end`. The caller passes at least `maxSize` bytes unless the
   * data run ends sooner; a result equal to `end` then means "the rest".
   */
  cut(data: Uint8Array, start: number, end: number): number {
    const { minSize, avgSize, maxSize } = this.params;
    const length = end - start;
    if (length <= minSize) return end;
    const limit = start + Math.min(length, maxSize);
    const normal = start + Math.min(length, avgSize);
    kernel ??= new GearKernel(GEAR);
    const strict = kernel.scan(data, start + minSize, normal, this.maskStrict, 0);
    if (strict >= 0) return strict;
    const loose = kernel.scan(data, normal, limit, this.maskLoose, kernel.hash);
    if (loose >= 0) return loose;
    return limit;
  }
}
