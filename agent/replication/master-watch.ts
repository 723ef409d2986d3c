/**
 * The replica's is-alive check of its master: the master sends a frame at
 * least every `intervalSeconds` (a ping when it has nothing else to send),
 * so silence for `misses` intervals means the master, its agent or the path
 * to it is gone — also when no TCP FIN ever arrives (a power cut, a pulled
 * cable). One `onLost` per spell of silence, one `onBack` when it ends.
 * A suspended replica reads nothing (back-pressure holds the master's
 * frames), so silence then says nothing and is not counted.
 */
export interface MasterWatchOptions {
  intervalSeconds: number;
  misses: number;
  /** True while apply is held (suspend, snapshot): the socket is not read then. */
  held(): boolean;
  onLost(silentSeconds: number): void;
  onBack(): void;
  now?: () => number;
}

export class MasterWatch {
  private lastHeard: number;
  private lost = false;
  private timer: NodeJS.Timeout | undefined;
  private readonly now: () => number;

  constructor(private readonly o: MasterWatchOptions) {
    this.now = o.now ?? Date.now;
    this.lastHeard = this.now();
  }

  start(): void {
    this.timer ??= setInterval(() => this.check(), Math.max(250, (this.o.intervalSeconds * 1000) / 2));
    this.timer.unref();
  }

  /** Something arrived from the master. */
  heard(): void {
    this.lastHeard = this.now();
    if (!this.lost) return;
    this.lost = false;
    this.o.onBack();
  }

  check(): void {
    if (this.o.held()) {
      this.lastHeard = this.now();
      return;
    }
    const silentMs = this.now() - this.lastHeard;
    if (this.lost || silentMs <= this.o.intervalSeconds * this.o.misses * 1000) return;
    this.lost = true;
    this.o.onLost(Math.round(silentMs / 1000));
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }
}
