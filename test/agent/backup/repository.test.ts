/**
 * Repository behaviour over a local-directory repository with the key
 * wrapped by moto's KMS: dedup across sessions, corruption detected by
 * restore and check, a wrong key refused cleanly, and gc.
 */
import { createCipheriv } from 'node:crypto';
import { cp, mkdir, mkdtemp, open, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CreateKeyCommand } from '@aws-sdk/client-kms';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBackup } from '../../../agent/backup/backup.js';
import { checkRepository } from '../../../agent/backup/check.js';
import { RepositoryCorrupted } from '../../../agent/backup/corruption.js';
import { DirectoryView } from '../../../agent/backup/directory-view.js';
import { collectGarbage } from '../../../agent/backup/gc.js';
import { KmsKeyWrapper } from '../../../agent/backup/key-wrapper.js';
import { forgetSession, listSessions } from '../../../agent/backup/manifest.js';
import { RepoIndex } from '../../../agent/backup/repo-index.js';
import { initRepository, openRepository, type Repository } from '../../../agent/backup/repository.js';
import { LocalDirectoryStorage } from '../../../agent/backup/storage-local.js';
import { runRestore } from '../../../agent/restore/restore.js';
import { clients } from '../../../core/aws-clients.js';
import { TidemarkError } from '../../../core/error-catalogue.js';
import { startTestCloud, type TestCloud } from './cloud.js';

const SMALL_CHUNKS = { minSize: 16 * 1024, avgSize: 64 * 1024, maxSize: 256 * 1024 };

/** Incompressible bytes that are the same on every run (AES-CTR keystream of a seed), so chunk cuts are reproducible. */
function seededBytes(seed: number, length: number): Buffer {
  const key = Buffer.alloc(32, seed);
  return createCipheriv('aes-256-ctr', key, Buffer.alloc(16)).update(Buffer.alloc(length));
}
let cloud: TestCloud;
let work: string;
let source: string;

beforeAll(async () => {
  cloud = await startTestCloud();
  work = await mkdtemp(path.join(tmpdir(), 'tm-repo-'));
  source = path.join(work, 'replica', 'data');
  await mkdir(source, { recursive: true });
  for (let i = 0; i < 8; i++)
    await writeFile(path.join(source, `file-${i}.bin`), seededBytes(i + 1, 5 * 1024 * 1024));
});
afterAll(async () => {
  await cloud?.moto.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

async function freshRepo(name: string): Promise<Repository> {
  return initRepository(
    new LocalDirectoryStorage(path.join(work, name)),
    new KmsKeyWrapper(cloud.kmsKeyId),
    SMALL_CHUNKS,
  );
}

/** `compressions: 1` chunks one file at a time, so packs hold files in order instead of interleaved. */
function backup(repo: Repository, dir = source, compressions?: number) {
  return runBackup({
    repo,
    view: new DirectoryView(),
    sources: [{ viewPath: dir, masterPath: '/data' }],
    masterHost: 'master-1',
    packSize: 4 * 1024 * 1024,
    compressions,
  });
}

describe('dedup', () => {
  it('an unchanged second backup stores nothing; a 1% change stores about the changed chunks', async () => {
    const repo = await freshRepo('dedup');
    const first = await backup(repo);
    const total = first.manifest.stats.bytes;
    expect(first.manifest.stats.newBytes).toBe(total);

    const second = await backup(repo);
    expect(second.manifest.stats.newChunks).toBe(0);
    expect(second.manifest.stats.storedBytes).toBe(0);
    expect(second.packs).toBe(0);
    // The same entries make the same manifest pages, which are not stored again.
    expect(second.manifest.pages).toEqual(first.manifest.pages);

    // 1% of the data (400 KiB) rewritten in place, in the middle of one file.
    const changed = Math.round(total * 0.01);
    const handle = await open(path.join(source, 'file-3.bin'), 'r+');
    await handle.write(seededBytes(99, changed), 0, changed, 2 * 1024 * 1024);
    await handle.close();
    const third = await backup(repo);
    console.log(
      `dedup: total ${total} B, changed ${changed} B, third backup stored ${third.manifest.stats.newBytes} B raw in ${third.manifest.stats.newChunks} chunks`,
    );
    // At most the changed bytes plus one maximum-size chunk on either side of the edit.
    expect(third.manifest.stats.newBytes).toBeGreaterThanOrEqual(changed);
    expect(third.manifest.stats.newBytes).toBeLessThanOrEqual(changed + 2 * SMALL_CHUNKS.maxSize);
    // Only the page holding the edited file's entry is new.
    const pagesBefore = new Set(second.manifest.pages);
    expect(third.manifest.pages?.filter((page) => !pagesBefore.has(page))).toHaveLength(1);
    expect(await listSessions(repo)).toHaveLength(3);
  });
});

describe('chunker settings', () => {
  it('backs up and restores with the smallest chunks a config allows (thousands of chunks per seal)', async () => {
    const repo = await initRepository(
      new LocalDirectoryStorage(path.join(work, 'tiny-chunks')),
      new KmsKeyWrapper(cloud.kmsKeyId),
      { minSize: 64, avgSize: 256, maxSize: 1024 },
    );
    const dir = path.join(work, 'tiny-source');
    await mkdir(dir, { recursive: true });
    // A file read in segments and small files read in one batch, each cut into chunks of 64-1024 bytes.
    const large = seededBytes(40, 9 * 1024 * 1024);
    await writeFile(path.join(dir, 'large.bin'), large);
    for (let i = 0; i < 20; i++)
      await writeFile(path.join(dir, `small-${i}.bin`), seededBytes(50 + i, 100_000));
    const { session, manifest } = await backup(repo, dir);
    expect(manifest.stats.newChunks).toBeGreaterThan(30_000);
    const dest = path.join(work, 'tiny-restore');
    await runRestore({ repo, session, destination: dest, stripPrefix: '/data' });
    expect((await readFile(path.join(dest, 'large.bin'))).equals(large)).toBe(true);
    expect((await readFile(path.join(dest, 'small-7.bin'))).equals(seededBytes(57, 100_000))).toBe(true);
  });
});

describe('corruption and keys', () => {
  it('a corrupted pack fails the restore without writing anything, and check names it', async () => {
    const repo = await freshRepo('corrupt');
    const { session } = await backup(repo);
    const packsDir = path.join(work, 'corrupt', 'packs');
    const victim = (await readdir(packsDir))[0] as string;
    const handle = await open(path.join(packsDir, victim), 'r+');
    const byte = Buffer.alloc(1);
    await handle.read(byte, 0, 1, 1000);
    byte[0] = (byte[0] as number) ^ 0xff;
    await handle.write(byte, 0, 1, 1000);
    await handle.close();

    const dest = path.join(work, 'corrupt-restore');
    await expect(runRestore({ repo, session, destination: dest })).rejects.toThrow(RepositoryCorrupted);
    const written = await readdir(path.join(dest, 'data')).catch(() => []);
    expect(written).toEqual([]);

    const report = await checkRepository(repo);
    expect(report.ok).toBe(false);
    expect(report.problems.some((p) => p.includes(`pack ${victim} does not match its hash`))).toBe(true);
    expect(report.problems.some((p) => p.includes(`in pack ${victim} is corrupted`))).toBe(true);
  });

  it('check passes on a healthy repository', async () => {
    const repo = await freshRepo('healthy');
    await backup(repo);
    const report = await checkRepository(repo);
    expect(report).toMatchObject({ ok: true, sessions: 1, problems: [] });
    expect(report.blobs).toBeGreaterThan(100);
  });

  it('refuses an index file whose blob entries are malformed, naming the field', async () => {
    const repo = await freshRepo('bad-index');
    const good = { version: 1, packs: [{ id: 'a'.repeat(64), blobs: [['b'.repeat(64), 0, 100, 200]] }] };
    await repo.storage.put('index/good', repo.sealJson(good, 'index/good'));
    expect((await RepoIndex.load(repo)).has('b'.repeat(64))).toBe(true);
    for (const blobs of [
      [['b'.repeat(64), 0, 100]],
      [['b'.repeat(64), '0', 100, 200]],
      [[7, 0, 100, 200]],
      {},
    ]) {
      await repo.storage.put(
        'index/bad',
        repo.sealJson({ version: 1, packs: [{ id: 'c'.repeat(64), blobs }] }, 'index/bad'),
      );
      await expect(RepoIndex.load(repo)).rejects.toThrow(
        /blobs must be \[hash, offset, length, plain length\]/,
      );
    }
  });

  it('a wrong key is refused with a clear error, not a stack trace or garbage', async () => {
    const repo = await freshRepo('wrong-key');
    await backup(repo);
    const configPath = path.join(work, 'wrong-key', 'config');
    const other = await clients.kms().send(new CreateKeyCommand({ Description: 'another key' }));
    const otherWrapper = new KmsKeyWrapper(other.KeyMetadata?.KeyId ?? '');

    // The config's wrapped key replaced by a data key of another master key: unwraps, but is not this repo's key.
    const original = await readFile(configPath, 'utf8');
    const config = JSON.parse(original);
    config.wrappedKey = (await otherWrapper.generate()).wrapped.toString('base64');
    await writeFile(configPath, JSON.stringify(config));
    const error = await openRepository(
      new LocalDirectoryStorage(path.join(work, 'wrong-key')),
      otherWrapper,
    ).catch((e) => e);
    expect(error).toBeInstanceOf(TidemarkError);
    expect(error.code).toBe('Forbidden');
    expect(error.message).toMatch(
      /^the repository config at file:\/\/.* does not authenticate: it was changed, or the key is another repository's$/,
    );
    await writeFile(configPath, original);
  });
});

describe('garbage collection', () => {
  it('removes packs only forgotten sessions used, keeps young packs, and leaves a repository that checks and restores', async () => {
    const repo = await freshRepo('gc');
    const dir = path.join(work, 'gc-source');
    await cp(source, dir, { recursive: true });
    // gc does not repack: only packs wholly owned by the forgotten session can go, so the first
    // backup packs files in order (with files chunked in parallel, every pack could mix in live data).
    // Even one file at a time, the last seal of a file may finish after the next file's first, so a
    // pack at a file boundary can mix two files: three files (15 MiB) go, which leaves at least two
    // whole 4 MiB packs (with two files it could leave one, and the test failed once in eight runs).
    const first = await backup(repo, dir, 1);
    for (const name of ['file-0.bin', 'file-1.bin', 'file-2.bin']) await rm(path.join(dir, name));
    const second = await backup(repo, dir);
    await forgetSession(repo, first.session);

    // Within the grace period nothing goes: a backup in progress could own these packs.
    const young = await collectGarbage(repo);
    expect(young.deletedPacks).toEqual([]);

    const report = await collectGarbage(repo, { graceMs: 0, now: new Date(Date.now() + 1000) });
    expect(report.deletedPacks.length).toBeGreaterThan(0);
    expect(report.reclaimedBytes).toBeGreaterThan(5 * 1024 * 1024);
    expect(await checkRepository(repo)).toMatchObject({ ok: true, sessions: 1 });
    const dest = path.join(work, 'gc-restore');
    await runRestore({ repo, session: second.session, destination: dest });
    // Buffer.equals, not toEqual: vitest compares buffers element by element, which takes a minute for 5 MiB.
    const restored = await readFile(path.join(dest, 'data', 'file-5.bin'));
    expect(restored.equals(await readFile(path.join(dir, 'file-5.bin')))).toBe(true);
  });
});
