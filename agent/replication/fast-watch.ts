/**
 * Low-latency hints for capture. @parcel/watcher delivers nothing sooner
 * than 50 ms after the last change (its debounce), which was the floor of
 * change → replica lag. Node's fs.watch (one inotify watch per directory)
 * reports a change in the same event-loop turn, so capture can start on it
 * at once. Hints only: @parcel/watcher keeps reporting everything, so what
 * this misses (directories past the cap, a watch lost to a rename) still
 * arrives, 50 ms later.
 *
 * Only an event after a quiet spell on its path is passed on; the rest of a
 * burst, and a file written without pause (a log, a large copy), are left
 * to @parcel/watcher's settled batches, so a growing file is not re-read
 * more often than before.
 */
import { type FSWatcher, watch } from 'node:fs';
import { join } from 'node:path';

/** Beyond this many directories only @parcel/watcher watches (inotify watches are a per-user budget). */
const MAX_DIRECTORIES = 4096;
/** Events of one syscall burst (a create and its first write, both names of a rename) land in one batch. */
const COALESCE_MS = 2;
/** An event this soon after the previous one on its path is left to @parcel/watcher. */
const QUIET_MS = 100;

export class FastWatch {
  private readonly watchers = new Map<string, FSWatcher>();
  private readonly lastEvent = new Map<string, number>();
  private pending = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(private readonly onPaths: (paths: string[]) => void) {}

  /** Watches the entries of `dir` (not its subdirectories: each is added on its own). */
  add(dir: string): void {
    if (this.closed || this.watchers.has(dir) || this.watchers.size >= MAX_DIRECTORIES) return;
    try {
      const w = watch(dir, { persistent: false }, (_type, name) => {
        if (name) this.hint(join(dir, name));
      });
      w.on('error', () => this.remove(dir));
      this.watchers.set(dir, w);
    } catch {
      // Gone already or not readable: @parcel/watcher reports what happens there.
    }
  }

  /** Stops watching `dir` and everything under it (removed, or renamed: its watch would report stale paths). */
  remove(dir: string): void {
    for (const [d, w] of this.watchers) {
      if (d === dir || d.startsWith(`${dir}/`)) {
        w.close();
        this.watchers.delete(d);
      }
    }
  }

  private hint(path: string): void {
    const now = performance.now();
    const last = this.lastEvent.get(path);
    this.lastEvent.set(path, now);
    if (this.pending.has(path) || (last !== undefined && now - last < QUIET_MS)) return;
    this.pending.add(path);
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      const paths = [...this.pending];
      this.pending.clear();
      if (this.lastEvent.size > 10_000) this.lastEvent.clear();
      if (!this.closed) this.onPaths(paths);
    }, COALESCE_MS);
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    for (const w of this.watchers.values()) w.close();
    this.watchers.clear();
  }
}
