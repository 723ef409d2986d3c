/**
 * Files get their attributes once their last chunk place is written
 * (agent/restore/finished-files.ts): in batches of the given size, the rest
 * on flush, each marked once given; a failed batch fails `settled` only after
 * every batch has ended.
 */
import { describe, expect, it } from 'vitest';
import { type Countdown, FinishedFiles } from '../../../agent/restore/finished-files.js';

type File = Countdown & { name: string };

describe('FinishedFiles', () => {
  it('gives attributes in batches once a file is finished, the rest on flush', async () => {
    const given: string[][] = [];
    const finished = new FinishedFiles<File>(async (batch) => {
      given.push(batch.map((f) => f.name));
    }, 2);
    const a: File = { name: 'a', remaining: 2 };
    const b: File = { name: 'b', remaining: 1 };
    const c: File = { name: 'c', remaining: 1 };
    finished.written(a);
    expect(given).toEqual([]); // a has a place left
    finished.written(b);
    finished.written(a);
    expect(given).toEqual([['b', 'a']]);
    finished.written(c);
    expect(given).toHaveLength(1);
    finished.flush();
    await finished.settled();
    expect(given).toEqual([['b', 'a'], ['c']]);
    expect([a, b, c].every((f) => f.attributed)).toBe(true);
  });

  it('reports a failed batch once all batches have ended, and leaves its files unmarked', async () => {
    let slowDone = false;
    const finished = new FinishedFiles<File>(async (batch) => {
      if (batch[0]?.name === 'bad') throw new Error('EPERM: chmod bad');
      await new Promise((resolve) => setTimeout(resolve, 50));
      slowDone = true;
    }, 1);
    const bad: File = { name: 'bad', remaining: 1 };
    finished.written({ name: 'slow', remaining: 1 });
    finished.written(bad);
    await expect(finished.settled()).rejects.toThrow('EPERM: chmod bad');
    expect(slowDone).toBe(true);
    expect(bad.attributed).toBeUndefined();
  });
});
