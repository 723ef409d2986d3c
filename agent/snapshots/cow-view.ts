/**
 * A read-only view of a copy-on-write snapshot: the live tree, minus entries
 * born after the snapshot, with every recorded entry shown as it was (its
 * attributes, and its changed blocks read from the shadow file).
 */
import type { BigIntStats } from 'node:fs';
import { lstat, readdir, readlink } from 'node:fs/promises';
import path from 'node:path';
import { toViewStat } from '../backup/directory-view.js';
import { openToRead } from '../backup/open-to-read.js';
import type { SnapshotView, ViewStat } from '../backup/snapshot-view.js';
import { COW_BLOCK, type CowSnapshot, renamedHereLater } from './cow-snapshots.js';

function missing(p: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`ENOENT: no such file or directory in snapshot, '${p}'`), {
    code: 'ENOENT',
  });
}

export class CowView implements SnapshotView {
  constructor(private readonly snapshot: CowSnapshot) {}

  async lstat(p: string): Promise<ViewStat> {
    const record = this.snapshot.records.get(p);
    if (record) return record.stat;
    const info = await lstat(p, { bigint: true });
    if (info.birthtimeNs >= this.snapshot.threshold || this.movedHere(p, info)) throw missing(p);
    return toViewStat(await lstat(p));
  }

  /**
   * An entry that existed at the snapshot but under another name: its inode was recorded at another
   * path (a rename's source) — a directory, or a file that had one name; or a single-name file whose
   * ctime moved with no hook (a rename whose source was not reported). A file with more names and a
   * new ctime is shown: a hard link made after the snapshot moves the old name's ctime too, and the
   * old name did exist. (The new name shows as well: apply has no hook for links.)
   */
  private movedHere(p: string, info: BigIntStats): boolean {
    if (renamedHereLater(this.snapshot, p, { dev: Number(info.dev), ino: Number(info.ino) })) return true;
    return !info.isDirectory() && info.nlink === 1n && info.ctimeNs >= this.snapshot.threshold;
  }

  async readdir(p: string): Promise<string[]> {
    const names = new Set<string>();
    for (const name of await readdir(p).catch(() => [] as string[])) {
      const ok = await this.lstat(path.join(p, name)).then(
        () => true,
        () => false,
      );
      if (ok) names.add(name);
    }
    for (const recorded of this.snapshot.records.keys())
      if (path.dirname(recorded) === p) names.add(path.basename(recorded));
    return [...names];
  }

  async readlink(p: string): Promise<string> {
    return this.snapshot.records.get(p)?.target ?? readlink(p);
  }

  /**
   * A file apply has not touched since the snapshot is its live file. Apply records a path (the
   * hook runs before it writes, renames or deletes) before changing it, so bytes read from here are
   * the snapshot's as long as `stillPlain` says, after the read, that no record appeared.
   */
  plainPath(p: string): string | undefined {
    return this.snapshot.records.has(p) ? undefined : p;
  }

  stillPlain(p: string): boolean {
    return !this.snapshot.records.has(p);
  }

  async read(p: string, buffer: Buffer, position: number, length: number): Promise<number> {
    if (!this.snapshot.records.has(p)) {
      // Untouched so far: one read of the live file, kept only if apply did not touch it meanwhile.
      const size = (await this.lstat(p)).size;
      const want = Math.max(0, Math.min(length, size - position));
      await readInto(p, buffer, 0, want, position);
      if (!this.snapshot.records.has(p)) return want;
    }
    const size = this.snapshot.records.get(p)?.stat.size ?? (await this.lstat(p)).size;
    const end = Math.min(position + length, size);
    let done = 0;
    while (position + done < end) {
      const at = position + done;
      const block = Math.floor(at / COW_BLOCK);
      const take = Math.min(end - at, (block + 1) * COW_BLOCK - at);
      // Read live unless the block was preserved; if apply preserved it while we read live, read again:
      // the hook marks a block before apply writes it, so an unmarked block after the read was not yet written.
      for (;;) {
        const fromShadow = this.shadowOf(p, block);
        await readInto(fromShadow ?? p, buffer, done, take, at);
        if (fromShadow || !this.shadowOf(p, block)) break;
      }
      done += take;
    }
    return done;
  }

  private shadowOf(p: string, block: number): string | undefined {
    const record = this.snapshot.records.get(p);
    return record?.shadow && record.blocks.has(block)
      ? path.join(this.snapshot.dir, record.shadow)
      : undefined;
  }
}

async function readInto(
  file: string,
  buffer: Buffer,
  offset: number,
  length: number,
  position: number,
): Promise<void> {
  const handle = await openToRead(file);
  try {
    const { bytesRead } = await handle.read(buffer, offset, length, position);
    if (bytesRead < length) buffer.fill(0, offset + bytesRead, offset + length); // a shadow's unwritten tail
  } finally {
    await handle.close();
  }
}
