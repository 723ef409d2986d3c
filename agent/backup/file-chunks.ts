/**
 * Reads one file of a SnapshotView in segments and has a CPU worker cut each
 * into chunks and holes (segment-cut.ts). Reading stays here because a view
 * (a copy-on-write snapshot overlay, say) lives on the main thread; the
 * bytes move to the worker and back without copies. Each segment's bytes are
 * taken from a ByteBudget, which the consumer gives back once it is done
 * with them, so a large file is never held whole.
 */
import type { ByteBudget } from './byte-budget.js';
import type { CpuPool } from './cpu-pool.js';
import type { ChunkerParams } from './gear-chunker.js';
import type { SegmentCut } from './segment-cut.js';
import type { SnapshotView } from './snapshot-view.js';

const READ_SIZE = 8 * 1024 * 1024;

export interface Segment extends SegmentCut {
  /** The segment's bytes; the pieces' offsets point into it. */
  data: Buffer;
  /** Gives the segment's bytes back to the budget. */
  release(): void;
}

export async function* fileSegments(
  view: SnapshotView,
  path: string,
  chunker: ChunkerParams,
  pool: CpuPool,
  budget: ByteBudget,
  /** The file's size as scanned: small files get a buffer their own size, not 8 MiB. */
  sizeHint = READ_SIZE,
): AsyncGenerator<Segment> {
  // At most `maxSize` bytes per file, outside the budget: the next segment's buffer counts them again.
  let tail: Buffer = Buffer.alloc(0);
  let position = 0;
  for (let final = false; !final; ) {
    // One byte more than expected, so a file of the scanned size ends with a short read, not an extra one.
    const expected = sizeHint - position;
    const want = expected >= 0 ? Math.min(READ_SIZE, expected + 1) : READ_SIZE;
    const size = tail.length + want;
    await budget.acquire(size);
    // Not from Node's shared pool: this buffer moves to a worker thread.
    const block = Buffer.allocUnsafeSlow(size);
    tail.copy(block);
    let filled = tail.length;
    while (filled < size) {
      const n = await view.read(path, block.subarray(filled), position + filled - tail.length, size - filled);
      if (n === 0) break;
      filled += n;
    }
    position += filled - tail.length;
    final = filled < size;
    if (filled === tail.length && tail.length === 0) {
      budget.release(size);
      return;
    }
    const cut = await pool.run<SegmentCut & { data: Uint8Array }>({
      op: 'cut',
      data: block.subarray(0, filled),
      newStart: tail.length,
      final,
      chunker,
    });
    const data = Buffer.from(cut.data.buffer, cut.data.byteOffset, cut.data.byteLength);
    // The uncut tail moves into the next segment's buffer before this one is handed out.
    tail = Buffer.from(data.subarray(cut.consumed));
    let released = false;
    yield {
      pieces: cut.pieces,
      consumed: cut.consumed,
      data,
      release: () => {
        if (!released) budget.release(size);
        released = true;
      },
    };
  }
}
