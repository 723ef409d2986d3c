/**
 * Disk full where backup data lands on the host: a restore target and a
 * local repository, each on a small tmpfs this test mounts, so ENOSPC is the
 * kernel's. A failed restore leaves the destination as it was (no staged
 * file holds the space), a failed backup leaves no session and no temp file,
 * both fail with AE0473 naming where the space ran out, and once there is
 * room the next run succeeds byte for byte. The repository key is wrapped by
 * KMS in moto over HTTP.
 */

import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBackup } from '../../../agent/backup/backup.js';
import { checkRepository } from '../../../agent/backup/check.js';
import { DirectoryView } from '../../../agent/backup/directory-view.js';
import { KmsKeyWrapper } from '../../../agent/backup/key-wrapper.js';
import { listSessions } from '../../../agent/backup/manifest.js';
import { initRepository, type Repository } from '../../../agent/backup/repository.js';
import { LocalDirectoryStorage } from '../../../agent/backup/storage-local.js';
import { classifyFailure } from '../../../agent/daemon/dispatcher.js';
import { runRestore } from '../../../agent/restore/restore.js';
import {
  canMount,
  mountSmallFilesystem,
  NEEDS_ROOT,
  type SmallFilesystem,
} from '../../support/small-filesystem.js';
import { startTestCloud, type TestCloud } from './cloud.js';

const MiB = 1024 * 1024;
let cloud: TestCloud;
let work: string;
let source: string;
const mounts: SmallFilesystem[] = [];

beforeAll(async () => {
  if (!canMount) return;
  cloud = await startTestCloud();
  work = await mkdtemp(path.join(tmpdir(), 'tm-backup-full-'));
  source = path.join(work, 'data');
  await mkdir(source, { recursive: true });
  // Random, so compression cannot make 18 MiB fit in 10.
  for (let i = 0; i < 3; i++) await writeFile(path.join(source, `f${i}.bin`), randomBytes(6 * MiB));
}, 120_000);

afterAll(async () => {
  for (const m of mounts) await m.unmount().catch(() => undefined);
  await cloud?.moto.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

async function mount(name: string, bytes: number): Promise<SmallFilesystem> {
  const m = await mountSmallFilesystem(path.join(work, name), bytes);
  mounts.push(m);
  return m;
}

const backupOf = (repo: Repository) =>
  runBackup({
    repo,
    view: new DirectoryView(),
    sources: [{ viewPath: source, masterPath: '/srv' }],
    masterHost: 'master-1',
  });

/** Runs `job`, expects it to fail on a full disk, and returns what an operator reads. */
async function expectDiskFull(job: () => Promise<unknown>): Promise<string> {
  const error = await job().then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error, 'the job should have failed').toBeDefined();
  const { code, detail } = classifyFailure(error);
  expect(code).toBe('AE0473');
  return detail;
}

describe.skipIf(!canMount)(
  `disk full on a restore target and a local repository (${canMount ? 'tmpfs' : NEEDS_ROOT})`,
  () => {
    it('restore onto a full target: AE0473 naming it, the target as it was, and a restore that fits then succeeds', async () => {
      const repo = await initRepository(
        new LocalDirectoryStorage(path.join(work, 'repo')),
        new KmsKeyWrapper(cloud.kmsKeyId),
      );
      const { session } = await backupOf(repo);
      const target = await mount('restore-target', 10 * MiB);
      await writeFile(path.join(target.dir, 'keep.txt'), 'was here\n');
      const freeBefore = await target.free();

      const detail = await expectDiskFull(() => runRestore({ repo, session, destination: target.dir }));
      expect(detail).toContain(`restoring into ${target.dir}`);
      // Nothing staged stays behind to hold the space, and what was there is untouched.
      expect(await readdir(target.dir)).toEqual(['keep.txt']);
      expect(await readFile(path.join(target.dir, 'keep.txt'), 'utf8')).toBe('was here\n');
      expect(await target.free()).toBe(freeBefore);

      // 6 MiB fits only because the failed 18 MiB left nothing.
      const one = await runRestore({ repo, session, destination: target.dir, paths: ['/srv/f1.bin'] });
      expect(one.bytes).toBe(6 * MiB);
      const restored = await readFile(path.join(target.dir, 'srv', 'f1.bin'));
      expect(restored.equals(await readFile(path.join(source, 'f1.bin')))).toBe(true);
    });

    it('backup into a full local repository: AE0473 naming it, no session, no temp file; after the file system grows the next backup restores byte for byte', async () => {
      const disk = await mount('repo-disk', 10 * MiB);
      const repoDir = path.join(disk.dir, 'repo');
      const repo = await initRepository(
        new LocalDirectoryStorage(repoDir),
        new KmsKeyWrapper(cloud.kmsKeyId),
      );

      const detail = await expectDiskFull(() => backupOf(repo));
      expect(detail).toContain(`to the repository at ${repoDir}`);
      expect(await listSessions(repo)).toEqual([]);
      const leftovers = (await readdir(repoDir, { recursive: true })).filter((n) =>
        String(n).includes('.tmp-'),
      );
      expect(leftovers).toEqual([]);

      // The operator grows the file system; the packs the failed run stored are reused or collected later.
      execFileSync('mount', ['-o', `remount,size=${64 * MiB}`, disk.dir]);
      const { session } = await backupOf(repo);
      expect(await listSessions(repo)).toEqual([session]);
      expect((await checkRepository(repo)).problems).toEqual([]);
      const out = path.join(work, 'restored');
      await runRestore({ repo, session, destination: out });
      for (let i = 0; i < 3; i++) {
        const copy = await readFile(path.join(out, 'srv', `f${i}.bin`));
        expect(copy.equals(await readFile(path.join(source, `f${i}.bin`))), `f${i}.bin`).toBe(true);
      }
    });
  },
);
