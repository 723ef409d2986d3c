/**
 * A fixed set of equal buffers over SharedArrayBuffers, handed out and taken
 * back. The backup reads segments into them, the CPU workers cut and seal
 * from and into them, and packs are assembled in them, so the bytes cross
 * threads without a copy or a transfer, and the same memory serves the
 * whole backup. Allocating a fresh buffer per segment and per sealed chunk
 * (≈1.5 GB per GB backed up) made V8 start a mark-compact every ≈40 ms for
 * "external memory pressure": ≈1 s of the main thread's 3.4 busy seconds.
 * Slots are created on first use; `acquire` waits while all are out, and
 * waiters are served in order.
 *
 * A pool's slots are carved from one shared WebAssembly.Memory, at page
 * boundaries, rather than being plain SharedArrayBuffers: V8 maps that
 * memory page-aligned, while a plain one comes from malloc 16 bytes past a
 * page boundary, and direct I/O (direct-io.ts) needs its buffer aligned to
 * the disk's blocks. One memory per pool, since V8 reserves 10 GiB of
 * address space (not memory) for each; its pages count as resident only
 * once a slot touches them, as before.
 */
export class SharedSlots {
  private readonly free: Buffer[] = [];
  private readonly waiting: Array<(slot: Buffer) => void> = [];
  private created = 0;
  private memory: Buffer | undefined;
  /** Where each slot starts after the one before: its size rounded up to a page. */
  private readonly stride: number;

  constructor(
    readonly slotBytes: number,
    readonly count: number,
  ) {
    if (count < 1) throw new Error('a slot pool needs at least one slot');
    this.stride = Math.ceil(slotBytes / PAGE) * PAGE;
  }

  async acquire(): Promise<Buffer> {
    const slot = this.free.pop();
    if (slot) return slot;
    if (this.created < this.count) {
      this.memory ??= alignedSharedBuffer(this.stride * this.count);
      const start = this.stride * this.created++;
      return this.memory.subarray(start, start + this.slotBytes);
    }
    return new Promise<Buffer>((resolve) => this.waiting.push(resolve));
  }

  /** Gives back a slot, as `acquire` returned it. */
  release(slot: Buffer): void {
    const next = this.waiting.shift();
    if (next) next(slot);
    else this.free.push(slot);
  }
}

/** Slots start on page boundaries, which covers 512-byte and 4 KiB disk blocks. */
const PAGE = 4096;
/** WebAssembly memory grows in pages of 64 KiB. */
const WASM_PAGE = 64 * 1024;

/** The one WebAssembly call used here: the project's TypeScript libs (ES2023, no DOM) do not declare it. */
type SharedMemory = new (limits: {
  initial: number;
  maximum: number;
  shared: true;
}) => {
  buffer: SharedArrayBuffer;
};
const Memory = (globalThis as unknown as { WebAssembly: { Memory: SharedMemory } }).WebAssembly.Memory;

/**
 * `bytes` of zeroed shared memory starting on a page boundary, or, where the address space for a
 * WebAssembly memory cannot be had (a `ulimit -v`, say), a plain SharedArrayBuffer: direct I/O then
 * refuses it and the ordinary read or write runs.
 */
export function alignedSharedBuffer(bytes: number): Buffer {
  const pages = Math.max(1, Math.ceil(bytes / WASM_PAGE));
  try {
    const memory = new Memory({ initial: pages, maximum: pages, shared: true });
    return Buffer.from(memory.buffer, 0, bytes);
  } catch (error) {
    if (!(error instanceof RangeError)) throw error;
    return Buffer.from(new SharedArrayBuffer(bytes));
  }
}
