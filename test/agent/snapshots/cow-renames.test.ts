/**
 * Copy-on-write snapshots through renames, hard links and a restart, driven
 * in the order the replica's apply path calls the hooks (source and target
 * of a rename both get `beforeRemove`, then the rename). Nothing else
 * applies at the same time here, so the gate pauses nothing (a stand-in,
 * said plainly); the concurrent case is in cow-snapshots.test.ts.
 */
import { appendFile, link, mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SnapshotView } from '../../../agent/backup/snapshot-view.js';
import { CowSnapshots } from '../../../agent/snapshots/cow-snapshots.js';

const gate = { pause: async () => ({ release() {} }) };
let work: string;
let live: string;
let diff: string;

async function content(view: SnapshotView, file: string): Promise<string> {
  const stat = await view.lstat(file);
  const buffer = Buffer.alloc(stat.size);
  const n = await view.read(file, buffer, 0, stat.size);
  return buffer.subarray(0, n).toString();
}

async function names(view: SnapshotView, dir: string): Promise<string[]> {
  return (await view.readdir(dir)).sort();
}

beforeAll(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'tm-cow-renames-'));
  live = path.join(work, 'replica');
  diff = path.join(work, 'diff');
  await mkdir(path.join(live, 'docs', 'sub'), { recursive: true });
  await writeFile(path.join(live, 'a.txt'), 'old a');
  await writeFile(path.join(live, 'b.txt'), 'old b');
  await writeFile(path.join(live, 'docs', 'one.txt'), 'one');
  await writeFile(path.join(live, 'docs', 'sub', 'two.txt'), 'two');
  await writeFile(path.join(live, 'linked.txt'), 'linked');
});
afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

describe('copy-on-write snapshots and renames', () => {
  let snapshots: CowSnapshots;
  let id: string;

  it('keep a renamed file at its old name and the file it replaced, with their old bytes', async () => {
    snapshots = new CowSnapshots({ liveRoot: live, diffRoot: diff, gate });
    id = (await snapshots.take('scn')).id;
    // a.txt is renamed onto b.txt: the apply path reports the source and the target, then renames.
    await snapshots.beforeRemove(path.join(live, 'a.txt'));
    await snapshots.beforeRemove(path.join(live, 'b.txt'));
    await rename(path.join(live, 'a.txt'), path.join(live, 'b.txt'));
    // and then writes the file under its new name
    await snapshots.beforeOverwrite(path.join(live, 'b.txt'), 0, 5);
    await writeFile(path.join(live, 'b.txt'), 'new b');

    const view = await snapshots.view(id);
    expect(await content(view, path.join(live, 'a.txt'))).toBe('old a');
    expect(await content(view, path.join(live, 'b.txt'))).toBe('old b');
    expect(await readFile(path.join(live, 'b.txt'), 'utf8')).toBe('new b');
  });

  it('keep a renamed directory with its whole tree at the old name, and do not show the new name', async () => {
    await snapshots.beforeRemove(path.join(live, 'docs'));
    await rename(path.join(live, 'docs'), path.join(live, 'papers'));
    await snapshots.beforeOverwrite(path.join(live, 'papers', 'sub', 'two.txt'), 0, 3);
    await writeFile(path.join(live, 'papers', 'sub', 'two.txt'), 'TWO');

    const view = await snapshots.view(id);
    expect(await names(view, live)).toEqual(['a.txt', 'b.txt', 'docs', 'linked.txt']);
    expect(await names(view, path.join(live, 'docs'))).toEqual(['one.txt', 'sub']);
    expect(await content(view, path.join(live, 'docs', 'one.txt'))).toBe('one');
    expect(await content(view, path.join(live, 'docs', 'sub', 'two.txt'))).toBe('two');
    await expect(view.lstat(path.join(live, 'papers'))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('still show a file that got a new hard link after the snapshot', async () => {
    await link(path.join(live, 'linked.txt'), path.join(live, 'second-name.txt'));
    const view = await snapshots.view(id);
    expect((await view.lstat(path.join(live, 'linked.txt'))).type).toBe('file');
    expect(await content(view, path.join(live, 'linked.txt'))).toBe('linked');
  });

  it('come back whole from their fsynced journal after a restart, ignoring a torn last line', async () => {
    const journal = path.join(diff, id, 'journal.jsonl');
    await appendFile(journal, '{"path":"/torn'); // a crash in the middle of an append
    const reloaded = new CowSnapshots({ liveRoot: live, diffRoot: diff, gate });
    await reloaded.load();
    expect((await reloaded.list('scn')).map((s) => s.id)).toEqual([id]);
    const view = await reloaded.view(id);
    expect(await content(view, path.join(live, 'a.txt'))).toBe('old a');
    expect(await content(view, path.join(live, 'b.txt'))).toBe('old b');
    expect(await content(view, path.join(live, 'docs', 'sub', 'two.txt'))).toBe('two');
    await expect(view.lstat(path.join(live, 'papers'))).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
