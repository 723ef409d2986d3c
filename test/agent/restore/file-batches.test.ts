/**
 * The restore's per-file calls in batches (agent/restore/file-batches.ts), on real files: batches
 * keep a directory together, temp files are created and sized, then given their attributes and
 * renamed into place; a failing call fails the batch with the path named.
 */
import { mkdir, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { byDirectory, createFiles, placeFiles } from '../../../agent/restore/file-batches.js';

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'tm-batches-'));
});
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('byDirectory', () => {
  it('puts each directory in one batch and spreads directories over the batches', () => {
    const paths = ['/a/1', '/b/1', '/a/2', '/c/1', '/b/2', '/a/3', '/d/1'];
    const batches = byDirectory(paths, (p) => p, 2);
    expect(batches).toHaveLength(2);
    expect(batches.flat().sort()).toEqual([...paths].sort());
    for (const d of ['/a', '/b', '/c', '/d'])
      expect(batches.filter((b) => b.some((p) => path.dirname(p) === d))).toHaveLength(1);
    expect(Math.abs((batches[0]?.length ?? 0) - (batches[1]?.length ?? 0))).toBeLessThanOrEqual(2);
    expect(byDirectory([], (p: string) => p, 2)).toEqual([]);
  });
});

describe('createFiles and placeFiles', () => {
  it('creates temp files (sized where asked), then sets mode and times and renames them', async () => {
    await mkdir(path.join(dir, 'x'));
    const temp = (n: string) => path.join(dir, 'x', `.${n}.tmp`);
    createFiles([
      [temp('sparse'), 5 * 1024 * 1024],
      [temp('empty'), 0],
    ]);
    expect((await stat(temp('sparse'))).size).toBe(5 * 1024 * 1024);
    expect((await stat(temp('sparse'))).blocks).toBeLessThan(64); // a hole, not written zeros
    expect((await stat(temp('empty'))).size).toBe(0);

    const mtimeMs = Date.UTC(2020, 0, 2, 3, 4, 5);
    const attributes = { type: 'file' as const, uid: 0, gid: 0, mode: 0o640, atimeMs: mtimeMs, mtimeMs };
    placeFiles([
      [temp('sparse'), path.join(dir, 'x', 'sparse'), attributes],
      [temp('empty'), path.join(dir, 'x', 'empty'), { ...attributes, mode: 0o604 }],
    ]);
    const sparse = await stat(path.join(dir, 'x', 'sparse'));
    expect(sparse.mode & 0o7777).toBe(0o640);
    expect(sparse.mtimeMs).toBe(mtimeMs);
    expect((await stat(path.join(dir, 'x', 'empty'))).mode & 0o7777).toBe(0o604);
    expect(await readFile(path.join(dir, 'x', 'empty'), 'utf8')).toBe('');
    await expect(stat(temp('sparse'))).rejects.toThrow(/ENOENT/);
  });

  it('fails with the path named when a call fails', () => {
    const missing = path.join(dir, 'no-such-dir', '.f.tmp');
    expect(() => createFiles([[missing, 0]])).toThrow(missing);
  });
});
