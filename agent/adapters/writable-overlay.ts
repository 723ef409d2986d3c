/**
 * A writable, throw-away copy of part of a snapshot for assured recovery:
 * the application may write to it (a database replays its WAL), the
 * snapshot and the replica stay untouched, and `discard` removes it. The
 * copy is made through the snapshot's read-only view, because a
 * copy-on-write snapshot is a view over the live tree plus its difference
 * area and no kernel overlay can stack on that without root-only mounts.
 */
import { chmod, chown, mkdir, mkdtemp, open, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { SnapshotView } from '../backup/snapshot-view.js';
import { writeAll } from '../fs/write-all.js';

export interface WritableOverlay {
  /** Where a view path landed in the copy. */
  pathOf(viewPath: string): string;
  discard(): Promise<void>;
}

const BUFFER = 1024 * 1024;

async function copyFile(view: SnapshotView, from: string, to: string, size: number): Promise<void> {
  const out = await open(to, 'w', 0o600);
  try {
    const buffer = Buffer.allocUnsafe(BUFFER);
    for (let position = 0; position < size; ) {
      const read = await view.read(from, buffer, position, Math.min(BUFFER, size - position));
      if (read === 0) break;
      await writeAll(out, buffer.subarray(0, read), position);
      position += read;
    }
  } finally {
    await out.close();
  }
}

export async function openWritableOverlay(view: SnapshotView, roots: string[]): Promise<WritableOverlay> {
  const base = await mkdtemp(path.join(tmpdir(), 'tidemark-ar-'));
  const pathOf = (viewPath: string) => path.join(base, viewPath);
  const copy = async (viewPath: string): Promise<void> => {
    const stat = await view.lstat(viewPath);
    const target = pathOf(viewPath);
    if (stat.type === 'directory') {
      await mkdir(target, { recursive: true });
      for (const name of await view.readdir(viewPath)) await copy(path.join(viewPath, name));
    } else if (stat.type === 'file') {
      await mkdir(path.dirname(target), { recursive: true });
      await copyFile(view, viewPath, target, stat.size);
    } else if (stat.type === 'symlink') {
      await symlink(await view.readlink(viewPath), target);
      return;
    } else return; // sockets, fifos and devices are not replicated either
    await chown(target, stat.uid, stat.gid).catch(() => undefined); // only root may; the owner matters to PostgreSQL
    await chmod(target, stat.mode & 0o7777);
  };
  try {
    for (const root of roots) await copy(root);
  } catch (error) {
    await rm(base, { recursive: true, force: true });
    throw error;
  }
  return { pathOf, discard: () => rm(base, { recursive: true, force: true }) };
}
