/**
 * Reads one file of a SnapshotView in segments and has a CPU worker cut each
 * into chunks and holes (segment-cut.ts). Reading stays here because a view
 * (a copy-on-write snapshot overlay, say) lives on the main thread. Each
 * segment is read into a shared slot (shared-slots.ts), which the worker
 * reads in place; the consumer gives the slot back once it is done with the
 * bytes, so a large file is never held whole.
 *
 * A segment's uncut tail (less than `maxSize` bytes, whose chunk ends in
 * bytes not read yet) is read again from the view at the start of the next
 * segment rather than copied across: a view is a point-in-time snapshot, so
 * the bytes are the same, and no buffer has to outlive its slot.
 */
import type { CpuPool } from './cpu-pool.js';
import type { ChunkerParams } from './gear-chunker.js';
import type { SegmentCut } from './segment-cut.js';
import type { SharedSlots } from './shared-slots.js';
import type { SnapshotView } from './snapshot-view.js';

/** New bytes per segment. */
const READ_SIZE = 8 * 1024 * 1024;

/** The slot size a segment needs: a tail of up to `maxSize` bytes, READ_SIZE new ones and one spare. */
export function segmentBytes(chunker: ChunkerParams): number {
  return chunker.maxSize + READ_SIZE + 1;
}

export interface Segment extends SegmentCut {
  /** The segment's bytes; the pieces' offsets point into it. */
  data: Buffer;
  /** Gives the segment's slot back. */
  release(): void;
}

export async function* fileSegments(
  view: SnapshotView,
  path: string,
  chunker: ChunkerParams,
  pool: CpuPool,
  slots: SharedSlots,
  /** The file's size as scanned: a file of that size ends with a short read, not an extra one. */
  sizeHint = READ_SIZE,
): AsyncGenerator<Segment> {
  /** Where the segment's new bytes start in the file, and how many uncut bytes precede them. */
  let position = 0;
  let tail = 0;
  for (let final = false; !final; ) {
    const expected = sizeHint - position;
    const want = expected >= 0 ? Math.min(READ_SIZE, expected + 1) : READ_SIZE;
    const slot = await slots.acquire();
    const size = tail + want;
    let filled = 0;
    let cut: SegmentCut;
    try {
      while (filled < size) {
        const n = await view.read(path, slot.subarray(filled), position - tail + filled, size - filled);
        if (n === 0) break;
        filled += n;
      }
      final = filled < size;
      if (filled === 0) {
        slots.release(slot);
        return;
      }
      // A live file that shrank under the read is cut as far as it goes now.
      const data = slot.subarray(0, filled);
      cut = await pool.run<SegmentCut>({ op: 'cut', data, newStart: Math.min(tail, filled), final, chunker });
    } catch (error) {
      slots.release(slot);
      throw error;
    }
    position += filled - tail;
    tail = filled - cut.consumed;
    let released = false;
    yield {
      pieces: cut.pieces,
      consumed: cut.consumed,
      data: slot.subarray(0, filled),
      release: () => {
        if (!released) slots.release(slot);
        released = true;
      },
    };
  }
}
