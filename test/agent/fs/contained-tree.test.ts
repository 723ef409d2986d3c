/**
 * ContainedTree against the attacks it exists for: symlinks planted on the
 * way or at the leaf, swapped in after a directory was walked and kept, and
 * names with `..`. Each attack points at a folder outside the tree, and each
 * test checks that folder afterwards.
 */
import { constants } from 'node:fs';
import {
  chmod,
  lstat,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  rename,
  rm,
  stat,
  symlink,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { absoluteComponents, ContainedTree, PathRefused } from '../../../agent/fs/contained-tree.js';

let base: string;
let root: string;
let outside: string;
let tree: ContainedTree;

beforeEach(async () => {
  base = await mkdtemp(join(tmpdir(), 'tidemark-tree-'));
  root = join(base, 'tree');
  outside = join(base, 'outside');
  await mkdir(root);
  await mkdir(outside);
  await writeFile(join(outside, 'secret'), 'secret');
  await chmod(join(outside, 'secret'), 0o600);
  tree = await ContainedTree.open(root);
});

afterEach(async () => {
  tree.close();
  await rm(base, { recursive: true, force: true });
});

async function outsideUnchanged(): Promise<void> {
  expect(await readdir(outside)).toEqual(['secret']);
  expect(await readFile(join(outside, 'secret'), 'utf8')).toBe('secret');
  expect((await stat(join(outside, 'secret'))).mode & 0o7777).toBe(0o600);
  expect((await stat(outside)).mode & 0o7777).not.toBe(0o777);
}

const refused = (what: RegExp) =>
  expect.objectContaining({ name: 'PathRefused', message: expect.stringMatching(what) });

describe('ContainedTree', () => {
  it('refuses to walk through a symlinked directory, for every operation', async () => {
    await symlink(outside, join(root, 'link'));
    const through = /link is a symlink, where a directory is needed/;
    await expect(tree.openFile('link/secret', constants.O_RDWR)).rejects.toEqual(refused(through));
    await expect(tree.openFile('link/new', constants.O_WRONLY | constants.O_CREAT)).rejects.toEqual(
      refused(through),
    );
    await expect(tree.mkdirs('link/a/b')).rejects.toEqual(refused(through));
    await expect(tree.truncate('link/secret', 0)).rejects.toEqual(refused(through));
    await expect(tree.setAttributes('link/secret', { mode: 0o777, uid: 0, gid: 0 })).rejects.toEqual(
      refused(through),
    );
    await expect(tree.symlink('/etc/passwd', 'link/planted')).rejects.toEqual(refused(through));
    await expect(tree.readdir('link')).rejects.toEqual(refused(through));
    await expect(tree.lstat('link/secret')).rejects.toEqual(refused(through));
    await writeFile(join(root, 'mine'), 'mine');
    await expect(tree.rename('mine', 'link/mine')).rejects.toEqual(refused(through));
    await expect(tree.link('mine', 'link/mine')).rejects.toEqual(refused(through));
    await expect(tree.unlink('link/secret')).rejects.toEqual(refused(through));
    await outsideUnchanged();
  });

  it('never follows a symlink at the leaf: open and truncate refuse, attributes go to the link itself', async () => {
    await symlink(join(outside, 'secret'), join(root, 'leaf'));
    await expect(tree.openFile('leaf', constants.O_RDWR)).rejects.toEqual(refused(/leaf is a symlink/));
    await expect(tree.openFile('leaf', constants.O_RDONLY)).rejects.toEqual(refused(/leaf is a symlink/));
    await expect(tree.truncate('leaf', 0)).rejects.toEqual(refused(/leaf is a symlink/));
    await tree.setAttributes('leaf', {
      mode: 0o777,
      mtimeMs: 1_000_000,
      uid: process.getuid?.(),
      gid: process.getgid?.(),
    });
    expect((await lstat(join(root, 'leaf'))).mtimeMs).toBe(1_000_000);
    // mkdir over a symlink fails on the name; rename and unlink replace or remove the link, not its target.
    await expect(tree.mkdir('leaf')).rejects.toMatchObject({ code: 'EEXIST' });
    await writeFile(join(root, 'file'), 'in the tree');
    await tree.rename('file', 'leaf');
    expect(await readFile(join(root, 'leaf'), 'utf8')).toBe('in the tree');
    await outsideUnchanged();
  });

  it('refuses a directory swapped for a symlink after it was walked and kept', async () => {
    await tree.mkdirs('a/b');
    const fd = await tree.openFile('a/b/file', constants.O_WRONLY | constants.O_CREAT);
    await fd.close();
    // a/b is held now. Move it away and put a symlink to the outside in its place.
    await rename(join(root, 'a/b'), join(root, 'moved'));
    await symlink(outside, join(root, 'a/b'));
    await expect(tree.openFile('a/b/secret', constants.O_RDWR)).rejects.toEqual(refused(/a\/b is a symlink/));
    await expect(tree.setAttributes('a/b', { mode: 0o777 })).resolves.toBeUndefined();
    expect((await lstat(join(root, 'a/b'))).isSymbolicLink()).toBe(true);
    // And the same one level up: the held a is replaced by a symlink to a folder holding b.
    await rm(join(root, 'a'), { recursive: true });
    await mkdir(join(outside, 'b'));
    await symlink(outside, join(root, 'a'));
    await expect(tree.openFile('a/b/new', constants.O_WRONLY | constants.O_CREAT)).rejects.toEqual(
      refused(/a is a symlink/),
    );
    expect(await readdir(join(outside, 'b'))).toEqual([]);
    await rm(join(outside, 'b'), { recursive: true });
    await outsideUnchanged();
  });

  it('refuses names that could leave the tree or alias another', async () => {
    for (const bad of ['../outside/secret', 'a/../../outside', 'a//b', './a', 'a/.', 'a\0b', '/abs'])
      await expect(tree.openFile(bad, constants.O_RDONLY)).rejects.toBeInstanceOf(PathRefused);
    expect(() => absoluteComponents('relative')).toThrow(/is not absolute/);
    expect(() => absoluteComponents('/srv/../etc')).toThrow(/component/);
    expect(absoluteComponents('/')).toEqual([]);
    expect(absoluteComponents('/srv/share')).toEqual(['srv', 'share']);
    await outsideUnchanged();
  });

  it('creates directories one level at a time, works through renames, and sees a root made anew', async () => {
    await tree.mkdirs('x/y/z', 0o750);
    expect((await stat(join(root, 'x/y/z'))).isDirectory()).toBe(true);
    const fd = await tree.openFile('x/y/z/f', constants.O_WRONLY | constants.O_CREAT, 0o640);
    await fd.write(Buffer.from('data'));
    await fd.close();
    await tree.rename('x/y', 'x/w');
    expect(await readFile(join(root, 'x/w/z/f'), 'utf8')).toBe('data');
    // A directory renamed behind the tree's back is found at its new name, not used at the old.
    await rename(join(root, 'x/w'), join(root, 'x/v'));
    await tree.mkdirs('x/w');
    expect(await tree.readdir('x/w')).toEqual([]);
    expect(await tree.lstat('x/w/z/f')).toBeUndefined();
    expect((await tree.lstat('x/v/z/f'))?.size).toBe(4);
    // The root itself removed and made again: the new one is used.
    await rm(root, { recursive: true });
    await mkdir(root);
    await tree.mkdirs('again');
    expect(await readdir(root)).toEqual(['again']);
    await outsideUnchanged();
  });

  it('sets owner, mode and times on a file it cannot read', async () => {
    await writeFile(join(root, 'write-only'), 'x');
    await chmod(join(root, 'write-only'), 0o200);
    await tree.setAttributes(
      'write-only',
      { mode: 0o4640, mtimeMs: 2_000_000, uid: process.getuid?.(), gid: process.getgid?.() },
      'try',
    );
    const st = await stat(join(root, 'write-only'));
    expect(st.mode & 0o7777).toBe(0o4640);
    expect(st.mtimeMs).toBe(2_000_000);
  });
});
