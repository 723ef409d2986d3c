/**
 * The gear hash's inner loop as a small hand-assembled WebAssembly function.
 * The same loop in JavaScript ran ≈600–750 MB/s (every byte and table read
 * bounds-checked); compiled WebAssembly runs ≈2 GB/s on this machine, and
 * chunking was the largest CPU cost of a backup. The function sees only its
 * own memory: the 256-entry gear table, a slot for the hash, and a window the
 * caller's bytes are copied into, up to 64 KiB at a time (a copy costs far
 * less than hashing the bytes when it is a memcpy, see shared-copy.ts;
 * windows grow from 4 KiB, so little is copied past the cut).
 *
 * scan(from, to, mask, hash) → i32: rolls `hash = (hash << 1) + table[byte]`
 * over memory[from, to); at the first byte where `hash & mask` is zero it
 * returns that byte's address + 1, else it stores the hash at HASH_SLOT and
 * returns -1.
 */
import { copyBytes } from './shared-copy.js';

const TABLE = 0;
const HASH_SLOT = 1024;
const WINDOW = 2048;
const WINDOW_BYTES = 64 * 1024;

const leb = (n: number): number[] => {
  const out: number[] = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n) byte |= 0x80;
    out.push(byte);
  } while (n);
  return out;
};
const section = (id: number, bytes: number[]) => [id, ...leb(bytes.length), ...bytes];

// Locals: 0 from (the running address), 1 to, 2 mask, 3 hash. One instruction group per row.
const BODY = [
  [0x00], // no locals beyond the parameters
  [0x02, 0x40], // block
  [0x20, 0, 0x20, 1, 0x4f, 0x0d, 0], //   from >= to → leave the block
  [0x03, 0x40], //   loop
  [0x20, 3, 0x41, 1, 0x74], //     hash << 1
  [0x20, 0, 0x2d, 0, 0], //     memory[from] (i32.load8_u)
  [0x41, 2, 0x74, 0x28, 2, TABLE], //     table[byte] (i32.load at byte * 4)
  [0x6a, 0x22, 3], //     hash = the sum (i32.add, local.tee)
  [0x20, 2, 0x71, 0x45], //     (hash & mask) == 0
  [0x04, 0x40, 0x20, 0, 0x41, 1, 0x6a, 0x0f, 0x0b], //     if so: return from + 1
  [0x20, 0, 0x41, 1, 0x6a, 0x22, 0], //     from += 1
  [0x20, 1, 0x49, 0x0d, 0], //     from < to → loop again
  [0x0b], //   end loop
  [0x0b], // end block
  [0x41, ...leb(HASH_SLOT), 0x20, 3, 0x36, 2, 0], // store hash at HASH_SLOT (1024 reads the same as signed LEB128)
  [0x41, 0x7f], // return -1
  [0x0b],
].flat();

const MODULE = new Uint8Array([
  ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00], // magic, version 1
  ...section(1, [1, 0x60, 4, 0x7f, 0x7f, 0x7f, 0x7f, 1, 0x7f]), // type: (i32 × 4) → i32
  ...section(2, [1, 1, 0x6d, 3, 0x6d, 0x65, 0x6d, 0x02, 0x00, 2]), // import m.mem, memory, ≥ 2 pages
  ...section(3, [1, 0]), // one function of type 0
  ...section(7, [1, 4, 0x73, 0x63, 0x61, 0x6e, 0x00, 0]), // export "scan"
  ...section(10, [1, ...leb(BODY.length), ...BODY]),
]);

/** The WebAssembly calls used here: the project's TypeScript libs (ES2023, no DOM) do not declare them. */
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Memory: new (limits: { initial: number; maximum: number }) => { buffer: ArrayBuffer };
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
}
const Wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

let compiled: object | undefined;

export class GearKernel {
  private readonly bytes: Buffer;
  private readonly words: Int32Array;
  private readonly scanFn: (from: number, to: number, mask: number, hash: number) => number;
  /** The rolled hash after a `scan` that found no cut. */
  hash = 0;

  constructor(table: Int32Array) {
    compiled ??= new Wasm.Module(MODULE);
    // 2 pages: table, slot and window (2048 + 64 KiB) fit; the memory never grows, so views stay valid.
    const memory = new Wasm.Memory({ initial: 2, maximum: 2 });
    const instance = new Wasm.Instance(compiled, { m: { mem: memory } });
    this.scanFn = instance.exports.scan as GearKernel['scanFn'];
    this.bytes = Buffer.from(memory.buffer);
    this.words = new Int32Array(memory.buffer);
    this.words.set(table, TABLE / 4);
  }

  /**
   * Rolls `hash` over `data[from, to)`: the index after the first byte where `hash & mask` is zero,
   * or -1 if there is none (then `this.hash` is the hash after the last byte).
   */
  scan(data: Uint8Array, from: number, to: number, mask: number, hash: number): number {
    // Windows start small and double: a cut is often found early, and bytes past it need no copy.
    for (let at = from, window = 4096; at < to; window = Math.min(2 * window, WINDOW_BYTES)) {
      const n = Math.min(window, to - at);
      copyBytes(data.subarray(at, at + n), this.bytes, WINDOW);
      const found = this.scanFn(WINDOW, WINDOW + n, mask, hash);
      if (found >= 0) return at + (found - WINDOW);
      hash = this.words[HASH_SLOT / 4] as number;
      at += n;
    }
    this.hash = hash;
    return -1;
  }
}
