/**
 * A tricky tree for round trips, and a comparison of two trees that checks
 * every byte and attribute the backup promises to keep.
 */
import { createHash, randomBytes } from 'node:crypto';
import {
  chmod,
  chown,
  link,
  lstat,
  mkdir,
  open,
  readdir,
  readlink,
  symlink,
  utimes,
  writeFile,
} from 'node:fs/promises';
import path from 'node:path';

export const GiB = 1024 ** 3;

export async function makeTrickyTree(root: string, options: { sparseSize?: number } = {}): Promise<void> {
  await mkdir(root, { recursive: true });
  await writeFile(path.join(root, 'ünïcödé файл 名前.txt'), 'unicode name\n');
  await mkdir(path.join(root, 'dir with spaces', 'empty dir'), { recursive: true });
  await writeFile(path.join(root, 'dir with spaces', 'a b c.txt'), 'spaces\n'.repeat(1000));
  await writeFile(path.join(root, 'empty-file'), '');
  await writeFile(path.join(root, 'random.bin'), randomBytes(3 * 1024 * 1024 + 17));
  await writeFile(
    path.join(root, 'text.log'),
    Array.from({ length: 60_000 }, (_, i) => `line ${i} status=ok\n`).join(''),
  );
  // Sparse: data at the start, the middle and the end of a multi-GiB file.
  const sparse = await open(path.join(root, 'sparse.img'), 'w');
  const size = options.sparseSize ?? 3 * GiB;
  await sparse.write(randomBytes(100_000), 0, 100_000, 0);
  await sparse.write(randomBytes(70_000), 0, 70_000, Math.floor(size / 2));
  await sparse.truncate(size);
  await sparse.write(Buffer.from('tail'), 0, 4, size - 4);
  await sparse.close();
  await symlink('random.bin', path.join(root, 'link-to-file'));
  await symlink('does/not/exist', path.join(root, 'dangling-link'));
  await symlink('dir with spaces', path.join(root, 'link-to-dir'));
  await writeFile(path.join(root, 'hard-1'), 'hard linked content\n');
  await link(path.join(root, 'hard-1'), path.join(root, 'dir with spaces', 'hard-2'));
  let deep = root;
  for (let i = 0; i < 40; i++) deep = path.join(deep, `level-${i}`);
  await mkdir(deep, { recursive: true });
  await writeFile(path.join(deep, 'deep.txt'), 'deep\n');
  await writeFile(path.join(root, 'setuid-ish'), '#!/bin/sh\n');
  await chmod(path.join(root, 'setuid-ish'), 0o4751);
  await writeFile(path.join(root, 'no-perms'), 'secret\n');
  await chmod(path.join(root, 'no-perms'), 0o000);
  await mkdir(path.join(root, 'sticky'));
  await chmod(path.join(root, 'sticky'), 0o1777);
  await writeFile(path.join(root, 'owned-by-1234'), 'x');
  await chown(path.join(root, 'owned-by-1234'), 1234, 5678);
  await utimes(
    path.join(root, 'text.log'),
    new Date('2001-02-03T04:05:06.789Z'),
    new Date('2002-03-04T05:06:07.891Z'),
  );
}

export interface TreeEntry {
  path: string;
  type: string;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  mtimeMs: number;
  digest?: string;
  target?: string;
  /** Paths sharing an inode, sorted, for hard-link checks. */
  linkGroup?: string;
  allocatedBytes?: number;
}

/** Every entry under root (excluding root itself), with content digests. */
export async function describeTree(root: string): Promise<TreeEntry[]> {
  const out: TreeEntry[] = [];
  const inodes = new Map<number, string[]>();
  const walk = async (dir: string) => {
    for (const name of (await readdir(dir)).sort()) {
      const full = path.join(dir, name);
      const rel = path.relative(root, full);
      const info = await lstat(full);
      const entry: TreeEntry = {
        path: rel,
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
        size: info.isFile() ? info.size : 0,
        mtimeMs: info.isDirectory() ? 0 : Math.floor(info.mtimeMs),
      };
      if (info.isFile()) {
        entry.digest = await digestFile(full);
        entry.allocatedBytes = info.blocks * 512;
        const group = inodes.get(info.ino) ?? [];
        group.push(rel);
        inodes.set(info.ino, group);
      }
      if (info.isSymbolicLink()) entry.target = await readlink(full);
      out.push(entry);
      if (info.isDirectory()) await walk(full);
    }
  };
  await walk(root);
  for (const entry of out) {
    const group = [...inodes.values()].find((g) => g.includes(entry.path));
    if (group && group.length > 1) entry.linkGroup = [...group].sort().join('|');
  }
  return out;
}

async function digestFile(file: string): Promise<string> {
  const hash = createHash('sha256');
  const handle = await open(file, 'r');
  const buffer = Buffer.allocUnsafe(8 * 1024 * 1024);
  try {
    for (;;) {
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, null);
      if (bytesRead === 0) break;
      hash.update(buffer.subarray(0, bytesRead));
    }
  } finally {
    await handle.close();
  }
  return hash.digest('hex');
}
