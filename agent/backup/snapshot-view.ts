/**
 * What the backup reads: a read-only tree. A plain directory is one
 * implementation (directory-view.ts); a copy-on-write snapshot of a replica
 * is another (agent/snapshots/cow-view.ts). Paths are absolute paths in the
 * view's own namespace (for a replica, replica paths).
 */
export interface ViewStat {
  type: 'file' | 'directory' | 'symlink' | 'other';
  mode: number;
  uid: number;
  gid: number;
  size: number;
  /** Milliseconds since the epoch, fractional. */
  mtimeMs: number;
  atimeMs: number;
  /** Status change time: what the next backup compares to skip unchanged files (absent: always read). */
  ctimeMs?: number;
  /** Identity for hard-link detection; `nlink > 1` marks candidates. */
  dev: number;
  ino: number;
  nlink: number;
}

export interface SnapshotView {
  /** Entry names of a directory, unsorted. */
  readdir(path: string): Promise<string[]>;
  lstat(path: string): Promise<ViewStat>;
  readlink(path: string): Promise<string>;
  /** Reads up to `length` bytes at `position` into `buffer`; returns how many were read (0 at end of file). */
  read(path: string, buffer: Buffer, position: number, length: number): Promise<number>;
  /**
   * Where another thread may read this file's bytes directly (a plain file holding exactly the view's
   * content), or undefined when they only come through `read` (an overlay). Lets the backup read
   * small files in batches on its CPU workers.
   */
  plainPath?(path: string): string | undefined;
  /**
   * For a view over a live tree (a copy-on-write snapshot): asked after bytes were read from
   * `plainPath`, whether they are still the view's. False means they may not be, and the backup
   * reads the file again through `read`. Absent: a plain path always holds the view's content.
   */
  stillPlain?(path: string): boolean;
}
