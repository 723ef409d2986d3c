/**
 * Where a sparse file holds data. Node has no SEEK_DATA, so the extents come
 * from e2fsprogs' `filefrag` (FIEMAP, after a sync so delayed allocations
 * show); everything outside them is a hole and reads as zeros, so hashing a
 * multi-GiB sparse file reads only its data. Any doubt (tool missing, a file
 * system without FIEMAP, output we do not recognise) answers `undefined` and
 * the caller reads the whole file.
 */
import { execFile } from 'node:child_process';
import type { FileHandle } from 'node:fs/promises';
import { promisify } from 'node:util';
import { BLOCK_SIZE } from './block-hash.js';

const run = promisify(execFile);

/** Only files this large and at most half allocated are worth asking about. */
const MIN_SPARSE_SIZE = 64 * 1024 * 1024;

export interface DataLayout {
  size: number;
  /** Byte ranges [start, end) that may hold data, block aligned, sorted, disjoint. */
  data: { start: number; end: number }[];
}

/** The layout of an open file (filefrag reads it through our descriptor, so no path is looked up again). */
export async function dataLayout(
  fd: Pick<FileHandle, 'fd'>,
  st: { size: number; blocks: number },
): Promise<DataLayout | undefined> {
  if (st.size < MIN_SPARSE_SIZE || st.blocks * 512 > st.size / 2) return undefined;
  const path = `/proc/${process.pid}/fd/${fd.fd}`;
  let out: string;
  try {
    ({ stdout: out } = await run('filefrag', ['-s', '-e', path], { maxBuffer: 64 * 1024 * 1024 }));
  } catch {
    return undefined;
  }
  const unit = /blocks of (\d+) bytes\)\s*$/m.exec(out)?.[1];
  if (!unit) return undefined;
  const bytes = Number(unit);
  const extent = /^\s*\d+:\s+(\d+)\.\.\s*(\d+):\s+\d+\.\.\s*\d+:\s+\d+:/gm;
  const data: DataLayout['data'] = [];
  for (let m = extent.exec(out); m; m = extent.exec(out)) {
    const start = Math.floor((Number(m[1]) * bytes) / BLOCK_SIZE) * BLOCK_SIZE;
    const end = Math.min(Math.ceil(((Number(m[2]) + 1) * bytes) / BLOCK_SIZE) * BLOCK_SIZE, st.size);
    const last = data.at(-1);
    if (last && start < last.start) return undefined; // not sorted: not the output we know
    if (last && start <= last.end) last.end = Math.max(last.end, end);
    else if (start < end) data.push({ start, end });
  }
  const found = /: (\d+) extents? found/.exec(out);
  if (!found) return undefined;
  return { size: st.size, data };
}
