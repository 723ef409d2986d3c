/**
 * Cuts one segment of a file into content-defined chunks and holes (runs in
 * a CPU worker). A segment is the uncut tail of the previous one followed by
 * newly read bytes; every aligned all-zero 64 KiB block of the new bytes is
 * part of a hole (Node has no SEEK_HOLE, so holes are found by content).
 * Data before a hole, and all data of the last segment, is cut to the end;
 * otherwise less than `maxSize` bytes stay uncut and come back as the tail,
 * since where they end depends on bytes not read yet. Cuts are exactly those
 * of cutting the whole file at once, so dedup works across segment sizes.
 */
import { createHash } from 'node:crypto';
import type { GearChunker } from './gear-chunker.js';

export const HOLE_BLOCK = 64 * 1024;
const ZEROS = Buffer.alloc(HOLE_BLOCK);

/** A chunk `[start, end, sha256 hex]` of the segment, or a hole `[length]`. */
export type CutPiece = [start: number, end: number, hash: string] | [holeLength: number];

export interface SegmentCut {
  pieces: CutPiece[];
  /** Bytes before this offset are cut; the rest is the tail for the next segment. */
  consumed: number;
}

export function cutSegment(
  data: Buffer,
  /** Where the newly read bytes start (the length of the carried tail). */
  newStart: number,
  final: boolean,
  chunker: GearChunker,
): SegmentCut {
  const pieces: CutPiece[] = [];
  const maxSize = chunker.params.maxSize;
  let pending = 0;
  const cutRun = (end: number, toEnd: boolean) => {
    while (end - pending >= (toEnd ? 1 : maxSize)) {
      const cut = chunker.cut(data, pending, end);
      pieces.push([pending, cut, createHash('sha256').update(data.subarray(pending, cut)).digest('hex')]);
      pending = cut;
    }
  };
  for (let offset = newStart; offset + HOLE_BLOCK <= data.length; offset += HOLE_BLOCK) {
    if (!data.subarray(offset, offset + HOLE_BLOCK).equals(ZEROS)) continue;
    cutRun(offset, true);
    const last = pieces.at(-1);
    if (last?.length === 1) last[0] += HOLE_BLOCK;
    else pieces.push([HOLE_BLOCK]);
    pending = offset + HOLE_BLOCK;
  }
  cutRun(data.length, final);
  return { pieces, consumed: pending };
}
