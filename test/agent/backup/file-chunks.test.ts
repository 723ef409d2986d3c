import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cpuPool } from '../../../agent/backup/cpu-pool.js';
import { DirectoryView } from '../../../agent/backup/directory-view.js';
import { fileSegments, segmentBytes } from '../../../agent/backup/file-chunks.js';
import { GearChunker } from '../../../agent/backup/gear-chunker.js';
import { DEFAULT_CHUNKER } from '../../../agent/backup/repository.js';
import { cutSegment, HOLE_BLOCK } from '../../../agent/backup/segment-cut.js';
import { SharedSlots } from '../../../agent/backup/shared-slots.js';

const MiB = 1024 * 1024;
let work: string | undefined;

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

describe('fileSegments', () => {
  it('cuts a multi-segment file exactly as the whole file at once, through two reused slots', async () => {
    work = await mkdtemp(path.join(tmpdir(), 'tm-file-chunks-'));
    const file = path.join(work, 'big.img');
    const bytes = Buffer.concat([
      randomBytes(11 * MiB + 4321),
      Buffer.alloc(5 * HOLE_BLOCK), // a hole across a segment's edge or not, wherever it falls
      randomBytes(9 * MiB),
    ]);
    await writeFile(file, bytes);
    const whole = cutSegment(bytes, 0, true, new GearChunker(DEFAULT_CHUNKER)).pieces.map((piece) =>
      piece.length === 3 ? piece[2] : `hole ${piece[0]}`,
    );

    // Two slots for a file of three segments or more: each slot is reused while earlier
    // segments' bytes are still to be checked, as sealing would read them.
    const slots = new SharedSlots(segmentBytes(DEFAULT_CHUNKER), 2);
    const seen: string[] = [];
    let covered = 0;
    let segmentsRead = 0;
    for await (const segment of fileSegments(
      new DirectoryView(),
      file,
      DEFAULT_CHUNKER,
      cpuPool(),
      slots,
      bytes.length,
    )) {
      segmentsRead++;
      for (const piece of segment.pieces) {
        if (piece.length === 1) {
          const last = seen.at(-1);
          // Holes of adjacent segments join, as the backup's extents do.
          if (last?.startsWith('hole ')) seen[seen.length - 1] = `hole ${Number(last.slice(5)) + piece[0]}`;
          else seen.push(`hole ${piece[0]}`);
          covered += piece[0];
          continue;
        }
        const [start, end, hash] = piece;
        // The bytes in the slot are the file's bytes at this chunk's place.
        expect(segment.data.subarray(start, end).equals(bytes.subarray(covered, covered + end - start))).toBe(
          true,
        );
        seen.push(hash);
        covered += end - start;
      }
      segment.release();
    }
    expect(segmentsRead).toBeGreaterThanOrEqual(3);
    expect(covered).toBe(bytes.length);
    expect(seen).toEqual(whole);
  });
});
