/**
 * Someone with write access to the media (a stolen backup credential, a
 * careless operator) rearranges a repository: a manifest or index file moved
 * under another name, or the config edited. Each blob is sealed with the
 * repository id and its own name as associated data, and the config's key
 * check covers every config field, so each rearrangement is refused when
 * read and no restore writes data it did not back up. Real repository on
 * local storage, its key wrapped by KMS in moto over HTTP.
 */
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBackup } from '../../../agent/backup/backup.js';
import { DirectoryView } from '../../../agent/backup/directory-view.js';
import { KmsKeyWrapper } from '../../../agent/backup/key-wrapper.js';
import { readManifest } from '../../../agent/backup/manifest.js';
import { RepoIndex } from '../../../agent/backup/repo-index.js';
import { initRepository, keys, openRepository, type Repository } from '../../../agent/backup/repository.js';
import { LocalDirectoryStorage } from '../../../agent/backup/storage-local.js';
import { runRestore } from '../../../agent/restore/restore.js';
import { startTestCloud, type TestCloud } from './cloud.js';

let cloud: TestCloud;
let work: string;

beforeAll(async () => {
  cloud = await startTestCloud();
  work = await mkdtemp(path.join(tmpdir(), 'tm-authentic-'));
}, 120_000);

afterAll(async () => {
  await cloud?.moto.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

/** A repository with two sessions of different trees: `small` (one file) and `secret` (another). */
async function twoSessions(name: string) {
  const storage = new LocalDirectoryStorage(path.join(work, name));
  const wrapper = new KmsKeyWrapper(cloud.kmsKeyId);
  const repo = await initRepository(storage, wrapper);
  const backUp = async (file: string, body: string) => {
    const source = path.join(work, `${name}-src-${file}`);
    await mkdir(source, { recursive: true });
    await writeFile(path.join(source, file), body);
    return (
      await runBackup({
        repo,
        view: new DirectoryView(),
        sources: [{ viewPath: source, masterPath: '/srv' }],
        masterHost: 'm',
      })
    ).session;
  };
  const small = await backUp('small.txt', 'small\n');
  const secret = await backUp('secret.txt', 'another session\n');
  return { repo, storage, wrapper, small, secret };
}

const copyObject = async (repo: Repository, from: string, to: string) =>
  repo.storage.put(to, await repo.storage.get(from));

describe('repository authenticity', () => {
  it("refuses one session's manifest moved over another's, and the restore writes nothing", async () => {
    const { repo, small, secret } = await twoSessions('swap-manifest');
    await copyObject(repo, keys.manifest(secret), keys.manifest(small));
    await expect(readManifest(repo, small)).rejects.toThrow(
      `manifest of session ${small} does not authenticate with the repository key`,
    );
    const target = path.join(work, 'swap-manifest-restore');
    await mkdir(target);
    await expect(runRestore({ repo, session: small, destination: target })).rejects.toThrow(
      /does not authenticate/,
    );
    expect(await readdir(target)).toEqual([]);
  });

  it('refuses an index file copied under another name', async () => {
    const { repo } = await twoSessions('swap-index');
    const [first] = await repo.storage.list('index/');
    if (!first) throw new Error('the backup wrote no index file');
    await copyObject(repo, first.key, keys.index('planted'));
    await expect(RepoIndex.load(repo)).rejects.toThrow('index file planted does not authenticate');
  });

  it.each([
    ['id', (c: Record<string, unknown>) => ({ ...c, id: 'another-repository' })],
    ['compression', (c: Record<string, unknown>) => ({ ...c, compression: 'brotli-1' })],
    [
      'chunker',
      (c: Record<string, unknown>) => ({ ...c, chunker: { minSize: 64, avgSize: 256, maxSize: 1024 } }),
    ],
    ['createdAt', (c: Record<string, unknown>) => ({ ...c, createdAt: '2020-01-01T00:00:00.000Z' })],
  ])('refuses a config whose %s was edited', async (_field, change) => {
    const { storage, wrapper } = await twoSessions(`config-${_field}`);
    const config = JSON.parse((await storage.get(keys.config)).toString('utf8')) as Record<string, unknown>;
    expect(config.version).toBe(2);
    await storage.put(keys.config, Buffer.from(JSON.stringify(change(config))));
    await expect(openRepository(storage, wrapper)).rejects.toMatchObject({
      code: 'Forbidden',
      message: expect.stringContaining('does not authenticate: it was changed'),
    });
  });

  it('opens and restores an untouched repository', async () => {
    const { storage, wrapper, small } = await twoSessions('untouched');
    const repo = await openRepository(storage, wrapper);
    const target = path.join(work, 'untouched-restore');
    await mkdir(target);
    await runRestore({ repo, session: small, destination: target });
    expect(await readdir(path.join(target, 'srv'))).toEqual(['small.txt']);
  });
});
