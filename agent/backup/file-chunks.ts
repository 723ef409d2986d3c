/**
 * Turns one file of a SnapshotView into chunks and holes. The file is read
 * in large blocks; every aligned 64 KiB block that is all zeros becomes part
 * of a hole (Node has no SEEK_HOLE, so holes are found by content), and the
 * data between holes goes through the content-defined chunker.
 */
import type { GearChunker } from './gear-chunker.js';
import type { SnapshotView } from './snapshot-view.js';

export type Piece = { kind: 'chunk'; data: Buffer } | { kind: 'hole'; length: number };

export const HOLE_BLOCK = 64 * 1024;
const READ_SIZE = 8 * 1024 * 1024;
const ZEROS = Buffer.alloc(HOLE_BLOCK);

export async function* fileChunks(
  view: SnapshotView,
  path: string,
  chunker: GearChunker,
  /** The file's size as scanned: small files then get a buffer their own size, not 8 MiB (GC churn). */
  sizeHint = READ_SIZE,
): AsyncGenerator<Piece> {
  let pending: Buffer = Buffer.alloc(0); // data not yet cut into chunks
  let hole = 0;
  let position = 0;
  const maxSize = chunker.params.maxSize;

  function* cutAll(final: boolean): Generator<Piece> {
    let start = 0;
    while (pending.length - start >= (final ? 1 : maxSize)) {
      const end = chunker.cut(pending, start, pending.length);
      yield { kind: 'chunk', data: pending.subarray(start, end) };
      start = end;
    }
    pending = pending.subarray(start);
  }

  for (;;) {
    // One byte more than expected, so a file of the scanned size ends with a short read, not an extra one.
    const expected = sizeHint - position;
    const block = Buffer.allocUnsafe(expected >= 0 ? Math.min(READ_SIZE, expected + 1) : READ_SIZE);
    let filled = 0;
    while (filled < block.length) {
      const n = await view.read(path, block.subarray(filled), position + filled, block.length - filled);
      if (n === 0) break;
      filled += n;
    }
    if (filled === 0) break;
    position += filled;
    let dataStart = 0;
    for (let offset = 0; offset < filled; offset += HOLE_BLOCK) {
      const end = Math.min(offset + HOLE_BLOCK, filled);
      const zero = end - offset === HOLE_BLOCK && block.subarray(offset, end).equals(ZEROS);
      if (!zero) continue;
      if (offset > dataStart) {
        if (hole > 0) yield { kind: 'hole', length: hole };
        hole = 0;
        pending = join(pending, block.subarray(dataStart, offset));
        yield* cutAll(false);
      }
      if (pending.length > 0) yield* cutAll(true);
      hole += HOLE_BLOCK;
      dataStart = end;
    }
    if (dataStart < filled) {
      if (hole > 0) yield { kind: 'hole', length: hole };
      hole = 0;
      pending = join(pending, block.subarray(dataStart, filled));
      yield* cutAll(false);
    }
    if (filled < block.length) break;
  }
  if (pending.length > 0) yield* cutAll(true);
  if (hole > 0) yield { kind: 'hole', length: hole };
}

function join(a: Buffer, b: Buffer): Buffer {
  return a.length === 0 ? b : Buffer.concat([a, b]);
}
