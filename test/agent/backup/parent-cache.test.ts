/**
 * The parent-manifest cache: an unchanged file is taken from the previous
 * session without being read, and a file rewritten with its size and mtime
 * put back (ctime still moves) is read again. Local-directory repository,
 * key wrapped by moto's KMS over HTTP.
 */
import { mkdir, mkdtemp, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBackup } from '../../../agent/backup/backup.js';
import { DirectoryView } from '../../../agent/backup/directory-view.js';
import { KmsKeyWrapper } from '../../../agent/backup/key-wrapper.js';
import { initRepository } from '../../../agent/backup/repository.js';
import { LocalDirectoryStorage } from '../../../agent/backup/storage-local.js';
import { runRestore } from '../../../agent/restore/restore.js';
import { startTestCloud, type TestCloud } from './cloud.js';

let cloud: TestCloud;
let work: string;

beforeAll(async () => {
  cloud = await startTestCloud();
  work = await mkdtemp(path.join(tmpdir(), 'tm-parent-'));
});
afterAll(async () => {
  await cloud?.moto.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

describe('parent cache', () => {
  it('skips unchanged files and still reads a file whose size and mtime were put back', async () => {
    const source = path.join(work, 'data');
    await mkdir(source, { recursive: true });
    for (let i = 0; i < 20; i++)
      await writeFile(path.join(source, `f${i}.txt`), `content ${i}\n`.repeat(500));
    const repo = await initRepository(
      new LocalDirectoryStorage(path.join(work, 'repo')),
      new KmsKeyWrapper(cloud.kmsKeyId),
    );
    const backup = () =>
      runBackup({
        repo,
        view: new DirectoryView(),
        sources: [{ viewPath: source, masterPath: '/data' }],
        masterHost: 'master-1',
      });
    const file = path.join(source, 'f7.txt');
    await utimes(file, 1_700_000_000, 1_700_000_000); // whole seconds, so they can be put back exactly
    const first = await backup();
    expect(first.manifest.parent).toBeUndefined();

    // Same size, same mtime, different bytes: only ctime tells.
    const before = await stat(file);
    await writeFile(file, (await readFile(file, 'utf8')).replace('content 7', 'CONTENT 7'));
    await utimes(file, 1_700_000_000, 1_700_000_000);
    expect((await stat(file)).mtimeMs).toBe(before.mtimeMs);

    const second = await backup();
    expect(second.manifest.parent).toBe(first.session);
    const extentsOf = (m: typeof first.manifest, p: string) => m.entries.find((e) => e.path === p)?.extents;
    expect(extentsOf(second.manifest, '/data/f3.txt')).toEqual(extentsOf(first.manifest, '/data/f3.txt'));
    expect(extentsOf(second.manifest, '/data/f7.txt')).not.toEqual(extentsOf(first.manifest, '/data/f7.txt'));
    expect(second.manifest.stats.newChunks).toBe(1);

    const dest = path.join(work, 'restored');
    await runRestore({ repo, session: second.session, destination: dest, stripPrefix: '/data' });
    expect(await readFile(path.join(dest, 'f7.txt'), 'utf8')).toContain('CONTENT 7');
    expect(await readFile(path.join(dest, 'f3.txt'), 'utf8')).toBe('content 3\n'.repeat(500));
  });
});
