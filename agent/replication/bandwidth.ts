/** The hour-of-day bandwidth limit (`options.bandwidth`), as a token bucket the sender waits on. */
import type { ScenarioOptions } from '../../core/scenario.js';

export class BandwidthLimit {
  private tokens = 0;
  private last = Date.now();

  constructor(
    private readonly schedule: ScenarioOptions['bandwidth'],
    private readonly hourOf: () => number = () => new Date().getHours(),
  ) {}

  /** Bytes per second now, or undefined when this hour is unlimited. */
  rate(): number | undefined {
    const h = this.hourOf();
    return this.schedule.find((s) => s.fromHour <= h && h < s.toHour)?.bytesPerSecond;
  }

  /** Waits until `bytes` may be sent. */
  async take(bytes: number): Promise<void> {
    const rate = this.rate();
    if (rate === undefined) return;
    const now = Date.now();
    this.tokens = Math.min(rate, this.tokens + ((now - this.last) / 1000) * rate);
    this.last = now;
    this.tokens -= bytes;
    if (this.tokens < 0) await new Promise((r) => setTimeout(r, (-this.tokens / rate) * 1000));
  }
}
