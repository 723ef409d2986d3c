/**
 * Manifest pages: boundaries that depend on paths only, so an edit or an
 * insertion changes only the pages around it; pages sealed into a pack and
 * read back by one ranged read; a page that fails to authenticate named;
 * and roots written before pages (version 1) still read.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RepositoryCorrupted } from '../../../agent/backup/corruption.js';
import { type ManifestEntry, readManifest } from '../../../agent/backup/manifest.js';
import { encodePage, readPages, sealPages, splitPages } from '../../../agent/backup/manifest-pages.js';
import { RepoIndex } from '../../../agent/backup/repo-index.js';
import { RepoKey } from '../../../agent/backup/repo-key.js';
import { DEFAULT_CHUNKER, keys, Repository } from '../../../agent/backup/repository.js';
import { LocalDirectoryStorage } from '../../../agent/backup/storage-local.js';

let work: string;
beforeAll(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'tm-pages-'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

function fileEntry(i: number, mtimeMs = 1_700_000_000_000): ManifestEntry {
  return {
    path: `/srv/share/d${Math.floor(i / 100)}/file-${i}.txt`,
    type: 'file',
    mode: 0o100644,
    uid: 1000,
    gid: 1000,
    mtimeMs,
    atimeMs: mtimeMs,
    size: 100 + i,
    extents: [[randomHex(i), 100 + i]],
  };
}

function randomHex(seed: number): string {
  return Buffer.alloc(32, seed % 251).toString('hex');
}

const hashesOf = (entries: ManifestEntry[]) => splitPages(entries).map((page) => encodePage(page).hash);

function newRepo(name: string): Repository {
  const storage = new LocalDirectoryStorage(path.join(work, name));
  const config = {
    version: 1 as const,
    id: name,
    createdAt: new Date().toISOString(),
    kmsKeyId: 'test',
    wrappedKey: '',
    keyCheck: '',
    compression: 'zstd' as const,
    chunker: DEFAULT_CHUNKER,
  };
  return new Repository(storage, config, new RepoKey(randomBytes(32)));
}

/** Seals every page into one pack, as the packer would, and indexes it. */
async function storePages(repo: Repository, entries: ManifestEntry[]) {
  const { hashes, fresh } = sealPages(repo, splitPages(entries), () => false);
  const blobs: Array<[string, number, number, number]> = [];
  let offset = 0;
  for (const { hash, sealed, rawLength } of fresh) {
    blobs.push([hash, offset, sealed.length, rawLength]);
    offset += sealed.length;
  }
  const body = Buffer.concat(fresh.map((page) => page.sealed));
  await repo.storage.put(keys.pack('p1'), body);
  const index = new RepoIndex();
  index.addFile('i1', { version: 1, packs: [{ id: 'p1', blobs }] });
  return { hashes, index, body };
}

describe('manifest pages', () => {
  const entries = Array.from({ length: 3000 }, (_, i) => fileEntry(i));

  it('cuts pages by path: about 16 entries each, never more than 512', () => {
    const pages = splitPages(entries);
    expect(pages.flat()).toEqual(entries);
    expect(pages.length).toBeGreaterThan(3000 / 32);
    expect(pages.length).toBeLessThan(3000 / 8);
    for (const page of pages) expect(page.length).toBeLessThanOrEqual(512);
  });

  it('an edited entry changes one page; an inserted one changes at most two', () => {
    const before = hashesOf(entries);
    const edited = entries.map((entry, i) => (i === 1234 ? fileEntry(i, 1_800_000_000_000) : entry));
    const afterEdit = hashesOf(edited);
    expect(afterEdit).toHaveLength(before.length);
    expect(afterEdit.filter((hash) => !before.includes(hash))).toHaveLength(1);

    const inserted = [...entries.slice(0, 2000), fileEntry(99_999), ...entries.slice(2000)];
    const afterInsert = hashesOf(inserted);
    const fresh = afterInsert.filter((hash) => !before.includes(hash));
    expect(fresh.length).toBeGreaterThanOrEqual(1);
    expect(fresh.length).toBeLessThanOrEqual(2);
  });

  it('reads sealed pages back in order with one ranged read per pack', async () => {
    const repo = newRepo('round-trip');
    const { hashes, index } = await storePages(repo, entries);
    let ranges = 0;
    const getRange = repo.storage.getRange.bind(repo.storage);
    repo.storage.getRange = (key, offset, length) => {
      ranges++;
      return getRange(key, offset, length);
    };
    expect(await readPages(repo, index, hashes, 's1')).toEqual(entries);
    expect(ranges).toBe(1);
  });

  it('names a page that does not authenticate, a page no index file names, and a missing pack of pages', async () => {
    const repo = newRepo('corrupt');
    const { hashes, index, body } = await storePages(repo, entries.slice(0, 500));
    const flipped = Buffer.from(body);
    flipped[100] = (flipped[100] as number) ^ 0xff;
    await repo.storage.put(keys.pack('p1'), flipped);
    const read = readPages(repo, index, hashes, 's1');
    await expect(read).rejects.toBeInstanceOf(RepositoryCorrupted);
    await expect(read).rejects.toThrow(/chunk [0-9a-f]{64} in pack p1 is corrupted/);
    await expect(readPages(repo, new RepoIndex(), hashes, 's1')).rejects.toThrow(
      /page [0-9a-f]{64} of the manifest of session s1 is in no index file/,
    );
    await repo.storage.delete(keys.pack('p1'));
    const missing = readPages(repo, index, hashes, 's1');
    await expect(missing).rejects.toBeInstanceOf(RepositoryCorrupted);
    await expect(missing).rejects.toThrow(
      'pack p1, which holds pages of the manifest of session s1, is missing',
    );
  });

  it('still reads a version 1 root, which holds its entries itself', async () => {
    const repo = newRepo('v1');
    const root = {
      version: 1,
      session: 'old',
      repoId: 'v1',
      createdAt: new Date().toISOString(),
      masterHost: 'm',
      sources: [{ viewPath: '/srv/share', masterPath: '/srv/share' }],
      entries: entries.slice(0, 10),
      xattrs: 'not-recorded',
      stats: { files: 10, bytes: 0, newChunks: 0, newBytes: 0, storedBytes: 0, reusedChunks: 0 },
    };
    await repo.storage.put(keys.manifest('old'), repo.sealJson(root, keys.manifest('old')));
    const manifest = await readManifest(repo, 'old', new RepoIndex());
    expect(manifest.version).toBe(1);
    expect(manifest.entries).toEqual(entries.slice(0, 10));
  });
});
