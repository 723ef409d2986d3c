/**
 * Replica apply: one journal record at a time, in sequence order.
 *
 * - Idempotent by sequence number: the applied sequence is written after
 *   each record (a pwrite of one small state file, fsynced with the touched
 *   files before every acknowledgement), and a record at or below it is
 *   skipped. Replaying the one record in flight at a crash is harmless:
 *   every operation here can run twice.
 * - Atomic: a new file is assembled in `<target>/.tidemark-staging` and
 *   renamed into place when its closing `attrs` record arrives, so nobody
 *   sees it half written. A block patch to an existing file lands with one
 *   pwrite per changed run, the same partial view a reader on the master
 *   has while the application writes.
 * - Hooks (`ReplicaWriteHook`) run before any byte changes; a hook that
 *   throws leaves the record unapplied, to be retried.
 * - Safety: a record's path must lie under one of the scenario roots, and
 *   every file operation goes through the target folder's ContainedTree
 *   (fs/contained-tree.ts): no symlink on the way is followed, and a write or
 *   truncate of a path that is a symlink here is refused, so a master cannot
 *   reach anything outside the target folder (AE0468 names the path).
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { constants, writeSync } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { mkdir, open } from 'node:fs/promises';
import { posix } from 'node:path';
import { promisify } from 'node:util';
import { TidemarkError } from '../../core/error-catalogue.js';
import { replicaDirectoryRefusal } from '../../core/scenario.js';
import { faultPoint } from '../fault-points.js';
import { absoluteComponents, ContainedTree, PathRefused } from '../fs/contained-tree.js';
import { writeAll } from '../fs/write-all.js';
import type { ReplicaWriteHook } from '../replica-write-hooks.js';
import { MasterChecksumLedger } from './master-checksums.js';
import type { JournalRecord } from './records.js';
import type { UndoJournal } from './undo-journal.js';

const STAGING = '.tidemark-staging';
/**
 * Past this many touched entries one syncfs beats an fsync each: 2,000
 * small files took 180 ms of fdatasyncs here and 18 ms of one syncfs.
 */
const SYNCFS_FROM = 64;
const run = promisify(execFile);
/** Staging names of `put` records: complete files on their way into place, so a leftover is just removed. */
const PUT_PREFIX = 'put-';

/** The directory holding a tree-relative path (`''` for the tree's top). */
const parentOf = (relative: string) => {
  const dir = posix.dirname(relative);
  return dir === '.' ? '' : dir;
};

export interface ApplierOptions {
  /** The master's root directories. */
  roots: string[];
  /** The replica's target folder (`ReplicaSpec.directory`). */
  directory: string;
  stateDir: string;
  hooks: ReplicaWriteHook[];
  undo: UndoJournal;
}

export class Applier {
  private appliedSeqValue = 0;
  private seqFd!: FileHandle;
  private tree!: ContainedTree;
  /** Target path → its staging file (both relative to the target folder). */
  private readonly staged = new Map<string, string>();
  private readonly touched = new Set<string>();
  /** Directories whose entries changed (a file moved into place, a rename, a removal): fsynced too before an ack. */
  private readonly touchedDirs = new Set<string>();
  /**
   * The file the last write went to, kept open: a large change arrives as
   * consecutive write records to one file, and an open and a close per
   * record were most of the replica's apply time.
   */
  private heldWrite: { file: string; fd: FileHandle; ino: number } | undefined;
  /** The master's checksums received for assured recovery (master-checksums.ts). */
  readonly masterChecksums = new MasterChecksumLedger();

  constructor(private readonly o: ApplierOptions) {}

  async open(): Promise<void> {
    // The control plane refuses these too; the agent does not take its word for it.
    const refusal = replicaDirectoryRefusal(this.o.directory);
    if (refusal) throw new TidemarkError('AE0468', `replica directory refused: ${refusal}`);
    // The target folder belongs to the agent alone: nobody else may write the copy.
    this.tree = await ContainedTree.open(this.o.directory, { create: true, mode: 0o700 });
    await this.tree.setAttributes('', { mode: 0o700 });
    await this.tree.mkdirs(STAGING, 0o700);
    for (const name of await this.tree.readdir(STAGING)) {
      // A crash between writing a put's file and moving it: the record is applied again.
      if (name.startsWith(PUT_PREFIX)) await this.tree.unlink(`${STAGING}/${name}`).catch(ignoreMissing);
      if (!name.endsWith('.path')) continue;
      const note = `${STAGING}/${name}`;
      const staging = note.slice(0, -5);
      const fd = await this.tree.openFile(note, constants.O_RDONLY);
      const target = await fd.readFile('utf8').finally(() => fd.close());
      // Notes written before they were relative hold the absolute target path.
      const relative = target.startsWith('/') ? target.slice(this.tree.root.length + 1) : target;
      // A crash between moving a staged file into place and removing its note leaves the note alone.
      if (!(await this.tree.lstat(staging))) await this.tree.unlink(note);
      else this.staged.set(relative, staging);
    }
    await mkdir(this.o.stateDir, { recursive: true, mode: 0o700 });
    const seqPath = posix.join(this.o.stateDir, 'applied-seq');
    this.seqFd = await open(seqPath, 'a+', 0o600).then(async (f) => {
      await f.close();
      return open(seqPath, 'r+');
    });
    const buf = Buffer.alloc(8);
    const { bytesRead } = await this.seqFd.read(buf, 0, 8, 0);
    this.appliedSeqValue = bytesRead === 8 ? Number(buf.readBigUInt64LE(0)) : 0;
  }

  get appliedSeq(): number {
    return this.appliedSeqValue;
  }

  /** The target folder as a contained tree: the replica session lists and hashes through it too. */
  get target(): ContainedTree {
    return this.tree;
  }

  /** After a synchronization the stream resumes at `seq + 1`. */
  async setAppliedSeq(seq: number): Promise<void> {
    const buf = Buffer.alloc(8);
    buf.writeBigUInt64LE(BigInt(seq), 0);
    await writeAll(this.seqFd, buf, 0);
    this.appliedSeqValue = seq;
    await this.seqFd.datasync();
  }

  /** Applies a sequenced record (skipped if already applied) or, with `sequenced: false`, a synchronization record. */
  async apply(r: JournalRecord, sequenced = true): Promise<void> {
    if (sequenced && r.seq <= this.appliedSeqValue) return;
    // Before applying: a record that fails half way has still touched its file.
    if (sequenced) this.masterChecksums.observe(r);
    else this.masterChecksums.forget();
    if (r.kind !== 'write') await this.releaseHeldWrite();
    try {
      await this.applyOne(r);
    } catch (error) {
      if (error instanceof PathRefused)
        throw new TidemarkError('AE0468', `record path '${r.path}' refused on the replica: ${error.message}`);
      throw error;
    }
    if (sequenced) {
      faultPoint('applier.before-applied-seq');
      const buf = Buffer.alloc(8);
      buf.writeBigUInt64LE(BigInt(r.seq), 0);
      // Synchronous: an 8-byte pwrite to a cached page is a microsecond, the thread-pool trip ~40 µs a record.
      writeSync(this.seqFd.fd, buf, 0, 8, 0);
      this.appliedSeqValue = r.seq;
    }
  }

  /**
   * Makes every applied change durable; called before acknowledging. The
   * undo journal's entries first, then files and directories side by side (the thread pool overlaps them),
   * then the applied sequence number. A failed sync must not be
   * acknowledged: the error ends the stream, and the master resends.
   */
  async flush(): Promise<void> {
    await this.releaseHeldWrite();
    // The before-images first: a change must never be durable without its image.
    await this.o.undo.sync();
    const files = [...this.touched];
    const dirs = [...this.touchedDirs];
    this.touched.clear();
    this.touchedDirs.clear();
    if (files.length + dirs.length > SYNCFS_FROM && (await syncFileSystem(this.tree.root))) {
      faultPoint('applier.before-seq-sync');
      await this.seqFd.datasync();
      return;
    }
    // One gone by now (removed later in the same batch) has nothing to keep.
    await Promise.all([
      ...files.map((f) => this.tree.sync(f, true)),
      ...dirs.map((d) => this.tree.sync(d, false)),
    ]);
    faultPoint('applier.before-seq-sync');
    await this.seqFd.datasync();
  }

  /** A touched file or tree changed its name: its pending sync follows it (syncing the old name found nothing). */
  private moveTouched(from: string, to: string): void {
    for (const p of [...this.touched]) {
      if (p === from || p.startsWith(`${from}/`)) {
        this.touched.delete(p);
        this.touched.add(to + p.slice(from.length));
      }
    }
    this.touchedDirs.add(parentOf(from));
    this.touchedDirs.add(parentOf(to));
  }

  async close(): Promise<void> {
    await this.releaseHeldWrite();
    await this.seqFd?.close();
    this.tree?.close();
  }

  /** Closes the file kept open for consecutive writes (any other record may move, replace or remove it). */
  private async releaseHeldWrite(): Promise<void> {
    const held = this.heldWrite;
    this.heldWrite = undefined;
    await held?.fd.close();
  }

  /**
   * A master path as a path in the target folder, refused (AE0468) when it
   * lies outside the scenario's roots, has an odd component, or names the
   * applier's own staging folder.
   */
  relativeOf(masterPath: string): string {
    const refuse = (why: string) => new TidemarkError('AE0468', `record path '${masterPath}' ${why}`);
    let parts: string[];
    try {
      parts = absoluteComponents(masterPath);
    } catch (error) {
      throw refuse((error as PathRefused).why);
    }
    if (!this.o.roots.some((root) => masterPath === root || masterPath.startsWith(`${root}/`)))
      throw refuse("is not under the scenario's roots");
    if (parts[0] === STAGING) throw refuse("names the replica's staging folder");
    return parts.join('/');
  }

  /** The replica path of a master path (for hooks and messages), refused like `relativeOf`. */
  targetOf(masterPath: string): string {
    return this.tree.absolute(this.relativeOf(masterPath));
  }

  private async hook(each: (h: ReplicaWriteHook) => Promise<void>): Promise<void> {
    for (const h of this.o.hooks) await each(h);
  }

  private stagingFor(relative: string, prefix = ''): string {
    return `${STAGING}/${prefix}${createHash('sha1').update(relative).digest('hex')}`;
  }

  private async applyOne(r: JournalRecord): Promise<void> {
    const rel = this.relativeOf(r.path);
    const path = this.tree.absolute(rel);
    const tree = this.tree;
    const undo = this.o.undo;
    switch (r.kind) {
      case 'digest':
        return; // kept by masterChecksums; the path was checked like any other
      case 'create': {
        const staging = this.stagingFor(rel);
        const fd = await tree.openFile(
          staging,
          constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC,
          r.mode & 0o7777,
        );
        await fd.close();
        const note = await tree.openFile(
          `${staging}.path`,
          constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC,
          0o600,
        );
        await note.writeFile(rel).finally(() => note.close());
        this.staged.set(rel, staging);
        return;
      }
      case 'write': {
        const staging = this.staged.get(rel);
        const file = staging ?? rel;
        let held = this.heldWrite?.file === file ? this.heldWrite : undefined;
        if (!staging) {
          const st = await tree.lstat(rel);
          // Replaced by someone else while held (a restore into the replica, a rewind): write the new file.
          if (held && held.ino !== st?.ino) held = undefined;
          if (st?.isSymbolicLink())
            throw new PathRefused(path, 'is a symlink, which a write cannot go through');
          // Also for an append (overlap 0): a snapshot must learn the size the file had before it grows.
          if (st !== undefined) {
            const overlap = Math.max(0, Math.min(r.data.length, st.size - r.offset));
            await this.hook((h) => h.beforeOverwrite(path, r.offset, overlap));
          }
          await undo.beforeRange(tree, rel, r.offset, r.data.length);
        }
        if (!held) {
          await this.releaseHeldWrite();
          const fd = await tree.openFile(file, constants.O_RDWR | constants.O_CREAT, 0o666, !staging);
          held = { file, fd, ino: (await fd.stat()).ino };
          this.heldWrite = held;
        }
        await writeAll(held.fd, r.data, r.offset);
        this.touched.add(file);
        return;
      }
      case 'truncate': {
        const staging = this.staged.get(rel);
        if (!staging) {
          const st = await tree.lstat(rel);
          if (st === undefined) return;
          if (st.isSymbolicLink())
            throw new PathRefused(path, 'is a symlink, which a truncate cannot go through');
          // Growing too: a snapshot must learn the size the file had (an append arrives as grow, then write).
          if (r.size !== st.size) await this.hook((h) => h.beforeTruncate(path, r.size));
          await undo.beforeRange(tree, rel, r.size, Math.max(0, st.size - r.size));
        }
        await tree.truncate(staging ?? rel, r.size);
        this.touched.add(staging ?? rel);
        return;
      }
      case 'attrs': {
        const staging = this.staged.get(rel);
        if (staging) {
          await this.setAttributes(staging, r);
          this.touched.add(staging);
          await this.replaceWith(rel, staging);
          this.moveTouched(staging, rel);
          this.staged.delete(rel);
          await tree.unlink(`${staging}.path`).catch(ignoreMissing);
          return;
        }
        if (!(await tree.lstat(rel))) return;
        await this.hook((h) => h.beforeAttributes(path));
        await undo.beforeAttributes(tree, rel);
        // A symlink here gets only owner and times, on the link itself (never its target).
        await this.setAttributes(rel, r);
        return;
      }
      case 'mkdir': {
        const st = await tree.lstat(rel);
        if (st?.isDirectory()) return;
        if (st) await this.removeTree(rel);
        await undo.beforeReplace(tree, rel);
        await tree.mkdirs(parentOf(rel));
        await tree.mkdir(rel, r.mode & 0o7777);
        this.touchedDirs.add(parentOf(rel));
        return;
      }
      case 'put': {
        // Supersedes a create still being assembled for the same path.
        const staged = this.staged.get(rel);
        if (staged) {
          this.staged.delete(rel);
          await tree.unlink(staged).catch(ignoreMissing);
          await tree.unlink(`${staged}.path`).catch(ignoreMissing);
        }
        const temp = this.stagingFor(rel, PUT_PREFIX);
        const mtimeMs = r.mtimeMs >= 0 ? r.mtimeMs : undefined;
        await tree.writeSmallFile(temp, r.data, { mode: r.mode, uid: r.uid, gid: r.gid, mtimeMs }, 'try');
        await this.replaceWith(rel, temp);
        this.touched.add(rel);
        this.touchedDirs.add(parentOf(rel));
        return;
      }
      case 'symlink': {
        const temp = this.stagingFor(rel, 'link-');
        await tree.unlink(temp).catch(ignoreMissing);
        await tree.symlink(r.target, temp);
        await this.replaceWith(rel, temp);
        this.touchedDirs.add(parentOf(rel));
        return;
      }
      case 'rename': {
        const toRel = this.relativeOf(r.to);
        const to = tree.absolute(toRel);
        const staging = this.staged.get(rel);
        if (staging) {
          this.staged.delete(rel);
          this.staged.set(toRel, staging);
          const note = await tree.openFile(
            `${staging}.path`,
            constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC,
            0o600,
          );
          await note.writeFile(toRel).finally(() => note.close());
          return;
        }
        if (!(await tree.lstat(rel))) return;
        // The source leaves its name: a snapshot keeps it (and, for a directory, its tree) under the old one.
        await this.hook((h) => h.beforeRemove(path));
        const existing = await tree.lstat(toRel);
        if (existing) {
          await this.hook((h) => h.beforeRemove(to));
          await undo.beforeReplace(tree, toRel);
          if (existing.isDirectory()) await this.removeTree(toRel);
        }
        await undo.renamed(rel, toRel);
        await tree.rename(rel, toRel, true);
        this.moveTouched(rel, toRel);
        return;
      }
      case 'delete':
      case 'rmdir': {
        const staging = this.staged.get(rel);
        if (staging) {
          this.staged.delete(rel);
          await tree.unlink(staging).catch(ignoreMissing);
          await tree.unlink(`${staging}.path`).catch(ignoreMissing);
        }
        if (await tree.lstat(rel)) await this.removeTree(rel);
        this.touchedDirs.add(parentOf(rel));
        return;
      }
      default: {
        // A kind added to records.ts and not here would otherwise be skipped without a word.
        const unknown: never = r;
        throw new TidemarkError(
          'AE0468',
          `record kind ${(unknown as JournalRecord).kind} is not applied here`,
        );
      }
    }
  }

  /** Moves a prepared file or link onto `rel` in one rename, after the hooks keep what it replaces. */
  private async replaceWith(rel: string, prepared: string): Promise<void> {
    const path = this.tree.absolute(rel);
    const st = await this.tree.lstat(rel);
    if (st) await this.hook((h) => h.beforeRemove(path));
    await this.o.undo.beforeReplace(this.tree, rel);
    if (st?.isDirectory()) await this.removeTree(rel);
    await this.tree.rename(prepared, rel, true);
  }

  /** Removes a file or a whole tree, telling the hooks about every entry first (deepest first). */
  private async removeTree(rel: string): Promise<void> {
    const path = this.tree.absolute(rel);
    const st = await this.tree.lstat(rel);
    if (!st) return;
    if (st.isDirectory()) {
      for (const name of await this.tree.readdir(rel)) await this.removeTree(`${rel}/${name}`);
      await this.hook((h) => h.beforeRemove(path));
      await this.o.undo.beforeReplace(this.tree, rel);
      await this.tree.rmdir(rel).catch(ignoreMissing);
      return;
    }
    await this.hook((h) => h.beforeRemove(path));
    await this.o.undo.beforeReplace(this.tree, rel);
    await this.tree.unlink(rel).catch(ignoreMissing);
  }

  /** Owners replicate when the agent runs as root; otherwise the copy keeps the agent's owner. */
  private async setAttributes(rel: string, r: Extract<JournalRecord, { kind: 'attrs' }>): Promise<void> {
    // mtimeMs < 0 leaves times alone (directories, whose times follow their children).
    const mtimeMs = r.mtimeMs >= 0 ? r.mtimeMs : undefined;
    await this.tree.setAttributes(rel, { mode: r.mode, uid: r.uid, gid: r.gid, mtimeMs }, 'try');
  }
}

/**
 * syncfs(2) of the file system holding `path`, through coreutils' `sync -f`
 * (Node has no syncfs): false when that cannot run, and the caller syncs
 * file by file. It reports write-back errors since Linux 5.8.
 */
async function syncFileSystem(path: string): Promise<boolean> {
  try {
    await run('sync', ['-f', path], { timeout: 120_000 });
    return true;
  } catch (error) {
    // It ran and failed: a write-back error, which must not be acknowledged past.
    if (typeof (error as { code?: unknown }).code === 'number') throw error;
    return false;
  }
}

function ignoreMissing(error: NodeJS.ErrnoException): void {
  if (error.code !== 'ENOENT') throw error;
}
