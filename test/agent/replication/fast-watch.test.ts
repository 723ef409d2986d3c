/**
 * FastWatch on a real directory (inotify through fs.watch): a change is
 * hinted at the start of a burst and once more when it settles (or every
 * second while it does not), again after a quiet spell, and not at all
 * once the directory is no longer watched.
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
  it('hints a written file at the start of a burst, once more when it settles, and again after a quiet spell', async () => {
    const { dir, hints } = await watched();
    const file = join(dir, 'a.txt');
    const seen = () => hints.flat().filter((p) => p === file).length;
    await writeFile(file, 'first');
    for (let i = 0; i < 20; i++) await appendFile(file, `more ${i}\n`);
    await until(() => seen() > 0);
    // The rest of the burst is not hinted event by event...
    expect(seen()).toBe(1);
    // ...but once, when it settles (@parcel/watcher may have stopped reporting: see fast-watch.ts).
    await until(() => seen() === 2);
    expect(seen()).toBe(2);
    await sleep(150);
    expect(seen()).toBe(2);
    await appendFile(file, 'after a pause\n');
    await until(() => seen() === 3);
    expect(seen()).toBe(3);
  });

  it('passes on a burst that never settles at least once a second', async () => {
    const { dir, hints } = await watched();
    const file = join(dir, 'log.txt');
    const seen = () => hints.flat().filter((p) => p === file).length;
    const started = Date.now();
    await writeFile(file, 'start\n');
    while (Date.now() - started < 2500) {
      await appendFile(file, 'line\n');
      await sleep(20);
    }
    // A leading hint, then the trailing edge forced out at least twice in 2.5 s of writes 20 ms apart.
    expect(seen()).toBeGreaterThanOrEqual(3);
  });

  it('hints nothing from a directory it no longer watches', async () => {
    const { dir, hints, fast } = await watched();
    fast.remove(dir);
    await writeFile(join(dir, 'b.txt'), 'unseen');
    await sleep(100);
    expect(hints).toEqual([]);
  });
});
