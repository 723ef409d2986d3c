/**
 * Synchronization, master side: compares the master's tree with the
 * replica's and sends what differs as unsequenced records. `file` mode sends
 * every differing file whole; `block` mode first compares sizes and times,
 * then block hashes, and sends only differing blocks. Capture is paused
 * meanwhile, and the signature store ends up describing exactly what the
 * replica holds, so the records captured afterwards diff against the truth.
 */

import type { Stats } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import {
  BLOCK_SIZE,
  blockHashesOf,
  HASH_BYTES,
  hashAt,
  hashBlocks,
  isZero,
  SMALL_FILE,
  ZERO_HASH,
} from './block-hash.js';
import type { MasterFiles } from './master-files.js';
import type { UnsequencedRecord } from './records.js';
import { type SignatureStore, sameTime, signatureKey } from './signature-store.js';
import { dataLayout } from './sparse-layout.js';
import type { TreeEntry } from './tree-walk.js';

export interface SyncStatistics {
  filesCompared: number;
  bytesCompared: number;
  bytesSent: number;
  durationMs: number;
}

/** What the replica reports for one entry, in master path space. */
export interface ReplicaEntry {
  path: string;
  kind: TreeEntry['kind'];
  size: number;
  mtimeMs: number;
  mode: number;
  target?: string;
}

export interface SyncPeer {
  list(root: string): Promise<ReplicaEntry[]>;
  /**
   * The replica's block hashes of `path`. With `onPart` the replica streams
   * them as it reads (an older replica sends them all at the end): the parts
   * in order, then the resolved rest, make the whole list.
   */
  hashes(path: string, onPart?: (part: Buffer) => void): Promise<Buffer>;
  send(record: UnsequencedRecord): Promise<void>;
}

const MAX_RUN = 1024 * 1024;
/** Files opened (and small ones read) ahead of their turn. */
const AHEAD = 32;

export async function synchronize(
  mode: 'file' | 'block',
  master: TreeEntry[],
  roots: string[],
  peer: SyncPeer,
  sigs: SignatureStore,
  files: MasterFiles,
): Promise<SyncStatistics> {
  const started = Date.now();
  const stats = { filesCompared: 0, bytesCompared: 0, bytesSent: 0, durationMs: 0 };
  const send = async (r: UnsequencedRecord) => {
    stats.bytesSent += r.kind === 'write' || r.kind === 'put' ? r.data.length : 0;
    await peer.send(r);
  };
  const mine = new Map(master.map((e) => [e.path, e]));
  for (const root of roots) {
    const theirs = new Map((await peer.list(root)).map((e) => [e.path, e]));
    // Extra or mistyped entries on the replica go first, the topmost only.
    for (const [path, t] of theirs) {
      const m = mine.get(path);
      if (m && m.kind === t.kind) continue;
      const parent = path.slice(0, path.lastIndexOf('/'));
      const parentAlsoGoes = theirs.has(parent) && mine.get(parent)?.kind !== 'dir';
      if (!parentAlsoGoes) await send({ kind: t.kind === 'dir' ? 'rmdir' : 'delete', path });
    }
    const entries = master.filter((m) => m.path === root || m.path.startsWith(`${root}/`));
    const ahead = new Lookahead(entries, (m) =>
      m.kind === 'file' ? prepare(m, theirs.get(m.path), sigs, files) : undefined,
    );
    try {
      for (let i = 0; i < entries.length; i++) {
        const m = entries[i] as TreeEntry;
        const prepared = ahead.take(i);
        const t = theirs.get(m.path);
        const same = t?.kind === m.kind;
        if (m.kind === 'dir') {
          if (!same) await send({ kind: 'mkdir', path: m.path, mode: m.mode });
          if (!same || t.mode !== m.mode) {
            await send({ kind: 'attrs', path: m.path, mode: m.mode, uid: m.uid, gid: m.gid, mtimeMs: -1 });
          }
          continue;
        }
        if (m.kind === 'symlink') {
          if (!same || t.target !== m.target)
            await send({ kind: 'symlink', path: m.path, target: m.target ?? '' });
          continue;
        }
        stats.filesCompared++;
        // Removed or swapped since the walk (never followed if now a symlink): capture reports it after the sync.
        const file = await prepared;
        if (!file) continue;
        try {
          await syncFile(mode, m, t, file, peer, send, sigs, stats);
        } finally {
          await file.fd?.close();
        }
      }
    } finally {
      await ahead.drain();
    }
  }
  stats.durationMs = Date.now() - started;
  return stats;
}

/** A file looked at ahead of its turn, and what its turn needs to know. */
interface PreparedFile {
  st: Stats;
  /** Open for its turn, unless it is small and read already, or unchanged and signed. */
  fd?: FileHandle;
  /** The replica's copy is this file already: only its signature may need computing. */
  unchanged: boolean;
  /** A small file read whole: one that differs, or an unchanged one whose signature is missing. */
  small?: { data: Buffer; hashes: Buffer };
}

/**
 * Stats a file and, when it is small and differs or lacks its signature,
 * reads it, before its turn; a larger one is opened for its turn. Undefined
 * when it was removed or swapped since the walk.
 */
async function prepare(
  m: TreeEntry,
  t: ReplicaEntry | undefined,
  sigs: SignatureStore,
  files: MasterFiles,
): Promise<PreparedFile | undefined> {
  const unchangedOf = (st: Stats) =>
    t?.kind === 'file' && t.size === st.size && sameTime(t.mtimeMs, st.mtimeMs) && t.mode === st.mode;
  const signedOf = (st: Stats) => {
    const sig = sigs.get(signatureKey(st));
    return sig?.size === st.size && sameTime(sig.mtimeMs, st.mtimeMs);
  };
  const got = await files.readSmall(m, (st) => st.size <= SMALL_FILE && !(unchangedOf(st) && signedOf(st)));
  if (!got) return undefined;
  const unchanged = unchangedOf(got.st);
  if (got.data) return { st: got.st, unchanged, small: { data: got.data, hashes: blockHashesOf(got.data) } };
  if (unchanged && signedOf(got.st)) return { st: got.st, unchanged };
  const fd = await files.openFile(m);
  if (!fd) return undefined;
  try {
    const st = await fd.stat();
    return { st, fd, unchanged: unchangedOf(st) };
  } catch (error) {
    await fd.close();
    throw error;
  }
}

/** One file's turn: nothing, its signature, a `put`, the whole file, or its differing blocks. */
async function syncFile(
  mode: 'file' | 'block',
  m: TreeEntry,
  t: ReplicaEntry | undefined,
  { st, fd, unchanged, small }: PreparedFile,
  peer: SyncPeer,
  send: (r: UnsequencedRecord) => Promise<void>,
  sigs: SignatureStore,
  stats: SyncStatistics,
): Promise<void> {
  const key = signatureKey(st);
  if (small) {
    if (!unchanged) {
      stats.bytesCompared += small.data.length;
      const { mode: fileMode, uid, gid, mtimeMs } = st;
      await send({ kind: 'put', path: m.path, mode: fileMode, uid, gid, mtimeMs, data: small.data });
    }
    await sigs.put(key, { size: small.data.length, mtimeMs: st.mtimeMs, hashes: small.hashes });
    return;
  }
  if (!fd) return; // unchanged and signed
  if (unchanged) {
    const { hashes, size } = await hashBlocks(fd, undefined, undefined, await dataLayout(fd, st));
    await sigs.put(key, { size, mtimeMs: st.mtimeMs, hashes });
    return;
  }
  const same = t?.kind === 'file';
  if (mode === 'block' && same && st.size > SMALL_FILE) {
    stats.bytesCompared += st.size + t.size;
    await sendDifferingBlocks(fd, m.path, st, t.size, peer, send, sigs);
    return;
  }
  // Whole file: assembled in staging on the replica and moved into place by its attrs record.
  stats.bytesCompared += st.size;
  await send({ kind: 'create', path: m.path, mode: st.mode });
  await send({ kind: 'truncate', path: m.path, size: st.size });
  const pending: UnsequencedRecord[] = [];
  let run: { offset: number; parts: Buffer[]; bytes: number } | undefined;
  const endRun = () => {
    if (run)
      pending.push({ kind: 'write', path: m.path, offset: run.offset, data: Buffer.concat(run.parts) });
    run = undefined;
  };
  const { hashes, size } = await hashBlocks(
    fd,
    (i, block) => {
      const offset = i * BLOCK_SIZE;
      if (isZero(block)) return endRun(); // the truncate made zeros already
      if (run && (run.offset + run.bytes !== offset || run.bytes >= MAX_RUN)) endRun();
      run ??= { offset, parts: [], bytes: 0 };
      run.parts.push(Buffer.from(block));
      run.bytes += block.length;
    },
    async () => {
      for (const r of pending.splice(0)) await send(r);
    },
    await dataLayout(fd, st),
  );
  endRun();
  for (const r of pending.splice(0)) await send(r);
  await send({ kind: 'attrs', path: m.path, mode: st.mode, uid: st.uid, gid: st.gid, mtimeMs: st.mtimeMs });
  await sigs.put(key, { size, mtimeMs: st.mtimeMs, hashes });
}

/**
 * Runs `start` for the entries ahead of the one being handled, up to
 * AHEAD of them: opening and reading a file are thread-pool round trips, and
 * 200,000 small files handled one after the other took minutes.
 */
class Lookahead<E, R> {
  private readonly started = new Map<number, Promise<R>>();
  private next = 0;
  constructor(
    private readonly entries: E[],
    private readonly start: (e: E) => Promise<R> | undefined,
  ) {}

  /** Entry `i`'s result (the entries are taken in order), starting those up to AHEAD past it. */
  take(i: number): Promise<R> | undefined {
    for (; this.next < Math.min(i + AHEAD, this.entries.length); this.next++) {
      const run = this.start(this.entries[this.next] as E);
      if (run) {
        run.catch(() => undefined); // seen when taken
        this.started.set(this.next, run);
      }
    }
    const run = this.started.get(i);
    this.started.delete(i);
    return run;
  }

  /** Waits for what was started and not taken (a failed sync): their files get closed. */
  async drain(): Promise<void> {
    for (const run of this.started.values()) {
      const file = (await run.catch(() => undefined)) as { fd?: FileHandle } | undefined;
      await file?.fd?.close();
    }
    this.started.clear();
  }
}

/**
 * Block mode for one file. Both sides hash at the same time (the replica
 * its copy, we ours), and the comparison follows both as they go: a block is
 * decided as soon as both hashes of it are known, and a differing run is
 * read again and sent at once, so sending overlaps hashing instead of
 * waiting for the slower side. The replica applies those records while it
 * is still hashing: it has already hashed every block they touch. The
 * truncate goes last for the same reason (it would change blocks not yet
 * hashed); writes past the replica's end extend the file meanwhile.
 */
async function sendDifferingBlocks(
  fd: FileHandle,
  path: string,
  st: Stats,
  replicaSize: number,
  peer: SyncPeer,
  send: (r: UnsequencedRecord) => Promise<void>,
  sigs: SignatureStore,
): Promise<void> {
  const theirs = new GrowingBuffer(Math.ceil(replicaSize / BLOCK_SIZE) * HASH_BYTES);
  let theirsDone = false;
  const theirsAll = peer
    .hashes(path, (part) => theirs.append(part))
    .then((rest) => {
      theirs.append(rest);
      theirsDone = true;
    });
  // Its failure is seen when it is awaited below; until then hashing goes on.
  theirsAll.catch(() => undefined);
  const theirSize = Math.min(replicaSize, st.size);
  /** Our hash of each block and where the block ends (only the file's last block is short). */
  const mine: { hash: Buffer; end: number }[] = [];
  let decided = 0;
  let run: { offset: number; end: number } | undefined;
  const flush = async () => {
    if (!run) return;
    const data = Buffer.allocUnsafe(run.end - run.offset);
    const { bytesRead } = await fd.read(data, 0, data.length, run.offset);
    await send({ kind: 'write', path, offset: run.offset, data: data.subarray(0, bytesRead) });
    run = undefined;
  };
  /** Decides every block whose two hashes are known (all of ours once the replica's list is complete). */
  const decide = async () => {
    const their = theirs.view();
    const known = theirsDone ? mine.length : Math.min(mine.length, their.length / HASH_BYTES);
    for (; decided < known; decided++) {
      const offset = decided * BLOCK_SIZE;
      const { hash, end } = mine[decided] as { hash: Buffer; end: number };
      const same = end <= theirSize && hashAt(their, decided)?.equals(hash);
      // Past the replica's old end the truncate makes zeros: zero blocks need nothing.
      const zeroTail = offset >= theirSize && end - offset === BLOCK_SIZE && hash.equals(ZERO_HASH);
      if (same || zeroTail) {
        await flush();
        continue;
      }
      if (run && (run.end !== offset || run.end - run.offset >= MAX_RUN)) await flush();
      run ??= { offset, end };
      run.end = end;
    }
  };
  const ours = await hashBlocks(
    fd,
    (i, block, hash) => {
      mine[i] = { hash, end: i * BLOCK_SIZE + block.length };
    },
    decide,
    await dataLayout(fd, st),
  );
  await theirsAll;
  await decide();
  await flush();
  await send({ kind: 'truncate', path, size: st.size });
  await send({ kind: 'attrs', path, mode: st.mode, uid: st.uid, gid: st.gid, mtimeMs: st.mtimeMs });
  await sigs.put(signatureKey(st), { size: ours.size, mtimeMs: st.mtimeMs, hashes: ours.hashes });
}

/** Appends into one buffer, doubling it when full: the replica's hash list arrives in parts. */
class GrowingBuffer {
  private buf: Buffer;
  length = 0;
  constructor(capacity: number) {
    this.buf = Buffer.allocUnsafe(Math.max(capacity, HASH_BYTES));
  }
  append(part: Buffer): void {
    if (this.length + part.length > this.buf.length) {
      const bigger = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.length + part.length));
      this.buf.copy(bigger, 0, 0, this.length);
      this.buf = bigger;
    }
    part.copy(this.buf, this.length);
    this.length += part.length;
  }
  view(): Buffer {
    return this.buf.subarray(0, this.length);
  }
}
