/**
 * Blob compression. Node 20's zlib has no zstd; measured on this machine for
 * 1 MiB blocks, brotli quality 1 runs at ≈2.8 GB/s on text and ≈350 MB/s on
 * random data against ≈700 MB/s and ≈9–100 MB/s for deflate level 1, so
 * brotli-1 it is. Large chunks are sampled first (`worthCompressing`), so
 * incompressible ones are not compressed in vain. Backups call the sync form inside the CPU workers
 * (cpu-worker.ts); the async form runs on libuv's thread pool. A blob that
 * does not shrink is stored raw; the first byte says which.
 */
import { promisify } from 'node:util';
import { brotliCompress, brotliCompressSync, brotliDecompressSync, constants } from 'node:zlib';

const compressAsync = promisify(brotliCompress);
const RAW = 0;
const BROTLI = 1;

function optionsFor(length: number) {
  return {
    params: {
      [constants.BROTLI_PARAM_QUALITY]: 1,
      [constants.BROTLI_PARAM_LGWIN]: 22,
      [constants.BROTLI_PARAM_SIZE_HINT]: length,
    },
  };
}

const RAW_KIND = Buffer.of(RAW);
const BROTLI_KIND = Buffer.of(BROTLI);

/** The stored form as parts (kind byte, body), so sealing can encrypt them without first joining them. */
function frame(plain: Buffer, packed: Buffer): Buffer[] {
  if (packed.length + 1 < plain.length) return [BROTLI_KIND, packed];
  return [RAW_KIND, plain];
}

/** Below this a chunk is compressed outright; above it a few samples decide first. */
const PROBE_ABOVE = 128 * 1024;
const PROBE_SLICE = 16 * 1024;
const PROBES = 4;
const PROBE_OPTIONS = {
  params: { [constants.BROTLI_PARAM_QUALITY]: 1, [constants.BROTLI_PARAM_LGWIN]: 16 },
};

/**
 * Whether a large chunk is worth compressing: brotli-1 over four 16 KiB samples spread across it
 * (≈1/16 of the work for a 1 MiB chunk). Random data (media, archives, encrypted files) saves less
 * than 3% on all of them and is stored raw without compressing the whole chunk, which was ≈40% of
 * the compression time on the benchmark's mixed dataset.
 */
export function worthCompressing(plain: Buffer): boolean {
  if (plain.length <= PROBE_ABOVE) return true;
  const step = Math.floor((plain.length - PROBE_SLICE) / (PROBES - 1));
  let packed = 0;
  for (let i = 0; i < PROBES; i++) {
    const slice = plain.subarray(i * step, i * step + PROBE_SLICE);
    packed += brotliCompressSync(slice, PROBE_OPTIONS).length;
  }
  return packed < PROBES * PROBE_SLICE * 0.97;
}

export async function compressBlob(plain: Buffer): Promise<Buffer> {
  return Buffer.concat(frame(plain, await compressAsync(plain, optionsFor(plain.length))));
}

/** The stored form of a chunk as parts to seal in turn (see `RepoKey.seal`). */
export function compressBlobSync(plain: Buffer): Buffer[] {
  if (!worthCompressing(plain)) return [RAW_KIND, plain];
  return frame(plain, brotliCompressSync(plain, optionsFor(plain.length)));
}

export function decompressBlob(stored: Buffer): Buffer {
  const kind = stored[0];
  if (kind === RAW) return stored.subarray(1);
  if (kind === BROTLI) return brotliDecompressSync(stored.subarray(1));
  throw new Error(`unknown compression kind ${kind}`);
}
