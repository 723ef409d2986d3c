/**
 * A directory tree that file operations cannot leave, whatever its entries
 * are or become. It is the one way the agent touches a tree another party
 * shapes: the replica's copy (written from a master's records), the master's
 * roots (written by local users), a restore's destination.
 *
 * Node has no openat(), but Linux gives its semantics to any path call made
 * through `/proc/self/fd/<fd>/<name>`: the kernel resolves the descriptor's
 * magic link to the directory itself, then looks up `<name>` alone. So every
 * directory on the way is opened with O_DIRECTORY | O_NOFOLLOW through its
 * parent's descriptor, one level at a time, and the last component is acted
 * on through its parent's descriptor: files are opened O_NOFOLLOW,
 * attributes are set on the descriptor, and mkdir, rename, unlink, symlink,
 * link and lstat never follow a last component anyway. A symlink found
 * anywhere on the way — there before the walk or swapped in during it — is
 * refused with `PathRefused`, never followed.
 *
 * Metadata calls (lstat, rename, unlink, mkdir, links, attributes) are
 * synchronous: each takes microseconds, while a trip to the thread pool and
 * back took ~50 µs here, and a small file's apply is a dozen of them. Opens,
 * reads, writes and listings stay asynchronous.
 *
 * Descriptors of the directories walked are kept (at most `cacheLimit`),
 * and a kept one is used again only while an lstat of its path still finds
 * the same inode. That check is about placement only: an operation through
 * a descriptor cannot leave the tree, whatever the path has become.
 */
import type { Dirent, Stats } from 'node:fs';
import {
  closeSync,
  constants,
  existsSync,
  fstatSync,
  linkSync,
  lstatSync,
  mkdirSync,
  openSync,
  readlinkSync,
  readSync,
  renameSync,
  rmdirSync,
  statSync,
  symlinkSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { mkdir, open, readdir } from 'node:fs/promises';
import { type ChownPolicy, type EntryAttributes, setEntryAttributesSync } from './entry-attributes.js';

export type { EntryAttributes } from './entry-attributes.js';

const DIR_FLAGS = constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW;

/** A path that would leave the tree, or that names something other than what the caller may act on. */
export class PathRefused extends Error {
  constructor(
    /** The path as the caller gave it (absolute where the caller has one). */
    readonly path: string,
    /** Why, as the end of a sentence: "passes through a symlink at /x/y". */
    readonly why: string,
  ) {
    super(`${path} ${why}`);
    this.name = 'PathRefused';
  }
}

/**
 * The components of a relative path, refused when one is empty, `.`, `..` or holds a NUL: such a path
 * could name something outside the tree, or two names for one thing.
 */
export function componentsOf(relative: string, shownAs = relative): string[] {
  if (relative === '') return [];
  const parts = relative.split('/');
  for (const part of parts)
    if (part === '' || part === '.' || part === '..' || part.includes('\0'))
      throw new PathRefused(shownAs, 'has an empty, "." or ".." component');
  return parts;
}

/** An absolute path's components (`/` has none), with the same refusals. */
export function absoluteComponents(path: string): string[] {
  if (!path.startsWith('/')) throw new PathRefused(path, 'is not absolute');
  return componentsOf(path === '/' ? '' : path.slice(1), path);
}

interface HeldDirectory {
  fd: number;
  dev: number;
  ino: number;
  /** Operations using the descriptor right now: it is closed only once none does. */
  users: number;
  dropped: boolean;
}

export class ContainedTree {
  private readonly dirs = new Map<string, HeldDirectory>();

  private constructor(
    /** The tree's root: trusted, so followed if it is itself a symlink. */
    readonly root: string,
    private readonly cacheLimit: number,
  ) {}

  /** Opens the tree at `root` (created with `create`, as a trusted path). */
  static async open(
    root: string,
    options: { create?: boolean; mode?: number; cacheLimit?: number } = {},
  ): Promise<ContainedTree> {
    if (!existsSync('/proc/self/fd'))
      throw new Error('the agent needs Linux /proc/self/fd to walk trees safely');
    if (options.create) await mkdir(root, { recursive: true, mode: options.mode });
    const tree = new ContainedTree(
      root.length > 1 ? root.replace(/\/+$/, '') : root,
      options.cacheLimit ?? 256,
    );
    tree.openRoot();
    return tree;
  }

  /** The path of `relative` in the tree, for messages, hooks and callers' own bookkeeping. */
  absolute(relative: string): string {
    if (relative === '') return this.root;
    return this.root === '/' ? `/${relative}` : `${this.root}/${relative}`;
  }

  /** The entry's lstat, or undefined when it (or a directory on the way) does not exist. */
  async lstat(relative: string): Promise<Stats | undefined> {
    if (relative === '') return statSync(this.root);
    return this.missingIsUndefined(() => this.at(relative, false, async (p) => lstatSync(p)));
  }

  async readdir(relative: string): Promise<string[]> {
    return this.inDirectory(relative, (p) => readdir(p));
  }

  async readdirTypes(relative: string): Promise<Dirent[]> {
    return this.inDirectory(relative, (p) => readdir(p, { withFileTypes: true }));
  }

  async readlink(relative: string): Promise<string> {
    return this.at(relative, false, async (p) => readlinkSync(p));
  }

  /** Opens a file that is not a symlink (O_NOFOLLOW is added to `flags`); `create` makes missing parents. */
  async openFile(relative: string, flags: number, mode = 0o666, create = false): Promise<FileHandle> {
    return this.at(relative, create, (p, abs) =>
      open(p, flags | constants.O_NOFOLLOW, mode).catch((error: NodeJS.ErrnoException) => {
        throw error.code === 'ELOOP' ? new PathRefused(abs, 'is a symlink') : error;
      }),
    );
  }

  /**
   * Opens a file (O_NOFOLLOW), fstats it and, when `wanted(stat)` says so, reads it whole into memory,
   * in synchronous calls: for small files, whose open, stat, read and close are microseconds each while
   * their four trips to the thread pool and back took ~50 µs each. `wanted` must only say yes to a file
   * of at most a few tens of KiB; undefined `data` when it said no or the file grew past its stat.
   */
  async readFileSmall(
    relative: string,
    wanted: (st: Stats) => boolean,
  ): Promise<{ st: Stats; data?: Buffer }> {
    return this.at(relative, false, async (p, abs) => {
      let fd: number;
      try {
        fd = openSync(p, constants.O_RDONLY | constants.O_NOFOLLOW);
      } catch (error) {
        throw (error as NodeJS.ErrnoException).code === 'ELOOP'
          ? new PathRefused(abs, 'is a symlink')
          : error;
      }
      try {
        const st = fstatSync(fd);
        if (!st.isFile() || !wanted(st)) return { st };
        // One byte more tells a file that grew since the stat.
        const buf = Buffer.allocUnsafe(st.size + 1);
        let n = 0;
        for (let got = 1; got > 0 && n < buf.length; n += got) got = readSync(fd, buf, n, buf.length - n, n);
        return { st, data: n > st.size ? undefined : buf.subarray(0, n) };
      } finally {
        closeSync(fd);
      }
    });
  }

  /** Creates the directory and any missing ones above it, one level at a time. */
  async mkdirs(relative: string, mode?: number): Promise<void> {
    this.release(this.directory(componentsOf(relative), mode ?? 0o777));
  }

  /** Creates one directory; its parent must exist (EEXIST when the name is taken, even by a symlink). */
  async mkdir(relative: string, mode = 0o777): Promise<void> {
    await this.at(relative, false, async (p) => mkdirSync(p, { mode }));
  }

  async rename(from: string, to: string, createParents = false): Promise<void> {
    await this.at(from, false, (source) =>
      this.at(to, createParents, async (target) => renameSync(source, target)),
    );
    this.forget(from);
    this.forget(to);
  }

  async unlink(relative: string): Promise<void> {
    await this.at(relative, false, async (p) => unlinkSync(p));
  }

  async rmdir(relative: string): Promise<void> {
    await this.at(relative, false, async (p) => rmdirSync(p));
    this.forget(relative);
  }

  async symlink(target: string, relative: string, createParents = false): Promise<void> {
    await this.at(relative, createParents, async (p) => symlinkSync(target, p));
  }

  /** A hard link to an entry of the same tree (the existing name is not followed if a symlink). */
  async link(existing: string, relative: string): Promise<void> {
    await this.at(existing, false, (source) =>
      this.at(relative, false, async (target) => linkSync(source, target)),
    );
  }

  async truncate(relative: string, size: number): Promise<void> {
    const fd = await this.openFile(relative, constants.O_WRONLY);
    try {
      await fd.truncate(size);
    } finally {
      await fd.close();
    }
  }

  /**
   * Gives an entry its owner, mode and times (entry-attributes.ts) through its parent's descriptor, so
   * a symlink put in its place is never followed; a symlink itself gets only its owner and times.
   */
  async setAttributes(relative: string, attrs: EntryAttributes, chown: ChownPolicy = 'must'): Promise<void> {
    // Synchronous on purpose: the five calls take microseconds, each trip to the thread pool ~50 µs.
    if (relative === '') return setEntryAttributesSync(this.root, attrs, chown);
    await this.at(relative, false, async (p) => setEntryAttributesSync(p, attrs, chown));
  }

  /**
   * Creates (or truncates) a file with `data` and its attributes, O_NOFOLLOW. For small files only: the
   * calls are synchronous, since the thread-pool trips of six operations cost more than their work.
   */
  async writeSmallFile(
    relative: string,
    data: Buffer,
    attrs: EntryAttributes,
    chown: ChownPolicy = 'must',
  ): Promise<void> {
    await this.at(relative, false, async (p, abs) => {
      let fd: number;
      try {
        fd = openSync(
          p,
          constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW,
          0o600,
        );
      } catch (error) {
        throw (error as NodeJS.ErrnoException).code === 'ELOOP'
          ? new PathRefused(abs, 'is a symlink')
          : error;
      }
      try {
        for (let o = 0; o < data.length; ) o += writeSync(fd, data, o, data.length - o);
      } finally {
        closeSync(fd);
      }
      setEntryAttributesSync(p, attrs, chown);
    });
  }

  /**
   * fsyncs (or fdatasyncs) a file or directory; answers false when there is nothing there to sync any
   * more (removed, or replaced by a symlink, which is not followed).
   */
  async sync(relative: string, dataOnly: boolean): Promise<boolean> {
    const flags = constants.O_RDONLY | constants.O_NONBLOCK;
    const fd = await (relative === ''
      ? open(this.root, flags | constants.O_DIRECTORY)
      : this.openFile(relative, flags)
    ).catch((error: NodeJS.ErrnoException) => {
      if (error instanceof PathRefused || error.code === 'ENOENT' || error.code === 'ENOTDIR')
        return undefined;
      throw error;
    });
    if (!fd) return false;
    try {
      await (dataOnly ? fd.datasync() : fd.sync());
      return true;
    } finally {
      await fd.close();
    }
  }

  /** Closes every descriptor the tree holds; operations still running keep theirs until they end. */
  close(): void {
    for (const key of [...this.dirs.keys()]) this.drop(key);
  }

  /** Runs `action` on the path of `relative`'s last component inside its parent's descriptor. */
  private async at<T>(
    relative: string,
    createParents: boolean,
    action: (path: string, abs: string) => Promise<T>,
  ): Promise<T> {
    const parts = componentsOf(relative, this.absolute(relative));
    const leaf = parts.pop();
    if (leaf === undefined) throw new PathRefused(this.root, 'is the tree itself');
    const dir = this.directory(parts, createParents ? 0o777 : undefined);
    try {
      return await action(`/proc/self/fd/${dir.fd}/${leaf}`, this.absolute(relative));
    } finally {
      this.release(dir);
    }
  }

  private async inDirectory<T>(relative: string, action: (path: string) => Promise<T>): Promise<T> {
    const dir = this.directory(componentsOf(relative, this.absolute(relative)), undefined);
    try {
      return await action(`/proc/self/fd/${dir.fd}`);
    } finally {
      this.release(dir);
    }
  }

  /**
   * The held descriptor of a directory (its user count raised: release it), walking from the deepest
   * directory still held; `createMode` creates missing ones, otherwise a missing one is ENOENT.
   */
  private directory(parts: string[], createMode: number | undefined): HeldDirectory {
    let depth = parts.length;
    let dir: HeldDirectory | undefined;
    for (; depth > 0; depth--) {
      dir = this.held(parts.slice(0, depth).join('/'));
      if (dir) break;
    }
    if (!dir) {
      dir = this.held('') ?? this.openRoot();
      depth = 0;
    }
    dir.users++;
    try {
      for (; depth < parts.length; depth++) {
        const next = this.step(dir, parts, depth, createMode);
        this.release(dir);
        dir = next;
      }
    } catch (error) {
      this.release(dir);
      throw error;
    }
    return dir;
  }

  /** Opens `parts[depth]` inside `parent`, never following a symlink; the result is held and counted used. */
  private step(
    parent: HeldDirectory,
    parts: string[],
    depth: number,
    createMode: number | undefined,
  ): HeldDirectory {
    const name = parts[depth] as string;
    const path = `/proc/self/fd/${parent.fd}/${name}`;
    const shown = this.absolute(parts.slice(0, depth + 1).join('/'));
    let fd: number;
    try {
      fd = openSync(path, DIR_FLAGS);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' && createMode !== undefined) {
        try {
          mkdirSync(path, { mode: createMode });
        } catch (made) {
          if ((made as NodeJS.ErrnoException).code !== 'EEXIST') throw made;
        }
        return this.step(parent, parts, depth, undefined);
      }
      if (
        (code === 'ELOOP' || code === 'ENOTDIR') &&
        lstatSync(path, { throwIfNoEntry: false })?.isSymbolicLink()
      )
        throw new PathRefused(shown, 'is a symlink, where a directory is needed');
      if (code === 'ENOENT' || code === 'ENOTDIR')
        throw Object.assign(new Error(`${code}: ${shown} is not a directory that exists`), {
          code,
          path: shown,
        });
      throw error;
    }
    const st = fstatSync(fd);
    const held: HeldDirectory = { fd, dev: st.dev, ino: st.ino, users: 1, dropped: false };
    const key = parts.slice(0, depth + 1).join('/');
    this.drop(key);
    this.dirs.set(key, held);
    this.evict();
    return held;
  }

  /** A held directory whose path still leads to it, moved to the newest place; a stale one is dropped. */
  private held(key: string): HeldDirectory | undefined {
    const dir = this.dirs.get(key);
    if (!dir) return undefined;
    const now =
      key === ''
        ? statSync(this.root, { throwIfNoEntry: false })
        : lstatSync(this.absolute(key), { throwIfNoEntry: false });
    if (!now?.isDirectory() || now.dev !== dir.dev || now.ino !== dir.ino) {
      this.drop(key);
      return undefined;
    }
    this.dirs.delete(key);
    this.dirs.set(key, dir);
    return dir;
  }

  private openRoot(): HeldDirectory {
    // The root is trusted: followed if a symlink, and it must be a directory.
    const fd = openSync(this.root, constants.O_RDONLY | constants.O_DIRECTORY);
    const st = fstatSync(fd);
    const dir: HeldDirectory = { fd, dev: st.dev, ino: st.ino, users: 0, dropped: false };
    this.drop('');
    this.dirs.set('', dir);
    return dir;
  }

  private release(dir: HeldDirectory): void {
    dir.users--;
    if (dir.dropped && dir.users === 0) closeSync(dir.fd);
  }

  private drop(key: string): void {
    const dir = this.dirs.get(key);
    if (!dir) return;
    this.dirs.delete(key);
    dir.dropped = true;
    if (dir.users === 0) closeSync(dir.fd);
  }

  /** A renamed or removed directory: its descriptor and those below it no longer match their paths. */
  private forget(relative: string): void {
    for (const key of [...this.dirs.keys()])
      if (key !== '' && (key === relative || key.startsWith(`${relative}/`))) this.drop(key);
  }

  private evict(): void {
    if (this.dirs.size <= this.cacheLimit) return;
    for (const [key, dir] of this.dirs) {
      if (this.dirs.size <= this.cacheLimit) return;
      if (key !== '' && dir.users === 0) this.drop(key);
    }
  }

  private async missingIsUndefined<T>(run: () => Promise<T>): Promise<T | undefined> {
    try {
      return await run();
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
      throw error;
    }
  }
}
