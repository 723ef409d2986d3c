/** Backup reads leave a file's access time alone (O_NOATIME), where a plain read moves it. */
import { closeSync, readSync } from 'node:fs';
import { mkdtemp, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { openToRead, openToReadSync } from '../../../agent/backup/open-to-read.js';

let work: string;
beforeAll(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'tm-noatime-'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

/** A file whose atime is an hour before its mtime: under relatime, the next plain read moves it. */
async function staleFile(name: string): Promise<{ file: string; atimeMs: number }> {
  const file = path.join(work, name);
  await writeFile(file, 'some content\n');
  const { mtime } = await stat(file);
  await utimes(file, new Date(mtime.getTime() - 3600_000), mtime);
  return { file, atimeMs: (await stat(file)).atimeMs };
}

it('reads without moving the access time, async and sync, where a plain read moves it', async () => {
  const plain = await staleFile('plain.txt');
  await readFile(plain.file);
  // The control: this file system does update atime on read (relatime), so the test below can fail.
  expect((await stat(plain.file)).atimeMs).toBeGreaterThan(plain.atimeMs);

  const asyncRead = await staleFile('async.txt');
  const handle = await openToRead(asyncRead.file);
  expect((await handle.read(Buffer.alloc(64), 0, 64, 0)).bytesRead).toBe(13);
  await handle.close();
  expect((await stat(asyncRead.file)).atimeMs).toBe(asyncRead.atimeMs);

  const syncRead = await staleFile('sync.txt');
  const fd = openToReadSync(syncRead.file);
  expect(readSync(fd, Buffer.alloc(64), 0, 64, 0)).toBe(13);
  closeSync(fd);
  expect((await stat(syncRead.file)).atimeMs).toBe(syncRead.atimeMs);
});
