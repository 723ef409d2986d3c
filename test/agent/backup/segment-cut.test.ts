import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { GearChunker } from '../../../agent/backup/gear-chunker.js';
import { DEFAULT_CHUNKER } from '../../../agent/backup/repository.js';
import { type CutPiece, cutSegment, HOLE_BLOCK } from '../../../agent/backup/segment-cut.js';

type Extent = [string | null, number];

/** Feeds `file` through cutSegment in reads of `readSize`, carrying the tail as file-chunks.ts does. */
function extentsBySegments(file: Buffer, readSize: number, chunker: GearChunker): Extent[] {
  const out: Extent[] = [];
  let tail = Buffer.alloc(0);
  for (let position = 0; ; ) {
    const fresh = file.subarray(position, position + readSize);
    position += fresh.length;
    const final = fresh.length < readSize;
    const data = Buffer.concat([tail, fresh]);
    const { pieces, consumed } = cutSegment(data, tail.length, final, chunker);
    for (const piece of pieces as CutPiece[]) {
      if (piece.length === 1) {
        const last = out.at(-1);
        if (last && last[0] === null) last[1] += piece[0];
        else out.push([null, piece[0]]);
      } else out.push([piece[2], piece[1] - piece[0]]);
    }
    tail = Buffer.from(data.subarray(consumed));
    if (final) return out;
  }
}

describe('cutSegment', () => {
  it('cuts a file with holes the same whatever the segment size, and covers every byte', () => {
    const chunker = new GearChunker(DEFAULT_CHUNKER);
    const file = Buffer.concat([
      randomBytes(5 * 1024 * 1024 + 123),
      Buffer.alloc(3 * HOLE_BLOCK + 17), // at least two aligned zero blocks, whatever the alignment
      randomBytes(9 * 1024 * 1024),
      Buffer.alloc(40 * HOLE_BLOCK),
    ]);
    const whole = extentsBySegments(file, file.length + 1, chunker);
    for (const readSize of [HOLE_BLOCK * 16, 1024 * 1024, 8 * 1024 * 1024])
      expect(extentsBySegments(file, readSize, chunker), `reads of ${readSize}`).toEqual(whole);
    expect(whole.reduce((sum, [, length]) => sum + length, 0)).toBe(file.length);
    expect(whole.filter(([hash]) => hash === null).length).toBeGreaterThanOrEqual(2);
    for (const [hash, length] of whole) if (hash) expect(length).toBeLessThanOrEqual(DEFAULT_CHUNKER.maxSize);
  });
});
