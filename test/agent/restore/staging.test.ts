/**
 * Where a restore stages its output (agent/restore/staging.ts), on real
 * folders: a new folder is staged whole under a hidden name beside it; in an
 * existing folder, new and existing files are each their own anchor; an
 * existing folder is written in place.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Staging } from '../../../agent/restore/staging.js';

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'tm-staging-'));
  await mkdir(path.join(dir, 'live', 'docs'), { recursive: true });
  await writeFile(path.join(dir, 'live', 'docs', 'old.txt'), 'old');
});
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

const file = (dest: string) => ({ dest, directory: false });
const folder = (dest: string) => ({ dest, directory: true });

describe('Staging', () => {
  it('stages a new folder whole, beside it, and renames only that folder', async () => {
    const root = path.join(dir, 'new');
    const staging = new Staging([dir]);
    await staging.plan([folder(root), folder(path.join(root, 'a')), file(path.join(root, 'a', 'x'))]);
    const [[staged, final]] = staging.folderAnchors() as [[string, string]];
    expect(final).toBe(root);
    expect(path.dirname(staged)).toBe(dir);
    expect(path.basename(staged)).toMatch(/^\.new\.tidemark-[0-9a-f]{12}0$/);
    expect(staging.staged(path.join(root, 'a', 'x'))).toBe(path.join(staged, 'a', 'x'));
    expect(staging.ownAnchor(path.join(root, 'a', 'x'))).toBe(false);
    expect(staging.stagingPaths()).toEqual([staged]);
  });

  it('in an existing folder, renames each file on its own and stages each new subfolder whole', async () => {
    const live = path.join(dir, 'live');
    const docs = path.join(live, 'docs');
    const staging = new Staging([dir]);
    await staging.plan([
      folder(live),
      folder(docs),
      file(path.join(docs, 'old.txt')),
      file(path.join(docs, 'new.txt')),
      folder(path.join(docs, 'sub')),
      file(path.join(docs, 'sub', 'deep.txt')),
    ]);
    // Existing folders are written in place.
    expect(staging.staged(docs)).toBe(docs);
    for (const name of ['old.txt', 'new.txt']) {
      const dest = path.join(docs, name);
      expect(staging.ownAnchor(dest)).toBe(true);
      expect(path.dirname(staging.staged(dest))).toBe(docs);
      expect(path.basename(staging.staged(dest))).toMatch(
        new RegExp(`^\\.${name.replace('.', '\\.')}\\.tidemark-`),
      );
    }
    const anchors = staging.folderAnchors();
    expect(anchors.map(([, final]) => final)).toEqual([path.join(docs, 'sub')]);
    expect(staging.staged(path.join(docs, 'sub', 'deep.txt'))).toBe(
      path.join((anchors[0] as [string, string])[0], 'deep.txt'),
    );
    // Staging names are all different.
    expect(new Set(staging.stagingPaths()).size).toBe(3);
  });
});
