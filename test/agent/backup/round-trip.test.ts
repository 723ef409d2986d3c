/**
 * Byte-for-byte round trip of a tricky tree (unicode and space names, empty
 * files and directories, a 2 GiB sparse file, symlinks, hard links, a deep
 * path, unusual modes and owners) through a local-directory repository and
 * an S3 repository on moto, with the repository key wrapped by moto's KMS;
 * restored to a new folder, and again over a tree that is partly there.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBackup } from '../../../agent/backup/backup.js';
import { DirectoryView } from '../../../agent/backup/directory-view.js';
import { KmsKeyWrapper } from '../../../agent/backup/key-wrapper.js';
import { listSessions } from '../../../agent/backup/manifest.js';
import { initRepository, openRepository } from '../../../agent/backup/repository.js';
import type { StorageBackend } from '../../../agent/backup/storage.js';
import { LocalDirectoryStorage } from '../../../agent/backup/storage-local.js';
import { S3Storage } from '../../../agent/backup/storage-s3.js';
import { runRestore } from '../../../agent/restore/restore.js';
import { startTestCloud, type TestCloud } from './cloud.js';
import { describeTree, makeTrickyTree, type TreeEntry } from './dataset.js';

let cloud: TestCloud;
let work: string;
let replicaRoot: string;
let before: TreeEntry[];
const SPARSE = 2 * 1024 ** 3;

beforeAll(async () => {
  cloud = await startTestCloud();
  work = await mkdtemp(path.join(tmpdir(), 'tm-roundtrip-'));
  // The replica keeps master path /srv/share at <replica dir>/srv/share.
  replicaRoot = path.join(work, 'replica', 'srv', 'share');
  await makeTrickyTree(replicaRoot, { sparseSize: SPARSE });
  before = await describeTree(replicaRoot);
});
afterAll(async () => {
  await cloud?.moto.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

const backends: Array<[string, () => StorageBackend]> = [
  ['local directory', () => new LocalDirectoryStorage(path.join(work, 'repo-local'))],
  ['moto S3', () => new S3Storage({ bucket: cloud.bucket, repo: 'roundtrip', partSize: 5 * 1024 * 1024 })],
];

describe.each(backends)('round trip through a %s repository', (name, makeStorage) => {
  it('restores every byte, hole, link and attribute as it was on the master', async () => {
    const wrapper = new KmsKeyWrapper(cloud.kmsKeyId);
    await initRepository(makeStorage(), wrapper);
    const repo = await openRepository(makeStorage(), wrapper);
    expect(JSON.stringify(repo.config)).not.toContain(repo.key.toString());

    const started = performance.now();
    const backup = await runBackup({
      repo,
      view: new DirectoryView(),
      sources: [{ viewPath: replicaRoot, masterPath: '/srv/share' }],
      masterHost: 'master-1',
      entity: 'share',
      packSize: 8 * 1024 * 1024,
    });
    expect(await listSessions(repo)).toEqual([backup.session]);
    console.log(`${name}: backup took ${Math.round(performance.now() - started)} ms`);
    const { manifest } = backup;
    expect(manifest.masterHost).toBe('master-1');
    expect(manifest.entries.every((e) => e.path === '/srv/share' || e.path.startsWith('/srv/share/'))).toBe(
      true,
    );
    const sparse = manifest.entries.find((e) => e.path === '/srv/share/sparse.img');
    const holes = (sparse?.extents ?? [])
      .filter(([hash]) => hash === null)
      .reduce((n, [, len]) => n + len, 0);
    expect(holes).toBeGreaterThan(SPARSE - 1024 ** 2);
    // Scan order is by name, so `dir with spaces/hard-2` is met first and `hard-1` points to it.
    expect(manifest.entries.find((e) => e.path === '/srv/share/hard-1')?.hardlinkTo).toBe(
      '/srv/share/dir with spaces/hard-2',
    );

    const dest = path.join(work, `restored-${name.replace(/\W/g, '')}`);
    const result = await runRestore({
      repo,
      session: backup.session,
      destination: dest,
      stripPrefix: '/srv/share',
    });
    expect(result.status).toBe('restored');
    console.log(`${name}: backup + restore took ${Math.round(performance.now() - started)} ms`);

    const after = await describeTree(dest);
    const strip = (entries: typeof before) => entries.map(({ allocatedBytes: _, ...rest }) => rest);
    expect(strip(after)).toEqual(strip(before));
    // Holes stay holes: the 2 GiB file occupies about its 170 KB of data.
    const restoredSparse = after.find((e) => e.path === 'sparse.img');
    expect(restoredSparse?.size).toBe(SPARSE);
    expect(restoredSparse?.allocatedBytes).toBeLessThan(2 * 1024 * 1024);

    // Over a tree that is partly there: existing files are replaced one by one, new folders come whole.
    const over = path.join(work, `over-${name.replace(/\W/g, '')}`);
    await mkdir(path.join(over, 'dir with spaces'), { recursive: true });
    await writeFile(path.join(over, 'dir with spaces', 'a b c.txt'), 'old content');
    await writeFile(path.join(over, 'hard-1'), 'old, and not linked');
    await writeFile(path.join(over, 'not in the session'), 'left alone');
    await runRestore({ repo, session: backup.session, destination: over, stripPrefix: '/srv/share' });
    const overAfter = (await describeTree(over)).filter((e) => e.path !== 'not in the session');
    expect(strip(overAfter)).toEqual(strip(before));
    expect(await readFile(path.join(over, 'not in the session'), 'utf8')).toBe('left alone');
  }, 150_000); // a multi-GiB sparse file both ways: ≈30 s alone, near 60 s when CI runs two files at once
});
