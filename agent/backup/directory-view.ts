/** A live directory as a SnapshotView (for tests, for master-side backups, and as the CoW view's base). */

import type { Stats } from 'node:fs';
import { lstat, readdir, readlink } from 'node:fs/promises';
import { openToRead } from './open-to-read.js';
import type { SnapshotView, ViewStat } from './snapshot-view.js';

export function toViewStat(info: Stats): ViewStat {
  return {
    type: info.isFile()
      ? 'file'
      : info.isDirectory()
        ? 'directory'
        : info.isSymbolicLink()
          ? 'symlink'
          : 'other',
    mode: info.mode & 0o7777,
    uid: info.uid,
    gid: info.gid,
    size: info.size,
    mtimeMs: info.mtimeMs,
    atimeMs: info.atimeMs,
    ctimeMs: info.ctimeMs,
    dev: info.dev,
    ino: info.ino,
    nlink: info.nlink,
  };
}

export class DirectoryView implements SnapshotView {
  readdir(path: string): Promise<string[]> {
    return readdir(path);
  }

  async lstat(path: string): Promise<ViewStat> {
    return toViewStat(await lstat(path));
  }

  readlink(path: string): Promise<string> {
    return readlink(path);
  }

  plainPath(path: string): string {
    return path;
  }

  // One open per call: the scanner reads in 8 MiB blocks, so the cost is negligible and no handle can leak.
  async read(path: string, buffer: Buffer, position: number, length: number): Promise<number> {
    const handle = await openToRead(path);
    try {
      return (await handle.read(buffer, 0, length, position)).bytesRead;
    } finally {
      await handle.close();
    }
  }
}
