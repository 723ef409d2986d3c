/**
 * Walks a tree: every entry with what synchronization and capture compare.
 * The walk goes through a ContainedTree, so it never follows a symlink
 * below the tree's root; a directory swapped for a symlink while the walk
 * runs is not entered.
 */
import { lstat } from 'node:fs/promises';
import { ContainedTree, PathRefused } from '../fs/contained-tree.js';

export interface TreeEntry {
  path: string;
  kind: 'file' | 'dir' | 'symlink';
  size: number;
  mtimeMs: number;
  mode: number;
  uid: number;
  gid: number;
  dev: number;
  ino: number;
  target?: string;
}

/** Gone, or reachable only through a symlink: either way not an entry of the tree. */
function absent(error: unknown): undefined {
  const code = (error as NodeJS.ErrnoException).code;
  if (error instanceof PathRefused || code === 'ENOENT' || code === 'ENOTDIR') return undefined;
  throw error;
}

/** The entry at `relative` in `tree` (its `path` absolute), or undefined. */
export async function entryIn(tree: ContainedTree, relative: string): Promise<TreeEntry | undefined> {
  const st = await tree.lstat(relative).catch(absent);
  if (!st) return undefined;
  const kind = st.isDirectory() ? 'dir' : st.isSymbolicLink() ? 'symlink' : st.isFile() ? 'file' : undefined;
  if (!kind) return undefined; // sockets, fifos and devices are not replicated
  return {
    path: tree.absolute(relative),
    kind,
    size: kind === 'file' ? st.size : 0,
    mtimeMs: st.mtimeMs,
    mode: st.mode,
    uid: st.uid,
    gid: st.gid,
    dev: st.dev,
    ino: st.ino,
    target: kind === 'symlink' ? await tree.readlink(relative).catch(() => undefined) : undefined,
  };
}

/** Every entry at and under `relative`, parents before children; `skip` prunes names. */
export async function walkIn(
  tree: ContainedTree,
  relative: string,
  skip: (name: string) => boolean = () => false,
): Promise<TreeEntry[]> {
  const out: TreeEntry[] = [];
  const top = await entryIn(tree, relative);
  if (!top) return out;
  out.push(top);
  const visit = async (dir: string) => {
    const names = await tree.readdir(dir).catch(() => [] as string[]);
    for (const name of names.sort()) {
      if (skip(name)) continue;
      const child = dir === '' ? name : `${dir}/${name}`;
      const e = await entryIn(tree, child);
      if (!e) continue;
      out.push(e);
      if (e.kind === 'dir') await visit(child);
    }
  };
  if (top.kind === 'dir') await visit(relative);
  return out;
}

/** Every entry under a trusted `root` (the root itself included; a root that is a symlink is not entered). */
export async function walkTree(root: string, skip?: (name: string) => boolean): Promise<TreeEntry[]> {
  const st = await lstat(root).catch(() => undefined);
  if (!st?.isDirectory()) {
    const parent = root.slice(0, root.lastIndexOf('/')) || '/';
    const tree = await ContainedTree.open(parent).catch(() => undefined);
    if (!tree) return [];
    try {
      const top = await entryIn(tree, root.slice(parent.length + (parent === '/' ? 0 : 1)));
      return top ? [top] : [];
    } finally {
      tree.close();
    }
  }
  const tree = await ContainedTree.open(root);
  try {
    return await walkIn(tree, '', skip);
  } finally {
    tree.close();
  }
}
