/**
 * Bounds the bytes in flight between the file reader, the CPU workers and
 * the packer: `acquire` waits while taking `n` more would pass the limit
 * (one request larger than the limit still runs, alone). Waiters are served
 * in order, so a large request is not starved by small ones.
 */
export class ByteBudget {
  private used = 0;
  private readonly waiting: Array<{ n: number; go: () => void }> = [];

  constructor(readonly limit: number) {}

  async acquire(n: number): Promise<void> {
    if (this.waiting.length === 0 && this.fits(n)) {
      this.used += n;
      return;
    }
    // `release` counts the bytes in before waking us.
    await new Promise<void>((go) => this.waiting.push({ n, go }));
  }

  release(n: number): void {
    this.used -= n;
    for (let next = this.waiting[0]; next && this.fits(next.n); next = this.waiting[0]) {
      this.waiting.shift();
      this.used += next.n;
      next.go();
    }
  }

  private fits(n: number): boolean {
    return this.used === 0 || this.used + n <= this.limit;
  }
}
