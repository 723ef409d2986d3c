/**
 * The restore's flush before renaming into place (agent/restore/durable.ts): one syncfs per file
 * system through coreutils `sync -f`, and, where that cannot run, an fsync of every file. Real files
 * in a temp directory; the fallback is reached by naming a sync command that does not exist.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeDurable, startWriteback } from '../../../agent/restore/durable.js';

let dir: string;
let files: string[];

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'tm-durable-'));
  files = [];
  for (let i = 0; i < 40; i++) {
    const file = path.join(dir, `f${i}`);
    await writeFile(file, `content ${i}`);
    files.push(file);
  }
});
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('makeDurable', () => {
  it('flushes the whole file system with one `sync -f` where coreutils has it', async () => {
    expect(await makeDurable(files, [dir])).toBe('syncfs');
    // syncfs names directories, not files: a listed file that is gone does not matter to it.
    expect(await makeDurable([...files, path.join(dir, 'gone')], [dir])).toBe('syncfs');
  });

  it('falls back to an fsync of every file when `sync -f` cannot run, leaving their content as it was', async () => {
    expect(await makeDurable(files, [dir], path.join(dir, 'no-such-sync'))).toBe('fsync');
    for (const [i, file] of files.entries()) expect(await readFile(file, 'utf8')).toBe(`content ${i}`);
  });

  it('the fallback opens each listed file: one that is missing fails the flush, named', async () => {
    await expect(
      makeDurable([...files, path.join(dir, 'gone')], [dir], path.join(dir, 'no-such-sync')),
    ).rejects.toThrow(/ENOENT.*gone/);
  });

  it('has nothing to do for no files', async () => {
    expect(await makeDurable([], [dir])).toBe('nothing');
  });
});

describe('startWriteback', () => {
  it('runs `sync -f` on the directories and resolves; a sync that cannot run is not an error', async () => {
    // A stand-in sync that records its arguments, so the call itself is checked, not only its outcome.
    const fake = path.join(dir, 'fake-sync');
    const log = path.join(dir, 'fake-sync.log');
    await writeFile(fake, `#!/bin/sh\necho "$@" > ${JSON.stringify(log)}\n`, { mode: 0o755 });
    await expect(startWriteback([dir, dir], fake)).resolves.toBeUndefined();
    // One directory per file system.
    expect((await readFile(log, 'utf8')).trim()).toBe(`-f ${dir}`);
    await expect(startWriteback([dir], path.join(dir, 'no-such-sync'))).resolves.toBeUndefined();
    await expect(startWriteback([dir])).resolves.toBeUndefined();
  });
});
