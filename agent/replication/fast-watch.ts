/**
 * Low-latency hints for capture. @parcel/watcher delivers nothing sooner
 * than 50 ms after the last change (its debounce), which was the floor of
 * change → replica lag. Node's fs.watch (one inotify watch per directory)
 * reports a change in the same event-loop turn, so capture can start on it
 * at once. @parcel/watcher still watches everything, so what this misses
 * (directories past the cap, a watch lost to a rename) arrives through it,
 * 50 ms later, as long as it keeps reporting (see below).
 *
 * Only an event after a quiet spell on its path is passed on at once; the
 * rest of a burst, and a file written without pause (a log, a large copy),
 * are passed on once together when the burst settles (at most every
 * second), so a growing file is not re-read more often than before. That
 * trailing edge is not optional: after some bursts of renames across
 * directories @parcel/watcher 2.6 stops reporting anything at all (seen
 * with the randomized workload of replication.test.ts), and then these
 * hints are all capture hears.
 */
import { type FSWatcher, watch } from 'node:fs';
import { join } from 'node:path';

/** Beyond this many directories only @parcel/watcher watches (inotify watches are a per-user budget). */
const MAX_DIRECTORIES = 4096;
/** Events of one syscall burst (a create and its first write, both names of a rename) land in one batch. */
const COALESCE_MS = 2;
/** An event this soon after the previous one on its path waits for the burst's trailing edge. */
const QUIET_MS = 100;
/** A burst that never settles is still passed on this often. */
const MAX_TRAILING_MS = 1000;

export class FastWatch {
  private readonly watchers = new Map<string, FSWatcher>();
  private readonly lastEvent = new Map<string, number>();
  private pending = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  /** Paths whose events came during a burst, passed on when it settles. */
  private trailing = new Set<string>();
  private trailingTimer: NodeJS.Timeout | undefined;
  private trailingSince = 0;
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
    if (this.pending.has(path)) return;
    if (last !== undefined && now - last < QUIET_MS) {
      this.later(path, now);
      return;
    }
    this.pending.add(path);
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      const paths = [...this.pending];
      this.pending.clear();
      if (this.lastEvent.size > 10_000) this.lastEvent.clear();
      if (!this.closed) this.onPaths(paths);
    }, COALESCE_MS);
  }

  /** Passes `path` on once the burst settles: QUIET_MS after its last event, at most MAX_TRAILING_MS after the first. */
  private later(path: string, now: number): void {
    if (this.trailing.size === 0) this.trailingSince = now;
    this.trailing.add(path);
    if (this.trailingTimer) clearTimeout(this.trailingTimer);
    const wait = Math.max(0, Math.min(QUIET_MS, this.trailingSince + MAX_TRAILING_MS - now));
    this.trailingTimer = setTimeout(() => {
      this.trailingTimer = undefined;
      const paths = [...this.trailing];
      this.trailing.clear();
      if (!this.closed) this.onPaths(paths);
    }, wait);
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.trailingTimer) clearTimeout(this.trailingTimer);
    for (const w of this.watchers.values()) w.close();
    this.watchers.clear();
  }
}
