/** Restore options against moto S3: partial restore, held-open files written as .TMP, and packs in GLACIER reported. */
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBackup } from '../../../agent/backup/backup.js';
import { DirectoryView } from '../../../agent/backup/directory-view.js';
import { KmsKeyWrapper } from '../../../agent/backup/key-wrapper.js';
import { initRepository, type Repository } from '../../../agent/backup/repository.js';
import { S3Storage } from '../../../agent/backup/storage-s3.js';
import { runRestore } from '../../../agent/restore/restore.js';
import { ageDataPacks, startTestCloud, type TestCloud } from './cloud.js';

let cloud: TestCloud;
let work: string;
let repo: Repository;
let session: string;

beforeAll(async () => {
  cloud = await startTestCloud();
  work = await mkdtemp(path.join(tmpdir(), 'tm-restore-'));
  const source = path.join(work, 'replica', 'srv');
  await mkdir(path.join(source, 'a'), { recursive: true });
  await mkdir(path.join(source, 'b'), { recursive: true });
  await writeFile(path.join(source, 'a', 'one.txt'), 'one\n');
  await writeFile(path.join(source, 'a', 'db.mdf'), 'database pages\n');
  await writeFile(path.join(source, 'b', 'two.txt'), 'two\n');
  repo = await initRepository(
    new S3Storage({ bucket: cloud.bucket, repo: 'options' }),
    new KmsKeyWrapper(cloud.kmsKeyId),
  );
  ({ session } = await runBackup({
    repo,
    view: new DirectoryView(),
    sources: [{ viewPath: source, masterPath: '/srv' }],
    masterHost: 'master-1',
  }));
});
afterAll(async () => {
  await cloud?.moto.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

describe('restore options', () => {
  it('restores only the paths asked for, and writes held-open files beside the original as .TMP', async () => {
    const dest = path.join(work, 'partial');
    const held = path.join(dest, 'a', 'db.mdf');
    await mkdir(path.dirname(held), { recursive: true });
    await writeFile(held, 'the live file the application holds\n');
    const result = await runRestore({
      repo,
      session,
      destination: dest,
      stripPrefix: '/srv',
      paths: ['/srv/a'],
      heldOpen: new Set([held]),
    });
    expect(result.writtenBeside).toEqual([{ path: held, writtenAs: `${held}.TMP` }]);
    expect(await readFile(held, 'utf8')).toBe('the live file the application holds\n');
    expect(await readFile(`${held}.TMP`, 'utf8')).toBe('database pages\n');
    expect(await readFile(path.join(dest, 'a', 'one.txt'), 'utf8')).toBe('one\n');
    expect((await readdir(dest)).sort()).toEqual(['a']);
  });

  it('reports a path that is not in the session by name', async () => {
    await expect(
      runRestore({ repo, session, destination: path.join(work, 'x'), paths: ['/srv/nope'] }),
    ).rejects.toThrow('not in this session: /srv/nope');
  });

  it('reports packs in GLACIER as needing retrieval and writes nothing', async () => {
    const { moved, kept } = await ageDataPacks(cloud.bucket, 'repos/options/packs/');
    expect(moved).toBeGreaterThan(0);
    // The manifest's pages are in an untagged pack, so the tree stays readable.
    expect(kept).toBe(1);
    const dest = path.join(work, 'cold');
    const result = await runRestore({ repo, session, destination: dest });
    expect(result.status).toBe('needs_retrieval');
    expect(result.needsRetrieval.length).toBeGreaterThan(0);
    await expect(readdir(dest)).rejects.toThrow(/ENOENT/);
  });
});
