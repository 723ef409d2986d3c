/**
 * Copy-on-write snapshots of a replica, kept by the agent itself: every write
 * on a replica comes from the apply path, which calls the ReplicaWriteHook
 * methods here first. Taking a snapshot pauses apply only to record a
 * generation and a timestamp threshold; from then on, before a range of a
 * file is overwritten, truncated or removed, the old bytes of each 64 KiB
 * block are copied once into the snapshot's difference area (a sparse
 * "shadow" file at the same offsets), together with the entry's original
 * attributes. Entries created after the snapshot are recognized by their
 * birth time (statx btime) being at or past the threshold.
 *
 * Each open snapshot keeps its own difference area (simple and obviously
 * correct; it costs a copy per open snapshot for blocks changed after all of
 * them). The apply path calls `beforeRemove` for a rename's source as well
 * as its target. The source does not disappear, it moves: a file's bytes are
 * all kept (so the view never reads the old name, which no longer exists),
 * and a directory's whole subtree is recorded, since the view can no longer
 * list it live. The view then hides the moved inode at its new name.
 *
 * Durability: a shadow file is fdatasynced before apply overwrites what it
 * kept, and each journal line is appended and fdatasynced before the hook
 * returns, so after a crash a reloaded snapshot knows every block it kept.
 */
import { randomUUID } from 'node:crypto';
import { constants } from 'node:fs';
import { lstat, mkdir, open, readdir, readFile, readlink, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { toViewStat } from '../backup/directory-view.js';
import type { SnapshotView, ViewStat } from '../backup/snapshot-view.js';
import { writeAll } from '../fs/write-all.js';
import type { ApplyGate, ReplicaWriteHook } from '../replica-write-hooks.js';
import { CowView } from './cow-view.js';
import type { SnapshotInfo, SnapshotProvider } from './snapshot-provider.js';

export const COW_BLOCK = 64 * 1024;

/** What a snapshot kept of one entry: its attributes as of the snapshot, and which blocks moved to the shadow file. */
export interface EntryRecord {
  stat: ViewStat;
  target?: string;
  shadow?: string;
  blocks: Set<number>;
}

export interface CowSnapshot {
  info: SnapshotInfo;
  dir: string;
  /** Entries born at or after this instant (ns since the epoch) did not exist when the snapshot was taken. */
  threshold: bigint;
  records: Map<string, EntryRecord>;
  /** `dev:ino` → the recorded path that inode had: finds an inode renamed away from a recorded path. */
  inodes: Map<string, string>;
}

export function inodeKey(stat: { dev: number; ino: number }): string {
  return `${stat.dev}:${stat.ino}`;
}

/**
 * True when the inode now at `p` was recorded at another path and had no other name there (a directory,
 * or a file with one link): it was renamed to `p` after the snapshot, so `p` did not exist in it.
 */
export function renamedHereLater(
  snapshot: CowSnapshot,
  p: string,
  stat: { dev: number; ino: number },
): boolean {
  const elsewhere = snapshot.inodes.get(inodeKey(stat));
  const other = elsewhere !== undefined && elsewhere !== p ? snapshot.records.get(elsewhere) : undefined;
  return other !== undefined && (other.stat.type === 'directory' || other.stat.nlink === 1);
}

export interface CowSnapshotOptions {
  /** The scenario's replica directory: every hooked path is under it. */
  liveRoot: string;
  /** Where difference areas live: best on the same file system as the replica. */
  diffRoot: string;
  gate: ApplyGate;
}

export class CowSnapshots implements SnapshotProvider, ReplicaWriteHook {
  private readonly snapshots: CowSnapshot[] = [];
  private generation = 0;

  constructor(private readonly options: CowSnapshotOptions) {}

  /** Reloads snapshots a previous agent process left in the difference root. */
  async load(): Promise<void> {
    const ids = await readdir(this.options.diffRoot).catch(() => [] as string[]);
    for (const id of ids) {
      const dir = path.join(this.options.diffRoot, id);
      const meta = JSON.parse(await readFile(path.join(dir, 'snapshot.json'), 'utf8').catch(() => 'null'));
      if (!meta) continue;
      const snapshot: CowSnapshot = {
        info: meta.info,
        dir,
        threshold: BigInt(meta.threshold),
        records: new Map(),
        inodes: new Map(),
      };
      const journal = await readFile(path.join(dir, 'journal.jsonl'), 'utf8').catch(() => '');
      // Only complete lines count: a crash mid-append leaves a torn last line, whose hook never returned.
      for (const line of journal.split('\n').slice(0, -1)) {
        const { path: p, stat, target, shadow, blocks } = JSON.parse(line);
        snapshot.records.set(p, { stat, target, shadow, blocks: new Set(blocks) });
        if (!snapshot.inodes.has(inodeKey(stat))) snapshot.inodes.set(inodeKey(stat), p);
      }
      this.snapshots.push(snapshot);
      this.generation = Math.max(this.generation, snapshot.info.generation ?? 0);
    }
    this.snapshots.sort((a, b) => (a.info.generation ?? 0) - (b.info.generation ?? 0));
  }

  async take(scenarioId: string, label?: string): Promise<SnapshotInfo> {
    const id = `cow-${randomUUID()}`;
    const dir = path.join(this.options.diffRoot, id);
    await mkdir(dir, { recursive: true }); // outside the pause: nothing here needs apply stopped
    const hold = await this.options.gate.pause(scenarioId);
    const started = performance.now();
    let snapshot: CowSnapshot;
    try {
      const threshold = await nextTimestampTick(dir);
      const info: SnapshotInfo = {
        id,
        scenarioId,
        provider: 'cow',
        createdAt: new Date().toISOString(),
        label,
        generation: ++this.generation,
      };
      snapshot = { info, dir, threshold, records: new Map(), inodes: new Map() };
      this.snapshots.push(snapshot);
    } finally {
      hold.release();
    }
    snapshot.info.pauseMs = performance.now() - started;
    await writeFile(
      path.join(dir, 'snapshot.json'),
      JSON.stringify({ info: snapshot.info, threshold: snapshot.threshold.toString() }),
    );
    return snapshot.info;
  }

  async list(scenarioId: string): Promise<SnapshotInfo[]> {
    return this.snapshots.filter((s) => s.info.scenarioId === scenarioId).map((s) => s.info);
  }

  async view(snapshotId: string): Promise<SnapshotView> {
    return new CowView(this.find(snapshotId));
  }

  async release(snapshotId: string): Promise<void> {
    const snapshot = this.find(snapshotId);
    this.snapshots.splice(this.snapshots.indexOf(snapshot), 1);
    await rm(snapshot.dir, { recursive: true, force: true });
  }

  async prune(scenarioId: string, keep: number): Promise<string[]> {
    const mine = this.snapshots.filter((s) => s.info.scenarioId === scenarioId);
    const doomed = mine.slice(0, Math.max(0, mine.length - keep)).map((s) => s.info.id);
    for (const id of doomed) await this.release(id);
    return doomed;
  }

  private find(snapshotId: string): CowSnapshot {
    const snapshot = this.snapshots.find((s) => s.info.id === snapshotId);
    if (!snapshot) throw new Error(`no snapshot ${snapshotId}`);
    return snapshot;
  }

  // ReplicaWriteHook: keep what open snapshots still need, before apply changes it.

  async beforeOverwrite(file: string, offset: number, length: number): Promise<void> {
    await this.preserve(file, offset, offset + length);
  }

  async beforeTruncate(file: string, newSize: number): Promise<void> {
    await this.preserve(file, newSize, Number.MAX_SAFE_INTEGER);
  }

  async beforeRemove(file: string): Promise<void> {
    await this.preserve(file, 0, Number.MAX_SAFE_INTEGER);
    // A directory that still has entries is being renamed away (removals empty it first): keep its tree.
    const names = await readdir(file).catch(() => [] as string[]);
    for (const name of names) await this.beforeRemove(path.join(file, name));
  }

  async beforeAttributes(file: string): Promise<void> {
    await this.preserve(file, 0, 0);
  }

  private async preserve(file: string, from: number, to: number): Promise<void> {
    for (const snapshot of this.snapshots) {
      const record = await this.recordOf(snapshot, file);
      if (record?.stat.type !== 'file') continue;
      const end = Math.min(to, record.stat.size);
      const changed: number[] = [];
      for (let block = Math.floor(from / COW_BLOCK); block * COW_BLOCK < end; block++)
        if (!record.blocks.has(block)) changed.push(block);
      if (changed.length === 0) continue;
      record.shadow ??= `shadow-${randomUUID()}`;
      // Never through a symlink: the applier has just checked `file` is a file, and nothing else writes here.
      const live = await open(file, constants.O_RDONLY | constants.O_NOFOLLOW);
      // Not 'a+': with O_APPEND, Linux ignores the position and every block would land at the end.
      const shadow = await open(path.join(snapshot.dir, record.shadow), constants.O_RDWR | constants.O_CREAT);
      try {
        const buffer = Buffer.allocUnsafe(COW_BLOCK);
        for (const block of changed) {
          const position = block * COW_BLOCK;
          const { bytesRead } = await live.read(
            buffer,
            0,
            Math.min(COW_BLOCK, record.stat.size - position),
            position,
          );
          await writeAll(shadow, buffer.subarray(0, bytesRead), position);
          record.blocks.add(block);
        }
        await shadow.datasync(); // the old bytes must be durable before apply overwrites them
      } finally {
        await live.close();
        await shadow.close();
      }
      await this.journal(snapshot, file, record);
    }
  }

  /** The snapshot's record of an entry, made on first touch; undefined if the entry is newer than the snapshot. */
  private async recordOf(snapshot: CowSnapshot, file: string): Promise<EntryRecord | undefined> {
    const known = snapshot.records.get(file);
    if (known) return known;
    const info = await lstat(file, { bigint: true }).catch(() => undefined);
    if (!info || info.birthtimeNs >= snapshot.threshold) return undefined;
    if (renamedHereLater(snapshot, file, { dev: Number(info.dev), ino: Number(info.ino) })) return undefined;
    const record: EntryRecord = { stat: toViewStat(await lstat(file)), blocks: new Set() };
    if (info.isSymbolicLink()) record.target = await readlink(file);
    snapshot.records.set(file, record);
    if (!snapshot.inodes.has(inodeKey(record.stat))) snapshot.inodes.set(inodeKey(record.stat), file);
    await this.journal(snapshot, file, record);
    return record;
  }

  private async journal(snapshot: CowSnapshot, file: string, record: EntryRecord): Promise<void> {
    const line = JSON.stringify({
      path: file,
      stat: record.stat,
      target: record.target,
      shadow: record.shadow,
      blocks: [...record.blocks],
    });
    const handle = await open(path.join(snapshot.dir, 'journal.jsonl'), 'a');
    try {
      await handle.appendFile(`${line}\n`);
      await handle.datasync(); // the record must outlive a crash that happens right after apply's change
    } finally {
      await handle.close();
    }
  }
}

/**
 * A birth-time threshold that separates "before" from "after". File times
 * come from the kernel's coarse clock, which advances in ticks of at most
 * 10 ms (HZ ≥ 100): stamp a marker, then wait (under the pause) until the
 * wall clock is a tick past it. Anything created before the pause is stamped
 * at or before the marker; anything after it, later.
 */
async function nextTimestampTick(dir: string): Promise<bigint> {
  const marker = path.join(dir, 'generation-marker');
  await writeFile(marker, '');
  const stamped = (await lstat(marker, { bigint: true })).birthtimeNs;
  const tick = 11_000_000n;
  while (BigInt(Date.now()) * 1_000_000n < stamped + tick)
    await new Promise((resolve) => setTimeout(resolve, 1));
  return stamped + 1n;
}
