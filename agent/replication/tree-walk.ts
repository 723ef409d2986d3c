/** Walks a root directory: every entry with what synchronization and capture compare. */
import { lstat, readdir, readlink } from 'node:fs/promises';
import { join } from 'node:path';

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

export async function entryOf(path: string): Promise<TreeEntry | undefined> {
  const st = await lstat(path).catch(() => undefined);
  if (!st) return undefined;
  const kind = st.isDirectory() ? 'dir' : st.isSymbolicLink() ? 'symlink' : st.isFile() ? 'file' : undefined;
  if (!kind) return undefined; // sockets, fifos and devices are not replicated
  return {
    path,
    kind,
    size: kind === 'file' ? st.size : 0,
    mtimeMs: st.mtimeMs,
    mode: st.mode,
    uid: st.uid,
    gid: st.gid,
    dev: st.dev,
    ino: st.ino,
    target: kind === 'symlink' ? await readlink(path).catch(() => undefined) : undefined,
  };
}

/** Every entry under `root` (the root itself included), parents before children; `skip` prunes names. */
export async function walkTree(
  root: string,
  skip: (name: string) => boolean = () => false,
): Promise<TreeEntry[]> {
  const out: TreeEntry[] = [];
  const top = await entryOf(root);
  if (!top) return out;
  out.push(top);
  const visit = async (dir: string) => {
    const names = await readdir(dir).catch(() => [] as string[]);
    for (const name of names.sort()) {
      if (skip(name)) continue;
      const e = await entryOf(join(dir, name));
      if (!e) continue;
      out.push(e);
      if (e.kind === 'dir') await visit(e.path);
    }
  };
  if (top.kind === 'dir') await visit(root);
  return out;
}
