/**
 * Master capture: watches the roots (@parcel/watcher, inotify underneath)
 * and turns each change into journal records appended to every replica's
 * spool. A file change is diffed block by block against the signature of
 * what the replica holds, so only changed blocks travel.
 *
 * The watcher reports a rename as a delete and a create; the inode tells
 * them apart from a real delete and create. After a directory rename the
 * watcher keeps reporting old paths, so capture re-subscribes and rescans
 * the moved tree.
 */
import watcher from '@parcel/watcher';
import type { RootStatistics } from '../scenario-runtime.js';
import { BLOCK_SIZE, blockHashesOf, hashAt, hashBlocks, isZero, SMALL_FILE } from './block-hash.js';
import { FastWatch } from './fast-watch.js';
import { digestRecords } from './master-checksums.js';
import type { MasterFiles } from './master-files.js';
import type { UnsequencedRecord } from './records.js';
import { isRacy, type SignatureStore, sameTime, signatureKey } from './signature-store.js';
import { dataLayout } from './sparse-layout.js';
import { type Spool, SpoolWriteError } from './spool.js';
import type { TreeEntry } from './tree-walk.js';

export interface CaptureChannel {
  spool: Spool;
  sigs: SignatureStore;
}

interface IndexEntry {
  kind: TreeEntry['kind'];
  ino: number;
  target?: string;
  /** A file's size, time, mode and owner when last captured: an event that finds them unchanged has nothing to send. */
  stamp?: string;
}

const stampOf = (e: TreeEntry) => `${e.size}:${e.mtimeMs}:${e.mode}:${e.uid}:${e.gid}`;

const MAX_RUN = 1024 * 1024;
/** Digest records per spool append: about 1 MiB of records. */
const CHECKSUM_BATCH = 8192;
const FLUSH_BYTES = 8 * 1024 * 1024;
const MAX_OUTSTANDING_BYTES = 64 * 1024 * 1024;
/** Longer than the watcher's batching delay, short enough to keep the replica's extra copy brief. */
const RECHECK_MS = 300;

export class Capture {
  private readonly index = new Map<string, IndexEntry>();
  private readonly queue: { path: string; type: 'create' | 'update' | 'delete' }[] = [];
  private subscriptions: watcher.AsyncSubscription[] = [];
  private running: Promise<void> | undefined;
  private paused = 0;
  private closed = false;
  private readonly rechecks = new Set<NodeJS.Timeout>();
  /** Appends handed to the spools and not yet durable (see track). */
  private readonly outstanding = new Set<Promise<void>>();
  private outstandingBytes = 0;
  /** Wakes the capture loop while it waits for durability, when new events arrive. */
  private nudge: (() => void) | undefined;
  /**
   * A hinted path is looked at again later too: @parcel/watcher reports
   * nothing for a path created and removed within one of its batches, so a
   * file the hint already sent would otherwise stay on the replica.
   */
  private readonly fast = new FastWatch((paths) => {
    this.enqueue(paths);
    this.recheckLater(paths);
  });

  constructor(
    private readonly roots: string[],
    /** The roots' files, reached without following symlinks (master-files.ts). */
    private readonly files: MasterFiles,
    private readonly channels: CaptureChannel[],
    private readonly stats: Map<string, RootStatistics>,
    /** Called after each append, e.g. to check the spool threshold. */
    private readonly afterAppend: () => Promise<void>,
    private readonly onError: (e: Error) => void,
    /** Told each file state that is now durable in every spool (tests and benchmarks observe it). */
    private readonly onSpooled: (path: string, size: number) => void = () => undefined,
  ) {}

  /** Paths to look at now (fast-watch hints, rechecks). */
  private enqueue(paths: string[]): void {
    if (this.closed) return;
    this.queue.push(...paths.map((path) => ({ path, type: 'update' as const })));
    this.kick();
    this.nudge?.();
  }

  async start(): Promise<void> {
    for (const root of this.roots) {
      this.fast.add(root);
      this.subscriptions.push(
        await watcher.subscribe(root, (err, events) => {
          if (err) return this.onError(err);
          this.queue.push(...events);
          this.kick();
          this.nudge?.();
        }),
      );
    }
  }

  /** Replaces the index with a fresh walk (synchronization does one anyway). */
  setIndex(entries: TreeEntry[]): void {
    this.index.clear();
    for (const e of entries) {
      this.index.set(e.path, { kind: e.kind, ino: e.ino, target: e.target });
      if (e.kind === 'dir') this.fast.add(e.path);
    }
  }

  /** Holds change processing (events keep queueing) until the returned release is called. */
  async pause(): Promise<() => void> {
    this.paused++;
    while (this.running) await this.running;
    return () => {
      this.paused--;
      this.kick();
    };
  }

  /**
   * Appends the master's checksum of every captured file to each spool
   * (master-checksums.ts), with capture held so the signatures describe
   * exactly what was spooled before. Resolves once they are durable, with
   * the sequence number the last one got in each channel; `files` and
   * `skipped` are the last channel's (every channel walks the same index).
   */
  async appendChecksums(): Promise<{ files: number; skipped: number; lastSeq: number[] }> {
    const release = await this.pause();
    try {
      const files = [...this.index]
        .filter(([, entry]) => entry.kind === 'file')
        .map(([path, entry]) => ({ path, ino: entry.ino }));
      const lastSeq: number[] = [];
      let sent = 0;
      let skipped = 0;
      for (const channel of this.channels) {
        const found = await digestRecords(files, channel.sigs, this.files);
        let last = channel.spool.nextSeq - 1;
        for (let i = 0; i < found.records.length; i += CHECKSUM_BATCH) {
          const appended = await channel.spool.append(found.records.slice(i, i + CHECKSUM_BATCH));
          last = appended.at(-1)?.seq ?? last;
        }
        await this.afterAppend();
        lastSeq.push(last);
        sent = found.records.length;
        skipped = found.skipped;
      }
      return { files: sent, skipped, lastSeq };
    } finally {
      release();
    }
  }

  /** Resolves once every queued event has been turned into durable records. */
  async idle(): Promise<void> {
    while (
      this.running ||
      this.rechecks.size > 0 ||
      this.outstanding.size > 0 ||
      (this.queue.length > 0 && this.paused === 0)
    ) {
      this.kick();
      await (this.running ?? new Promise((r) => setTimeout(r, 5)));
    }
  }

  private kick(): void {
    if (this.running || this.paused > 0 || this.closed || this.queue.length === 0) return;
    this.running = (async () => {
      try {
        for (;;) {
          if (this.queue.length > 0 && this.paused === 0 && !this.closed) {
            await this.processBatch(this.queue.splice(0));
            continue;
          }
          if (this.outstanding.size === 0) break;
          // Done only once durable (pause and close rely on it); new events cut the wait short.
          await new Promise<void>((resolve) => {
            this.nudge = resolve;
            void Promise.all(this.outstanding).then(() => resolve());
          });
          this.nudge = undefined;
        }
      } catch (e) {
        this.onError(e as Error);
      } finally {
        this.running = undefined;
      }
    })();
  }

  private rootOf(path: string): string {
    return this.roots.find((r) => path === r || path.startsWith(`${r}/`)) ?? (this.roots[0] as string);
  }

  private count(path: string, what: 'created' | 'changed' | 'removed' | 'renamed'): void {
    const s = this.stats.get(this.rootOf(path));
    if (s) s[what]++;
  }

  private async appendAll(records: UnsequencedRecord[]): Promise<void> {
    if (records.length === 0) return;
    this.track(Promise.all(this.channels.map((c) => c.spool.append(records))), 0);
  }

  private async processBatch(events: { path: string; type: string }[]): Promise<void> {
    const gone = new Map<string, IndexEntry>();
    const seen = new Set<string>();
    const present: string[] = [];
    for (const ev of events) {
      if (seen.has(ev.path)) continue;
      seen.add(ev.path);
      present.push(ev.path);
    }
    const moved: string[] = [];
    const now = new Map<string, TreeEntry | undefined>();
    for (const path of present) now.set(path, await this.files.entryOf(path));
    for (const path of present) {
      const known = this.index.get(path);
      const e = now.get(path);
      if (known && (!e || e.ino !== known.ino || e.kind !== known.kind)) gone.set(path, known);
    }
    // Parents first, so a directory exists on the replica before its children.
    const order = [...present].sort((a, b) => a.split('/').length - b.split('/').length);
    // Renames before anything else: a new file created under a name that was just renamed away
    // must not be captured first, or the rename would carry the new file to the old one's name.
    const renamed = new Set<string>();
    for (const path of order) {
      const e = now.get(path);
      if (!e) continue;
      const from = [...gone.entries()].find(
        ([p, k]) => k.ino === e.ino && k.kind === e.kind && p !== path,
      )?.[0];
      // A swap (a → b, b → a): after the first rename the source name holds another entry; send it whole.
      if (!from || this.index.get(from) !== gone.get(from)) continue;
      gone.delete(from);
      renamed.add(path);
      await this.appendAll([{ kind: 'rename', path: from, to: path }]);
      this.moveIndex(from, path);
      if (e.kind === 'dir') this.fast.remove(from);
      this.count(path, 'renamed');
      if (e.kind === 'dir') moved.push(path);
      else if (e.kind === 'file' && !(await this.captureFile(e, false))) this.recheckLater([path]);
    }
    for (const path of order) {
      const e = now.get(path);
      if (e && !renamed.has(path)) await this.captureEntry(e);
    }
    for (const [path, known] of gone) {
      if (this.index.get(path) !== known) continue;
      await this.appendAll([{ kind: known.kind === 'dir' ? 'rmdir' : 'delete', path }]);
      this.dropIndex(path);
      if (known.kind === 'dir') this.fast.remove(path);
      this.count(path, 'removed');
    }
    if (moved.length > 0) await this.afterDirectoryMove(moved);
  }

  /** Emits what makes `e` exist on the replica as it is now; a new directory brings its whole tree. */
  private async captureEntry(e: TreeEntry): Promise<void> {
    const known = this.index.get(e.path);
    if (e.kind === 'dir') {
      if (known?.kind === 'dir' && known.ino === e.ino) {
        await this.appendAll([
          { kind: 'attrs', path: e.path, mode: e.mode, uid: e.uid, gid: e.gid, mtimeMs: -1 },
        ]);
        return;
      }
      const children = await this.files.walk(e.path);
      this.recheckLater(children.map((c) => c.path));
      for (const child of children) {
        if (child.kind === 'dir') {
          this.index.set(child.path, { kind: 'dir', ino: child.ino });
          this.fast.add(child.path);
          await this.appendAll([
            { kind: 'mkdir', path: child.path, mode: child.mode },
            {
              kind: 'attrs',
              path: child.path,
              mode: child.mode,
              uid: child.uid,
              gid: child.gid,
              mtimeMs: -1,
            },
          ]);
          this.count(child.path, 'created');
        } else await this.captureEntry(child);
      }
      return;
    }
    if (e.kind === 'symlink') {
      if (known?.kind === 'symlink' && known.target === e.target) return;
      await this.appendAll([{ kind: 'symlink', path: e.path, target: e.target ?? '' }]);
      this.index.set(e.path, { kind: 'symlink', ino: e.ino, target: e.target });
      this.count(e.path, known ? 'changed' : 'created');
      return;
    }
    const isNew = !(known?.kind === 'file' && known.ino === e.ino);
    // A fast-watch hint and @parcel/watcher's batch report the same change: the second finds nothing new.
    if (!isNew && known.stamp === stampOf(e)) return;
    // Swapped for another inode (or a symlink) since it was looked at: its own event follows; look again.
    if (!(await this.captureFile(e, isNew))) return this.recheckLater([e.path]);
    this.index.set(e.path, { kind: 'file', ino: e.ino, stamp: isRacy(e.mtimeMs) ? undefined : stampOf(e) });
    this.count(e.path, isNew ? 'created' : 'changed');
  }

  /**
   * Diffs a file against each channel's signature and appends the changed blocks. Answers false when the
   * path no longer leads to the inode `e` was (master-files.ts): nothing of it was sent, or with several
   * replicas only to those before.
   */
  async captureFile(e: TreeEntry, isNew: boolean): Promise<boolean> {
    let spooledSize: number | undefined;
    const appends: Promise<unknown>[] = [];
    let appendedBytes = 0;
    let swapped = false;
    const append = (channel: CaptureChannel, records: UnsequencedRecord[], bytes: number) => {
      appends.push(channel.spool.append(records));
      appendedBytes += bytes;
    };
    // A new small file goes whole, in one record the replica puts in place with one rename; it is read
    // once for every channel, in synchronous calls (see ContainedTree.readFileSmall).
    let sentWhole = false;
    if (isNew && e.size <= SMALL_FILE) {
      const got = await this.files.readSmall(e, (st) => st.size <= SMALL_FILE);
      if (!got) swapped = true;
      else if (got.data) {
        const { st, data } = got;
        const hashes = blockHashesOf(data);
        spooledSize = data.length === st.size ? st.size : -1;
        const { mode, uid, gid, mtimeMs } = st;
        for (const channel of this.channels) {
          append(channel, [{ kind: 'put', path: e.path, mode, uid, gid, mtimeMs, data }], data.length);
          const sig = { size: data.length, mtimeMs: isRacy(mtimeMs) ? -1 : mtimeMs, hashes };
          await channel.sigs.put(signatureKey(st), sig);
        }
        sentWhole = true;
      }
    }
    for (const channel of swapped || sentWhole ? [] : this.channels) {
      const fd = await this.files.openFile(e);
      if (!fd) {
        swapped = true;
        break;
      }
      try {
        const st = await fd.stat();
        spooledSize = spooledSize === undefined || spooledSize === st.size ? st.size : -1;
        const key = signatureKey(st);
        const old = isNew ? undefined : await channel.sigs.get(key);
        if (old && old.size === st.size && sameTime(old.mtimeMs, st.mtimeMs)) {
          append(channel, [attrsOf(e.path, st)], 0);
          continue;
        }
        let records: UnsequencedRecord[] = [];
        let pendingBytes = 0;
        if (isNew) records.push({ kind: 'create', path: e.path, mode: st.mode });
        if (!old || old.size !== st.size) records.push({ kind: 'truncate', path: e.path, size: st.size });
        let run: { offset: number; parts: Buffer[]; bytes: number } | undefined;
        const endRun = () => {
          if (!run) return;
          records.push({
            kind: 'write',
            path: e.path,
            offset: run.offset,
            data: joined(run.parts, run.bytes),
          });
          pendingBytes += run.bytes;
          run = undefined;
        };
        const { hashes, size } = await hashBlocks(
          fd,
          (i, block, hash) => {
            const offset = i * BLOCK_SIZE;
            const prev = old ? hashAt(old.hashes, i) : undefined;
            const unchanged = prev?.equals(hash) && offset + block.length <= (old?.size ?? 0);
            const zeroTail = offset >= (old?.size ?? 0) && isZero(block);
            if (unchanged || zeroTail) return endRun();
            if (run && (run.offset + run.bytes !== offset || run.bytes >= MAX_RUN)) endRun();
            run ??= { offset, parts: [], bytes: 0 };
            // A view: hashBlocks reads into a fresh buffer each time (see `fresh` below).
            run.parts.push(block);
            run.bytes += block.length;
          },
          async () => {
            endRun();
            if (pendingBytes < FLUSH_BYTES) return;
            append(channel, records, pendingBytes);
            records = [];
            pendingBytes = 0;
            await this.throttle();
          },
          await dataLayout(fd, st),
          true,
        );
        endRun();
        if (size !== st.size) spooledSize = -1; // it grew while being read: not a settled state
        records.push(attrsOf(e.path, st));
        append(channel, records, pendingBytes);
        // The cache answers the next diff at once; the file on disk is unsynced either way (see signature-store.ts).
        // A racy time (see isRacy) is stored as unknown, so the next change is hashed, not trusted.
        await channel.sigs.put(key, { size, mtimeMs: isRacy(st.mtimeMs) ? -1 : st.mtimeMs, hashes });
      } finally {
        await fd.close();
      }
    }
    // A file that changed size (or was swapped) between channels is reported by its next event instead.
    const settled = !swapped && spooledSize !== undefined && spooledSize >= 0 ? spooledSize : undefined;
    this.track(Promise.all(appends), appendedBytes, () => {
      if (settled !== undefined) this.onSpooled(e.path, settled);
    });
    await this.throttle();
    return !swapped;
  }

  /**
   * Pipelining: capture goes on with the next change while the spool makes
   * earlier records durable (group commit). Sequence numbers are handed out
   * at `append`, so the order is that of the calls; what waits for the
   * fdatasync is only what must: telling `onSpooled`, the overflow check,
   * `idle()` and `pause()`.
   */
  private track(appended: Promise<unknown>, bytes: number, durable?: () => void): void {
    this.outstandingBytes += bytes;
    const done: Promise<void> = appended
      .then(async () => {
        durable?.();
        await this.afterAppend();
      })
      // A refused spool write is the engine's to handle (it resynchronizes); not one error per change.
      .catch((e: unknown) => {
        if (!(e instanceof SpoolWriteError)) this.onError(e as Error);
      })
      .finally(() => {
        this.outstanding.delete(done);
        this.outstandingBytes -= bytes;
      });
    this.outstanding.add(done);
  }

  /** Bounds the bytes captured but not yet durable (memory), waiting for the oldest appends. */
  private async throttle(): Promise<void> {
    while (this.outstandingBytes > MAX_OUTSTANDING_BYTES && this.outstanding.size > 0) {
      await Promise.race(this.outstanding);
    }
  }

  private moveIndex(from: string, to: string): void {
    for (const [p, v] of [...this.index]) {
      if (p === from || p.startsWith(`${from}/`)) {
        this.index.delete(p);
        this.index.set(to + p.slice(from.length), v);
      }
    }
  }

  private dropIndex(path: string): void {
    for (const p of [...this.index.keys()]) if (p === path || p.startsWith(`${path}/`)) this.index.delete(p);
  }

  /** The watcher reports stale paths inside a moved directory: re-subscribe, then rescan the moved trees. */
  private async afterDirectoryMove(moved: string[]): Promise<void> {
    await Promise.all(this.subscriptions.map((s) => s.unsubscribe()));
    this.subscriptions = [];
    await this.start();
    for (const dir of moved) {
      const entries = await this.files.walk(dir);
      this.recheckLater(entries.map((c) => c.path));
      for (const e of entries) if (e.kind === 'dir') this.fast.add(e.path);
      for (const e of entries) {
        const known = this.index.get(e.path);
        if (!known || known.ino !== e.ino) await this.captureEntry(e);
        else if (e.kind === 'file' && !(await this.captureFile(e, false))) this.recheckLater([e.path]);
      }
    }
  }

  /**
   * Entries found by walking a new or moved directory may be renamed or
   * deleted before the watcher's next batch, and the watcher drops a path
   * created and removed within one batch — so capture would never hear that
   * the walked path went away. Looking at them again a little later does.
   */
  private recheckLater(paths: string[]): void {
    if (paths.length === 0) return;
    const timer = setTimeout(() => {
      this.rechecks.delete(timer);
      this.enqueue(paths);
    }, RECHECK_MS);
    this.rechecks.add(timer);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.fast.close();
    for (const t of this.rechecks) clearTimeout(t);
    await Promise.all(this.subscriptions.map((s) => s.unsubscribe()));
    while (this.running) await this.running;
  }
}

/** Consecutive views of one read buffer become one view; anything else is copied together. */
function joined(parts: Buffer[], bytes: number): Buffer {
  const first = parts[0] as Buffer;
  const last = parts.at(-1) as Buffer;
  if (first.buffer === last.buffer && last.byteOffset + last.length - first.byteOffset === bytes) {
    return Buffer.from(first.buffer, first.byteOffset, bytes);
  }
  return Buffer.concat(parts, bytes);
}

function attrsOf(
  path: string,
  st: { mode: number; uid: number; gid: number; mtimeMs: number },
): UnsequencedRecord {
  return { kind: 'attrs', path, mode: st.mode, uid: st.uid, gid: st.gid, mtimeMs: st.mtimeMs };
}
