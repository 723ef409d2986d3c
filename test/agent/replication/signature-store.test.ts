/** The signature store: one append-only log, read back after a restart, torn tails and old layouts dropped. */
import { appendFile, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SignatureStore } from '../../../agent/replication/signature-store.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sigs-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const sig = (n: number) => ({
  size: n,
  mtimeMs: 1700000000000 + n / 4,
  hashes: Buffer.alloc(16 * (n % 3), n),
});

async function reopened(): Promise<SignatureStore> {
  const store = new SignatureStore(dir);
  await store.open();
  return store;
}

describe('signature store', () => {
  it('keeps every put and removal across a restart, the last per key winning', async () => {
    const store = await reopened();
    for (let i = 0; i < 1000; i++) await store.put(`1-${i}`, sig(i));
    await store.put('1-5', sig(5000));
    await store.remove('1-6');
    await store.close();
    const again = await reopened();
    expect(await again.get('1-5')).toEqual(sig(5000));
    expect(await again.get('1-6')).toBeUndefined();
    expect(await again.get('1-999')).toEqual(sig(999));
  });

  it('drops a torn tail and keeps what came before it', async () => {
    const store = await reopened();
    await store.put('1-1', sig(1));
    await store.put('1-2', sig(2));
    await store.close();
    const log = join(dir, 'log');
    const whole = await readFile(log);
    await writeFile(log, whole.subarray(0, whole.length - 3));
    await appendFile(log, Buffer.from([1, 2, 3]));
    const again = await reopened();
    expect(await again.get('1-1')).toEqual(sig(1));
    expect(await again.get('1-2')).toBeUndefined();
    // The bad tail is gone, so entries appended now are read back.
    await again.put('1-3', sig(3));
    await again.close();
    expect(await (await reopened()).get('1-3')).toEqual(sig(3));
  });

  it('rewrites a log that is mostly superseded entries', async () => {
    const store = await reopened();
    const big = { size: 1, mtimeMs: 1, hashes: Buffer.alloc(64 * 1024, 7) };
    for (let i = 0; i < 100; i++) await store.put('1-1', { ...big, size: i });
    await store.close();
    expect((await stat(join(dir, 'log'))).size).toBeLessThan(3 * 1024 * 1024);
    expect((await (await reopened()).get('1-1'))?.size).toBe(99);
  });

  it('clears the files of the one-file-per-inode layout it replaced, and clear() empties the log', async () => {
    await writeFile(join(dir, '2049-1234'), 'old');
    const store = await reopened();
    expect(await readdir(dir)).toEqual([]);
    await store.put('1-1', sig(1));
    await store.clear();
    await store.close();
    expect(await (await reopened()).get('1-1')).toBeUndefined();
  });
});
