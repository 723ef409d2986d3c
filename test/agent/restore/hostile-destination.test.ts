/**
 * A restore (the agent runs it as root) against a destination someone
 * prepared: symlinks already on the way to restored folders, in place of a
 * restored folder or file, and a forged manifest naming `..`. Each must be
 * refused or replace the link, never followed; the folder the links point at
 * is checked byte for byte and mode for mode afterwards. The repository is
 * real (local directory storage, its key wrapped by KMS in moto over HTTP).
 */
import {
  chmod,
  lstat,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  rm,
  stat,
  symlink,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBackup } from '../../../agent/backup/backup.js';
import { RepositoryCorrupted } from '../../../agent/backup/corruption.js';
import { DirectoryView } from '../../../agent/backup/directory-view.js';
import { KmsKeyWrapper } from '../../../agent/backup/key-wrapper.js';
import { initRepository, type Repository } from '../../../agent/backup/repository.js';
import { LocalDirectoryStorage } from '../../../agent/backup/storage-local.js';
import { runRestore } from '../../../agent/restore/restore.js';
import { startTestCloud, type TestCloud } from '../backup/cloud.js';

let cloud: TestCloud;
let work: string;
let outside: string;
let repo: Repository;
let session: string;

beforeAll(async () => {
  cloud = await startTestCloud();
  work = await mkdtemp(path.join(tmpdir(), 'tm-hostile-restore-'));
  outside = path.join(work, 'outside');
  await mkdir(outside);
  await writeFile(path.join(outside, 'secret'), 'secret');
  await chmod(path.join(outside, 'secret'), 0o600);
  await chmod(outside, 0o700);
  const source = path.join(work, 'replica', 'srv');
  await mkdir(path.join(source, 'a', 'sub'), { recursive: true });
  await writeFile(path.join(source, 'a', 'one.txt'), 'one\n');
  await writeFile(path.join(source, 'a', 'sub', 'two.txt'), 'two\n');
  await chmod(path.join(source, 'a'), 0o777);
  repo = await initRepository(
    new LocalDirectoryStorage(path.join(work, 'repo')),
    new KmsKeyWrapper(cloud.kmsKeyId),
  );
  ({ session } = await runBackup({
    repo,
    view: new DirectoryView(),
    sources: [{ viewPath: source, masterPath: '/srv' }],
    masterHost: 'master-1',
  }));
}, 120_000);

afterAll(async () => {
  await cloud?.moto.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

async function outsideUnchanged(): Promise<void> {
  expect((await readdir(outside)).sort()).toEqual(['secret']);
  expect(await readFile(path.join(outside, 'secret'), 'utf8')).toBe('secret');
  expect((await stat(path.join(outside, 'secret'))).mode & 0o7777).toBe(0o600);
  expect((await stat(outside)).mode & 0o7777).toBe(0o700);
}

const conflict = (where: string) =>
  expect.objectContaining({
    code: 'Conflict',
    field: 'destination',
    message: expect.stringContaining(`${where} is a symlink where the restore needs a folder`),
  });

describe('a restore into a prepared destination', () => {
  it('refuses a symlink on the way to a restored folder and writes nothing', async () => {
    const dest = path.join(work, 'on-the-way');
    await mkdir(path.join(dest, 'srv'), { recursive: true });
    await symlink(outside, path.join(dest, 'srv', 'a'));
    await expect(runRestore({ repo, session, destination: dest })).rejects.toEqual(
      conflict(path.join(dest, 'srv', 'a')),
    );
    expect(await readdir(path.join(dest, 'srv'))).toEqual(['a']);
    await outsideUnchanged();
  });

  it('refuses a symlink in place of a restored folder (no chmod, no chown through it)', async () => {
    const dest = path.join(work, 'in-place');
    await mkdir(dest);
    await symlink(outside, path.join(dest, 'srv'));
    await expect(runRestore({ repo, session, destination: dest, paths: ['/srv'] })).rejects.toEqual(
      conflict(path.join(dest, 'srv')),
    );
    await outsideUnchanged();
  });

  it('replaces a symlink in place of a restored file with the file, leaving its target alone', async () => {
    const dest = path.join(work, 'file-link');
    await mkdir(path.join(dest, 'srv', 'a'), { recursive: true });
    await symlink(path.join(outside, 'secret'), path.join(dest, 'srv', 'a', 'one.txt'));
    const result = await runRestore({ repo, session, destination: dest });
    expect(result.status).toBe('restored');
    const restored = path.join(dest, 'srv', 'a', 'one.txt');
    expect((await lstat(restored)).isFile()).toBe(true);
    expect(await readFile(restored, 'utf8')).toBe('one\n');
    expect(await readFile(path.join(dest, 'srv', 'a', 'sub', 'two.txt'), 'utf8')).toBe('two\n');
    expect((await stat(path.join(dest, 'srv', 'a'))).mode & 0o7777).toBe(0o777);
    await outsideUnchanged();
  });

  it('follows the target folder itself when it is a symlink (the operator chose it)', async () => {
    const real = path.join(work, 'real-target');
    await mkdir(real);
    await symlink(real, path.join(work, 'chosen'));
    await runRestore({ repo, session, destination: path.join(work, 'chosen') });
    expect(await readFile(path.join(real, 'srv', 'a', 'one.txt'), 'utf8')).toBe('one\n');
  });

  it('refuses a manifest whose paths climb out with .. and writes nothing', async () => {
    const source = path.join(work, 'replica', 'srv');
    const forged = await runBackup({
      repo,
      view: new DirectoryView(),
      sources: [{ viewPath: source, masterPath: `/srv/../../..${outside}` }],
      masterHost: 'master-1',
    });
    const dest = path.join(work, 'forged');
    const error = await runRestore({ repo, session: forged.session, destination: dest }).catch(
      (e: Error) => e,
    );
    expect(error).toBeInstanceOf(RepositoryCorrupted);
    expect((error as Error).message).toMatch(
      /the manifest of session \S+ names ".*\/srv\/\.\.\/.*", which has an empty, "\." or "\.\." component/,
    );
    await expect(readdir(dest)).rejects.toMatchObject({ code: 'ENOENT' });
    await outsideUnchanged();
  });
});
