/** The content-defined chunker: size bounds, the size distribution (printed), and boundaries that survive an insertion. */
import { createCipheriv, createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { GearChunker } from '../../../agent/backup/gear-chunker.js';
import { DEFAULT_CHUNKER } from '../../../agent/backup/repository.js';

function chunkAll(chunker: GearChunker, data: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let start = 0;
  while (start < data.length) {
    const end = chunker.cut(data, start, data.length);
    out.push(data.subarray(start, end));
    start = end;
  }
  return out;
}

describe('GearChunker', () => {
  const data = randomBytes(128 * 1024 * 1024);
  const chunker = new GearChunker(DEFAULT_CHUNKER);

  it('cuts chunks within the bounds, clustered around the average size', () => {
    const started = performance.now();
    const chunks = chunkAll(chunker, data);
    const seconds = (performance.now() - started) / 1000;
    const sizes = chunks.slice(0, -1).map((c) => c.length);
    const mean = sizes.reduce((a, b) => a + b, 0) / sizes.length;
    const sd = Math.sqrt(sizes.reduce((a, b) => a + (b - mean) ** 2, 0) / sizes.length);
    const buckets = new Map<string, number>();
    for (const size of sizes) {
      const key = `${Math.floor(size / (512 * 1024)) * 512}-${Math.floor(size / (512 * 1024)) * 512 + 512} KiB`;
      buckets.set(key, (buckets.get(key) ?? 0) + 1);
    }
    console.log(
      `chunk sizes over 128 MiB random: n=${sizes.length} mean=${(mean / 1024).toFixed(0)} KiB sd=${(sd / 1024).toFixed(0)} KiB ` +
        `min=${Math.min(...sizes)} max=${Math.max(...sizes)}; histogram ${JSON.stringify(Object.fromEntries([...buckets].sort()))}; ` +
        `chunker throughput ${(128 / seconds).toFixed(0)} MiB/s`,
    );
    expect(chunks.reduce((n, c) => n + c.length, 0)).toBe(data.length);
    expect(Math.min(...sizes)).toBeGreaterThanOrEqual(DEFAULT_CHUNKER.minSize);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(DEFAULT_CHUNKER.maxSize);
    expect(mean).toBeGreaterThan(DEFAULT_CHUNKER.avgSize * 0.7);
    expect(mean).toBeLessThan(DEFAULT_CHUNKER.avgSize * 1.5);
  });

  it('cuts exactly where the plain JavaScript gear loop did (the WebAssembly kernel changes no boundary)', () => {
    // Fingerprints of the cut positions, recorded with the JavaScript loop before the kernel replaced
    // it: a changed boundary would make every existing repository's chunks unmatchable (no dedup).
    // A deterministic pseudo-random stream (AES-CTR keystream under a zero key) and repetitive text.
    const pseudoRandom = createCipheriv('aes-128-ctr', Buffer.alloc(16), Buffer.alloc(16)).update(
      Buffer.alloc(24 << 20),
    );
    const lines: string[] = [];
    for (let n = 0, size = 0; size < 8 << 20; n++) {
      const line = `line ${n} value ${(n * 2654435761) % 1000003} ${n % 7 ? 'ok' : 'retry'}\n`;
      lines.push(line);
      size += line.length;
    }
    const data = Buffer.concat([pseudoRandom, Buffer.from(lines.join('')).subarray(0, 8 << 20)]);
    const fingerprint = (params: typeof DEFAULT_CHUNKER) => {
      const cuts: number[] = [];
      for (let s = 0; s < data.length; cuts.push(s)) s = new GearChunker(params).cut(data, s, data.length);
      return `${cuts.length} ${createHash('sha256').update(cuts.join(',')).digest('hex')}`;
    };
    expect(fingerprint(DEFAULT_CHUNKER)).toBe(
      '28 e480d308b7e9956ba1664430d63f482d3a86ddf5706204ddbcbb647024ef6f66',
    );
    expect(fingerprint({ minSize: 2048, avgSize: 8192, maxSize: 65536 })).toBe(
      '3600 9d2dd6f5bab517e9eb9c7759669046d794921a8f09bcd8e081a28ca05227d1b7',
    );
  });

  it('finds the same boundaries after bytes are inserted near the start', () => {
    const digests = (chunks: Buffer[]) =>
      new Set(chunks.map((c) => createHash('sha256').update(c).digest('hex')));
    const original = digests(chunkAll(chunker, data.subarray(0, 32 * 1024 * 1024)));
    const shifted = Buffer.concat([
      data.subarray(0, 1000),
      randomBytes(77),
      data.subarray(1000, 32 * 1024 * 1024),
    ]);
    const after = digests(chunkAll(chunker, shifted));
    const shared = [...after].filter((d) => original.has(d)).length;
    expect(shared).toBeGreaterThanOrEqual(original.size - 2);
  });
});
