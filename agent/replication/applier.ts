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
 * - Safety: a record's path must lie under one of the scenario roots, and no
 *   directory on the way may be a symlink, so a master cannot write outside
 *   the scenario's target folder.
 */
import { createHash } from 'node:crypto';
import { constants } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import {
  chmod,
  chown,
  lstat,
  mkdir,
  open,
  readdir,
  readFile,
  realpath,
  rename,
  rm,
  symlink,
  truncate,
  unlink,
  utimes,
  writeFile,
} from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { TidemarkError } from '../../core/error-catalogue.js';
import type { ReplicaWriteHook } from '../replica-write-hooks.js';
import { MasterChecksumLedger } from './master-checksums.js';
import type { JournalRecord } from './records.js';
import type { UndoJournal } from './undo-journal.js';

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
  private readonly staged = new Map<string, string>();
  private readonly touched = new Set<string>();
  /** Directories whose entries changed (a file moved into place, a rename, a removal): fsynced too before an ack. */
  private readonly touchedDirs = new Set<string>();
  private readonly stagingDir: string;
  /**
   * The file the last write went to, kept open: a large change arrives as
   * consecutive write records to one file, and an open and a close per
   * record were most of the replica's apply time.
   */
  private heldWrite: { file: string; fd: FileHandle; ino: number } | undefined;
  /** The master's checksums received for assured recovery (master-checksums.ts). */
  readonly masterChecksums = new MasterChecksumLedger();

  constructor(private readonly o: ApplierOptions) {
    this.stagingDir = join(o.directory, '.tidemark-staging');
  }

  async open(): Promise<void> {
    // The target folder belongs to the agent alone: nobody else may write the copy.
    await mkdir(this.o.directory, { recursive: true, mode: 0o700 });
    await chmod(this.o.directory, 0o700);
    await mkdir(this.stagingDir, { recursive: true, mode: 0o700 });
    await mkdir(this.o.stateDir, { recursive: true, mode: 0o700 });
    for (const name of await readdir(this.stagingDir)) {
      if (!name.endsWith('.path')) continue;
      const staging = join(this.stagingDir, name.slice(0, -5));
      // A crash between moving a staged file into place and removing its note leaves the note alone.
      if (!(await lstat(staging).catch(() => undefined))) {
        await rm(join(this.stagingDir, name), { force: true });
        continue;
      }
      this.staged.set(await readFile(join(this.stagingDir, name), 'utf8'), staging);
    }
    const seqPath = join(this.o.stateDir, 'applied-seq');
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

  /** After a synchronization the stream resumes at `seq + 1`. */
  async setAppliedSeq(seq: number): Promise<void> {
    const buf = Buffer.alloc(8);
    buf.writeBigUInt64LE(BigInt(seq), 0);
    await this.seqFd.write(buf, 0, 8, 0);
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
    await this.applyOne(r);
    if (sequenced) {
      const buf = Buffer.alloc(8);
      buf.writeBigUInt64LE(BigInt(r.seq), 0);
      await this.seqFd.write(buf, 0, 8, 0);
      this.appliedSeqValue = r.seq;
    }
  }

  /**
   * Makes every applied change durable; called before acknowledging. Files
   * and directories are synced side by side (the thread pool overlaps them),
   * then the applied sequence number.
   */
  async flush(): Promise<void> {
    await this.releaseHeldWrite();
    const files = [...this.touched];
    const dirs = [...this.touchedDirs];
    this.touched.clear();
    this.touchedDirs.clear();
    await Promise.all([
      ...files.map((path) => syncPath(path, (fd) => fd.datasync())),
      ...dirs.map((path) => syncPath(path, (fd) => fd.sync())),
    ]);
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
    this.touchedDirs.add(dirname(from));
    this.touchedDirs.add(dirname(to));
  }

  async close(): Promise<void> {
    await this.releaseHeldWrite();
    await this.seqFd?.close();
  }

  /** Closes the file kept open for consecutive writes (any other record may move, replace or remove it). */
  private async releaseHeldWrite(): Promise<void> {
    const held = this.heldWrite;
    this.heldWrite = undefined;
    await held?.fd.close();
  }

  /** The replica path of a master path, refused when it lies outside the scenario's roots. */
  async targetOf(masterPath: string): Promise<string> {
    const bad =
      !masterPath.startsWith('/') ||
      masterPath.includes('\0') ||
      masterPath.split('/').some((s, i) => i > 0 && (s === '' || s === '.' || s === '..')) ||
      !this.o.roots.some((root) => masterPath === root || masterPath.startsWith(`${root}/`));
    if (bad)
      throw new TidemarkError('AE0468', `record path '${masterPath}' is not under the scenario's roots`);
    const target = `${this.o.directory.replace(/\/+$/, '')}${masterPath}`;
    const parent = dirname(target);
    const real = await realpath(parent).catch(() => undefined);
    if (real !== undefined && real !== parent) {
      throw new TidemarkError(
        'AE0468',
        `record path '${masterPath}' passes through a symlink on the replica`,
      );
    }
    return target;
  }

  private async hook(each: (h: ReplicaWriteHook) => Promise<void>): Promise<void> {
    for (const h of this.o.hooks) await each(h);
  }

  private async applyOne(r: JournalRecord): Promise<void> {
    const path = await this.targetOf(r.path);
    const undo = this.o.undo;
    switch (r.kind) {
      case 'digest':
        return; // kept by masterChecksums; the path was checked like any other
      case 'create': {
        const staging = join(this.stagingDir, createHash('sha1').update(path).digest('hex'));
        await writeFile(staging, Buffer.alloc(0), { mode: r.mode & 0o7777 });
        await writeFile(`${staging}.path`, path);
        this.staged.set(path, staging);
        return;
      }
      case 'write': {
        const staging = this.staged.get(path);
        const file = staging ?? path;
        let held = this.heldWrite?.file === file ? this.heldWrite : undefined;
        if (!staging) {
          const st = await lstat(path).catch(() => undefined);
          // Replaced by someone else while held (a restore into the replica, a rewind): write the new file.
          if (held && held.ino !== st?.ino) held = undefined;
          // Also for an append (overlap 0): a snapshot must learn the size the file had before it grows.
          if (st !== undefined) {
            const overlap = Math.max(0, Math.min(r.data.length, st.size - r.offset));
            await this.hook((h) => h.beforeOverwrite(path, r.offset, overlap));
          }
          await undo.beforeRange(path, r.offset, r.data.length);
          if (!held) await mkdir(dirname(path), { recursive: true });
        }
        if (!held) {
          await this.releaseHeldWrite();
          const fd = await open(file, constants.O_RDWR | constants.O_CREAT, 0o666);
          held = { file, fd, ino: (await fd.stat()).ino };
          this.heldWrite = held;
        }
        await held.fd.write(r.data, 0, r.data.length, r.offset);
        this.touched.add(file);
        return;
      }
      case 'truncate': {
        const staging = this.staged.get(path);
        if (!staging) {
          const size = (await lstat(path).catch(() => undefined))?.size;
          if (size === undefined) return;
          // Growing too: a snapshot must learn the size the file had (an append arrives as grow, then write).
          if (r.size !== size) await this.hook((h) => h.beforeTruncate(path, r.size));
          await undo.beforeRange(path, r.size, Math.max(0, size - r.size));
        }
        await truncate(staging ?? path, r.size);
        this.touched.add(staging ?? path);
        return;
      }
      case 'attrs': {
        const staging = this.staged.get(path);
        if (staging) {
          await setAttributes(staging, r);
          this.touched.add(staging);
          await this.replaceWith(path, staging);
          this.moveTouched(staging, path);
          this.staged.delete(path);
          await rm(`${staging}.path`, { force: true });
          return;
        }
        if (!(await lstat(path).catch(() => undefined))) return;
        await this.hook((h) => h.beforeAttributes(path));
        await undo.beforeAttributes(path);
        await setAttributes(path, r);
        return;
      }
      case 'mkdir': {
        const st = await lstat(path).catch(() => undefined);
        if (st?.isDirectory()) return;
        if (st) await this.removeTree(path);
        await undo.beforeReplace(path);
        await mkdir(path, { recursive: true, mode: r.mode & 0o7777 });
        this.touchedDirs.add(dirname(path));
        return;
      }
      case 'symlink': {
        const temp = join(this.stagingDir, `link-${createHash('sha1').update(path).digest('hex')}`);
        await rm(temp, { force: true });
        await symlink(r.target, temp);
        await this.replaceWith(path, temp);
        this.touchedDirs.add(dirname(path));
        return;
      }
      case 'rename': {
        const to = await this.targetOf(r.to);
        const staging = this.staged.get(path);
        if (staging) {
          this.staged.delete(path);
          this.staged.set(to, staging);
          await writeFile(`${staging}.path`, to);
          return;
        }
        if (!(await lstat(path).catch(() => undefined))) return;
        // The source leaves its name: a snapshot keeps it (and, for a directory, its tree) under the old one.
        await this.hook((h) => h.beforeRemove(path));
        if (await lstat(to).catch(() => undefined)) {
          await this.hook((h) => h.beforeRemove(to));
          await undo.beforeReplace(to);
          const st = await lstat(to);
          if (st.isDirectory()) await this.removeTree(to);
        }
        await undo.renamed(path, to);
        await mkdir(dirname(to), { recursive: true });
        await rename(path, to);
        this.moveTouched(path, to);
        return;
      }
      case 'delete':
      case 'rmdir': {
        const staging = this.staged.get(path);
        if (staging) {
          this.staged.delete(path);
          await rm(staging, { force: true });
          await rm(`${staging}.path`, { force: true });
        }
        if (await lstat(path).catch(() => undefined)) await this.removeTree(path);
        this.touchedDirs.add(dirname(path));
        return;
      }
    }
  }

  /** Moves a prepared file or link onto `path` in one rename, after the hooks keep what it replaces. */
  private async replaceWith(path: string, prepared: string): Promise<void> {
    const st = await lstat(path).catch(() => undefined);
    if (st) await this.hook((h) => h.beforeRemove(path));
    await this.o.undo.beforeReplace(path);
    if (st?.isDirectory()) await this.removeTree(path);
    await mkdir(dirname(path), { recursive: true });
    await rename(prepared, path);
  }

  /** Removes a file or a whole tree, telling the hooks about every entry first (deepest first). */
  private async removeTree(path: string): Promise<void> {
    const st = await lstat(path);
    if (st.isDirectory()) {
      for (const name of await readdir(path)) await this.removeTree(join(path, name));
      await this.hook((h) => h.beforeRemove(path));
      await this.o.undo.beforeReplace(path);
      await rm(path, { recursive: true, force: true });
      return;
    }
    await this.hook((h) => h.beforeRemove(path));
    await this.o.undo.beforeReplace(path);
    await unlink(path).catch((e: NodeJS.ErrnoException) => {
      if (e.code !== 'ENOENT') throw e;
    });
  }
}

/** fsync/fdatasync of a path; one gone by now (removed later in the same batch) has nothing to keep. */
async function syncPath(path: string, sync: (fd: FileHandle) => Promise<void>): Promise<void> {
  const fd = await open(path, 'r').catch(() => undefined);
  if (!fd) return;
  try {
    await sync(fd); // a failed sync must not be acknowledged: the error ends the stream, the master resends
  } finally {
    await fd.close();
  }
}

async function setAttributes(path: string, r: Extract<JournalRecord, { kind: 'attrs' }>): Promise<void> {
  await chmod(path, r.mode & 0o7777);
  // Owners replicate when the agent runs as root; otherwise the copy keeps the agent's owner.
  await chown(path, r.uid, r.gid).catch(() => undefined);
  if (r.mtimeMs >= 0) await utimes(path, r.mtimeMs / 1000, r.mtimeMs / 1000);
}
