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
 * Each slot is the memory of a shared WebAssembly.Memory rather than a plain
 * SharedArrayBuffer: V8 maps that memory page-aligned, while a plain one
 * comes from malloc 16 bytes past a page boundary, and a write with direct
 * I/O (direct-io.ts) needs its buffer aligned to the disk's blocks.
 */
export class SharedSlots {
  private readonly free: Buffer[] = [];
  private readonly waiting: Array<(slot: Buffer) => void> = [];
  private created = 0;

  constructor(
    readonly slotBytes: number,
    readonly count: number,
  ) {
    if (count < 1) throw new Error('a slot pool needs at least one slot');
  }

  async acquire(): Promise<Buffer> {
    const slot = this.free.pop();
    if (slot) return slot;
    if (this.created < this.count) {
      this.created++;
      return alignedSharedBuffer(this.slotBytes);
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

/** `bytes` of zeroed shared memory starting on a page boundary. */
export function alignedSharedBuffer(bytes: number): Buffer {
  const pages = Math.max(1, Math.ceil(bytes / WASM_PAGE));
  const memory = new Memory({ initial: pages, maximum: pages, shared: true });
  return Buffer.from(memory.buffer, 0, bytes);
}
