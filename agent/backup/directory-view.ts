/** A live directory as a SnapshotView (for tests, for master-side backups, and as the CoW view's base). */

import type { Stats } from 'node:fs';
import { type FileHandle, lstat, open, readdir, readlink } from 'node:fs/promises';
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
    dev: info.dev,
    ino: info.ino,
    nlink: info.nlink,
  };
}

export class DirectoryView implements SnapshotView {
  // One open handle per file being read: the scanner reads a file front to back.
  private handle?: { path: string; file: FileHandle };

  readdir(path: string): Promise<string[]> {
    return readdir(path);
  }

  async lstat(path: string): Promise<ViewStat> {
    return toViewStat(await lstat(path));
  }

  readlink(path: string): Promise<string> {
    return readlink(path);
  }

  async read(path: string, buffer: Buffer, position: number, length: number): Promise<number> {
    if (this.handle?.path !== path) {
      await this.handle?.file.close();
      this.handle = { path, file: await open(path, 'r') };
    }
    const { bytesRead } = await this.handle.file.read(buffer, 0, length, position);
    if (bytesRead === 0) await this.close();
    return bytesRead;
  }

  async close(): Promise<void> {
    const handle = this.handle;
    this.handle = undefined;
    await handle?.file.close();
  }
}
