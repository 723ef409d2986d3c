/**
 * Blob compression; the first byte of a stored blob says how: 0 raw, 1
 * brotli, 2 zstd. Node 20's zlib has no zstd, so it comes from
 * `@mongodb-js/zstd` (a native addon whose prebuilt binaries are registry
 * packages; pinned at 1.2.2, since later versions fetch binaries or sources at
 * install). Measured here on the benchmark's 1 MiB log chunks: zstd ≈540–680
 * MB/s compressing, ratio 11.5, ≈1–1.5 GB/s decompressing; brotli-1 ≈370–460
 * MB/s, ratio 7.1, ≈500–650 MB/s; deflate-1 ≈175 MB/s, ratio 3.6; lz4 ≈900
 * MB/s but ratio 4.9. A repository whose config says `zstd` stores chunks
 * over 128 KiB with zstd and smaller ones with brotli-1 (the addon costs
 * ≈100 µs a call, brotli ≈57 µs for a 12 KiB chunk); a `brotli-1` repository
 * keeps brotli, so agents that predate zstd can still read it. Large chunks
 * are sampled first (`worthCompressing`), so incompressible ones are not
 * compressed in vain. A blob that does not shrink is stored raw.
 */
import { promisify } from 'node:util';
import { brotliCompress, brotliCompressSync, brotliDecompressSync, constants } from 'node:zlib';
import { compress as zstdCompress, decompress as zstdDecompress } from '@mongodb-js/zstd';

const compressAsync = promisify(brotliCompress);
const RAW = 0;
const BROTLI = 1;
const ZSTD = 2;

/** How a repository compresses new chunks (its config's `compression`). */
export type ChunkCodec = 'brotli-1' | 'zstd';

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
const ZSTD_KIND = Buffer.of(ZSTD);

/** The stored form as parts (kind byte, body), so sealing can encrypt them without first joining them. */
function frame(plain: Buffer, packed: Buffer, kind = BROTLI_KIND): Buffer[] {
  if (packed.length + 1 < plain.length) return [kind, packed];
  return [RAW_KIND, plain];
}

/** Chunks up to this size go to brotli-1; larger ones to zstd in a zstd repository. */
const PROBE_ABOVE = 128 * 1024;
/** Large chunks are judged by this many samples spread across them. */
const PROBES = 4;

/** Chunks of at least 8 KiB are judged by the byte entropy of samples this long. */
const ENTROPY_SAMPLE = 2048;
const SAMPLED_ABOVE = 8192;
/**
 * Bits per byte above which a sample counts as random: 2 KiB of random bytes measure ≈7.9 (a short
 * sample reads a little low), log text ≈5.
 */
const RANDOM_BITS = 7.5;

const counts = new Uint16Array(256);

/** Whether the 2 KiB of `plain` from `start` have the byte entropy of random data (a few µs). */
function looksRandomAt(plain: Buffer, start: number): boolean {
  counts.fill(0);
  for (let i = start; i < start + ENTROPY_SAMPLE; i++)
    counts[plain[i] as number] = (counts[plain[i] as number] as number) + 1;
  let bits = 0;
  for (const count of counts)
    if (count > 0) bits -= (count / ENTROPY_SAMPLE) * Math.log2(count / ENTROPY_SAMPLE);
  return bits > RANDOM_BITS;
}

/**
 * Whether a chunk is worth compressing. Random data (media, archives, encrypted files) saves less
 * than 3% and is stored raw without a compression attempt: a small chunk is judged by its middle
 * 2 KiB, a large one by four 2 KiB samples spread across it (compressed if any of them is not
 * random). Only order-0 entropy: data that repeats random blocks is stored raw (dedup still applies
 * to repeated whole chunks). Sampling replaced brotli-1 over four 16 KiB samples, which cost ≈0.3
 * CPU-s per GB of the benchmark's data; counting bytes costs microseconds.
 */
export function worthCompressing(plain: Buffer): boolean {
  if (plain.length < SAMPLED_ABOVE) return true;
  if (plain.length <= PROBE_ABOVE) return !looksRandomAt(plain, (plain.length - ENTROPY_SAMPLE) >> 1);
  const step = Math.floor((plain.length - ENTROPY_SAMPLE) / (PROBES - 1));
  for (let i = 0; i < PROBES; i++) if (!looksRandomAt(plain, i * step)) return true;
  return false;
}

export async function compressBlob(plain: Buffer): Promise<Buffer> {
  return Buffer.concat(frame(plain, await compressAsync(plain, optionsFor(plain.length))));
}

/** The brotli-1 stored form of a chunk as parts to seal in turn (see `RepoKey.seal`). */
export function compressBlobSync(plain: Buffer): Buffer[] {
  if (!worthCompressing(plain)) return [RAW_KIND, plain];
  return frame(plain, brotliCompressSync(plain, optionsFor(plain.length)));
}

/**
 * JSON the repository keeps (index files, manifest roots and pages) at brotli quality 4: quality 11
 * took ≈10 s for the manifest of a 12,000-file session, quality 4 takes tens of ms and is only a
 * little larger (hex chunk ids barely compress at any quality).
 */
export function compressJson(json: Buffer): Buffer {
  return brotliCompressSync(json, {
    params: { [constants.BROTLI_PARAM_QUALITY]: 4, [constants.BROTLI_PARAM_SIZE_HINT]: json.length },
  });
}

/** The stored form of a manifest page (a blob like a chunk, so with its kind byte). */
export function compressDocument(plain: Buffer): Buffer[] {
  return frame(plain, compressJson(plain));
}

/** The stored form of a chunk under the repository's codec, as parts to seal in turn. */
export async function compressChunk(plain: Buffer, codec: ChunkCodec): Promise<Buffer[]> {
  if (codec !== 'zstd' || plain.length <= PROBE_ABOVE) return compressBlobSync(plain);
  if (!worthCompressing(plain)) return [RAW_KIND, plain];
  return frame(plain, await zstdCompress(plain, 3), ZSTD_KIND);
}

export async function decompressBlob(stored: Buffer): Promise<Buffer> {
  const kind = stored[0];
  if (kind === RAW) return stored.subarray(1);
  if (kind === BROTLI) return brotliDecompressSync(stored.subarray(1));
  if (kind === ZSTD) return zstdDecompress(stored.subarray(1));
  throw new Error(`unknown compression kind ${kind}`);
}
