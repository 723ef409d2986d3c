/**
 * FastWatch on a real directory (inotify through fs.watch): a change is
 * hinted once per burst, again after a quiet spell, and not at all once
 * the directory is no longer watched.
 */
import { appendFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FastWatch } from '../../../agent/replication/fast-watch.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
});

async function watched(): Promise<{ dir: string; hints: string[][]; fast: FastWatch }> {
  const dir = await mkdtemp(join(tmpdir(), 'fast-watch-'));
  const hints: string[][] = [];
  const fast = new FastWatch((paths) => hints.push(paths));
  fast.add(dir);
  cleanup.push(async () => {
    fast.close();
    await rm(dir, { recursive: true, force: true });
  });
  return { dir, hints, fast };
}

async function until(check: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!check() && Date.now() < end) await sleep(2);
}

describe('fast-watch hints', () => {
  it('hints a written file once per burst, and again after a quiet spell', async () => {
    const { dir, hints } = await watched();
    const file = join(dir, 'a.txt');
    await writeFile(file, 'first');
    for (let i = 0; i < 20; i++) await appendFile(file, `more ${i}\n`);
    await until(() => hints.length > 0);
    await sleep(60);
    // The burst's later events are left to @parcel/watcher: one hint for the path.
    expect(hints.flat().filter((p) => p === file)).toEqual([file]);
    await sleep(150);
    await appendFile(file, 'after a pause\n');
    await until(() => hints.flat().filter((p) => p === file).length === 2);
    expect(hints.flat().filter((p) => p === file)).toHaveLength(2);
  });

  it('hints nothing from a directory it no longer watches', async () => {
    const { dir, hints, fast } = await watched();
    fast.remove(dir);
    await writeFile(join(dir, 'b.txt'), 'unseen');
    await sleep(100);
    expect(hints).toEqual([]);
  });
});
