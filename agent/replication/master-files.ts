/**
 * The master's roots as contained trees (fs/contained-tree.ts): capture,
 * synchronization and checksums reach files under the roots only through
 * here. A root itself is trusted (the scenario names it); below it nothing
 * is followed, and a file is opened only while it is still the inode the
 * walk saw, so a local user who swaps a file or a directory for a symlink
 * after the walk (to `/etc/shadow`, say) gets nothing replicated from it.
 */
import { constants, type Stats } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { ContainedTree, PathRefused } from '../fs/contained-tree.js';
import { entryIn, type TreeEntry, walkIn } from './tree-walk.js';

export class MasterFiles {
  private constructor(private readonly trees: ContainedTree[]) {}

  static async open(roots: string[]): Promise<MasterFiles> {
    // Longest first, so a root nested in another is found before it.
    const sorted = [...roots].sort((a, b) => b.length - a.length);
    return new MasterFiles(await Promise.all(sorted.map((root) => ContainedTree.open(root))));
  }

  /** The entry at a master path, or undefined (gone, outside the roots, or only reachable through a symlink). */
  async entryOf(path: string): Promise<TreeEntry | undefined> {
    const at = this.locate(path);
    return at ? entryIn(at.tree, at.relative) : undefined;
  }

  /** Every entry at and under a master path, parents first. */
  async walk(path: string): Promise<TreeEntry[]> {
    const at = this.locate(path);
    return at ? walkIn(at.tree, at.relative) : [];
  }

  /** Opens a walked file for reading, or answers undefined when its path no longer leads to that inode. */
  async openFile(entry: Pick<TreeEntry, 'path' | 'ino'>): Promise<FileHandle | undefined> {
    const at = this.locate(entry.path);
    if (!at) return undefined;
    const fd = await at.tree
      .openFile(at.relative, constants.O_RDONLY)
      .catch((error: NodeJS.ErrnoException) => {
        if (error instanceof PathRefused || error.code === 'ENOENT' || error.code === 'ENOTDIR')
          return undefined;
        throw error;
      });
    if (!fd) return undefined;
    if ((await fd.stat()).ino === entry.ino) return fd;
    await fd.close();
    return undefined;
  }

  /**
   * Stats a walked file and, when `wanted(stat)`, reads it whole (synchronously: small files only, see
   * ContainedTree.readFileSmall); undefined when its path no longer leads to that inode.
   */
  async readSmall(
    entry: Pick<TreeEntry, 'path' | 'ino'>,
    wanted: (st: Stats) => boolean,
  ): Promise<{ st: Stats; data?: Buffer } | undefined> {
    const at = this.locate(entry.path);
    if (!at) return undefined;
    const got = await at.tree.readFileSmall(at.relative, wanted).catch((error: NodeJS.ErrnoException) => {
      if (error instanceof PathRefused || error.code === 'ENOENT' || error.code === 'ENOTDIR')
        return undefined;
      throw error;
    });
    return got?.st.ino === entry.ino ? got : undefined;
  }

  close(): void {
    for (const tree of this.trees) tree.close();
  }

  private locate(path: string): { tree: ContainedTree; relative: string } | undefined {
    for (const tree of this.trees) {
      if (path === tree.root) return { tree, relative: '' };
      const prefix = tree.root === '/' ? '/' : `${tree.root}/`;
      if (path.startsWith(prefix)) return { tree, relative: path.slice(prefix.length) };
    }
    return undefined;
  }
}
