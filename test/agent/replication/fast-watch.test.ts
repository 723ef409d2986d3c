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

async function watched(): Promise<{ dir: string; hints: string[][]; times: number[]; fast: FastWatch }> {
  const dir = await mkdtemp(join(tmpdir(), 'fast-watch-'));
  const hints: string[][] = [];
  const times: number[] = [];
  const fast = new FastWatch((paths) => {
    hints.push(paths);
    times.push(performance.now());
  });
  fast.add(dir);
  cleanup.push(async () => {
    fast.close();
    await rm(dir, { recursive: true, force: true });
  });
  return { dir, hints, times, fast };
}

async function until(check: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!check() && Date.now() < end) await sleep(2);
}

describe('fast-watch hints', () => {
  it('hints a written file at the start of a burst, once more when it settles, and again after a quiet spell', async () => {
    const { dir, hints, times } = await watched();
    const file = join(dir, 'a.txt');
    const seen = () => hints.flat().filter((p) => p === file).length;
    const lastHintAt = () => times[times.length - 1] ?? 0;
    await writeFile(file, 'first');
    for (let i = 0; i < 20; i++) await appendFile(file, `more ${i}\n`);
    const burstDone = performance.now();
    // A hint comes after the burst's last write (the trailing edge, or the leading hint itself
    // when a loaded machine delivers the whole burst inside its coalescing window)...
    await until(() => lastHintAt() >= burstDone);
    expect(lastHintAt()).toBeGreaterThanOrEqual(burstDone);
    // ...and 21 writes are not hinted event by event.
    expect(seen()).toBeGreaterThanOrEqual(1);
    expect(seen()).toBeLessThanOrEqual(3);
    const settled = seen();
    await sleep(150);
    expect(seen()).toBe(settled);
    await appendFile(file, 'after a pause\n');
    await until(() => seen() === settled + 1);
    expect(seen()).toBe(settled + 1);
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
