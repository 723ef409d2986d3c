/**
 * The throughput paths of the backup engine, on real files and a local
 * repository (key wrapped by moto's KMS): small files read and cut in
 * batches on the CPU workers (not through the view), a file that grew after
 * the scan read whole the ordinary way, views without a plain path still
 * read through the view, the compression probe and codecs (zstd in new
 * repositories, brotli kept in older ones), and packs written in parts.
 */
import { createCipheriv } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBackup } from '../../../agent/backup/backup.js';
import {
  compressBlobSync,
  compressChunk,
  decompressBlob,
  worthCompressing,
} from '../../../agent/backup/compression.js';
import { DirectoryView } from '../../../agent/backup/directory-view.js';
import { KmsKeyWrapper } from '../../../agent/backup/key-wrapper.js';
import { RepoIndex } from '../../../agent/backup/repo-index.js';
import { blobName, RepoKey } from '../../../agent/backup/repo-key.js';
import {
  DEFAULT_CHUNKER,
  initRepository,
  keys,
  openRepository,
  type Repository,
} from '../../../agent/backup/repository.js';
import type { ViewStat } from '../../../agent/backup/snapshot-view.js';
import type { StorageBackend, StoredObject } from '../../../agent/backup/storage.js';
import { LocalDirectoryStorage } from '../../../agent/backup/storage-local.js';
import { runRestore } from '../../../agent/restore/restore.js';
import { startTestCloud, type TestCloud } from './cloud.js';

const MiB = 1024 * 1024;

function seededBytes(seed: number, length: number): Buffer {
  return createCipheriv('aes-256-ctr', Buffer.alloc(32, seed), Buffer.alloc(16)).update(Buffer.alloc(length));
}
function text(length: number, seed: number): Buffer {
  let out = '';
  for (let i = 0; out.length < length; i++)
    out += `line ${seed}-${i} GET /api/items/${(i * 7919) % 1000} 200\n`;
  return Buffer.from(out.slice(0, length));
}

/** A directory view that counts reads through the view, and can report a smaller size than the file has. */
class CountingView extends DirectoryView {
  readonly readPaths = new Set<string>();
  constructor(
    private readonly shrunk = new Map<string, number>(),
    private readonly plain = true,
  ) {
    super();
  }
  override async lstat(p: string): Promise<ViewStat> {
    const stat = await super.lstat(p);
    const size = this.shrunk.get(p);
    return size === undefined ? stat : { ...stat, size };
  }
  override read(p: string, buffer: Buffer, position: number, length: number): Promise<number> {
    this.readPaths.add(p);
    return super.read(p, buffer, position, length);
  }
  override plainPath(p: string): string {
    // Overlay-like views have no plain path; the cast keeps DirectoryView's signature.
    return (this.plain ? p : undefined) as string;
  }
}

/**
 * A backend that streams like S3 (it has no `readInto`), over a local directory: it counts pack reads,
 * and its streams fail after `breakAfter` bytes if given.
 */
class CountingStorage implements StorageBackend {
  streams = 0;
  ranges = 0;
  private readonly local: LocalDirectoryStorage;
  readonly location: string;
  constructor(
    dir: string,
    private readonly breakAfter?: number,
  ) {
    this.local = new LocalDirectoryStorage(dir);
    this.location = this.local.location;
  }
  put(key: string, body: Buffer | Buffer[]): Promise<void> {
    return this.local.put(key, body);
  }
  get(key: string): Promise<Buffer> {
    return this.local.get(key);
  }
  list(prefix: string): Promise<StoredObject[]> {
    return this.local.list(prefix);
  }
  delete(key: string): Promise<void> {
    return this.local.delete(key);
  }
  storageClass(): Promise<undefined> {
    return this.local.storageClass();
  }
  async getRange(key: string, offset: number, length: number): Promise<Buffer> {
    if (key.startsWith('packs/')) this.ranges++;
    return this.local.getRange(key, offset, length);
  }
  async getStream(key: string, offset: number, length: number): Promise<AsyncIterable<Uint8Array>> {
    this.streams++;
    const stream = await this.local.getStream(key, offset, length);
    const limit = this.breakAfter;
    if (limit === undefined) return stream;
    return (async function* () {
      let sent = 0;
      for await (const chunk of stream) {
        if (sent + chunk.length > limit) throw new Error('connection reset');
        sent += chunk.length;
        yield chunk;
      }
    })();
  }
}

/** A local directory that counts `readInto` calls and streams of packs. */
class DirectReadStorage extends LocalDirectoryStorage {
  reads = 0;
  streams = 0;
  override async readInto(key: string, offset: number, length: number, slot: Buffer): Promise<number> {
    if (key.startsWith('packs/')) this.reads++;
    return super.readInto(key, offset, length, slot);
  }
  override async getStream(key: string, offset: number, length: number): Promise<AsyncIterable<Uint8Array>> {
    this.streams++;
    return super.getStream(key, offset, length);
  }
}

let cloud: TestCloud;
let work: string;
let source: string;
const files = new Map<string, Buffer>();

beforeAll(async () => {
  cloud = await startTestCloud();
  work = await mkdtemp(path.join(tmpdir(), 'tm-fast-'));
  source = path.join(work, 'data');
  for (let i = 0; i < 700; i++) {
    const rel = `small/d${i % 7}/f${i}.${i % 2 ? 'bin' : 'txt'}`;
    const size = i % 50 === 0 ? 0 : (i * 2654435761) % (40 * 1024);
    files.set(rel, i % 2 ? seededBytes(i, size) : text(size, i));
  }
  files.set('large/mixed.img', Buffer.concat([seededBytes(900, 3 * MiB), text(3 * MiB, 900)]));
  files.set('grew.log', text(50_000, 7));
  for (const [rel, data] of files) {
    await mkdir(path.dirname(path.join(source, rel)), { recursive: true });
    await writeFile(path.join(source, rel), data);
  }
});
afterAll(async () => {
  await cloud?.moto.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

async function repoAt(name: string): Promise<Repository> {
  return initRepository(new LocalDirectoryStorage(path.join(work, name)), new KmsKeyWrapper(cloud.kmsKeyId));
}

/** A new repository on `storage` with one backup of the source. */
async function backupInto(storage: StorageBackend, packSize?: number) {
  const repo = await initRepository(storage, new KmsKeyWrapper(cloud.kmsKeyId));
  const { session, packs } = await runBackup({
    repo,
    view: new DirectoryView(),
    sources: [{ viewPath: source, masterPath: '/data' }],
    masterHost: 'm',
    packSize,
  });
  return { repo, session, packs };
}

async function expectRestored(repo: Repository, session: string, dest: string, rangeBytes?: number) {
  const result = await runRestore({ repo, session, destination: dest, stripPrefix: '/data', rangeBytes });
  // Every pack's bytes are counted, though packs are restored several at once (the data has no holes).
  expect(result.bytes).toBe([...files.values()].reduce((sum, data) => sum + data.length, 0));
  const restored = (await readdir(dest, { recursive: true, withFileTypes: true })).filter((d) => d.isFile());
  expect(restored.length).toBe(files.size);
  for (const [rel, data] of files)
    expect((await readFile(path.join(dest, rel))).equals(data), rel).toBe(true);
}

describe('backup fast paths', () => {
  it('reads small plain files in worker batches, and a file that grew since the scan whole through the view', async () => {
    const repo = await repoAt('batched');
    const grew = path.join(source, 'grew.log');
    const view = new CountingView(new Map([[grew, 1000]]));
    const { session, manifest } = await runBackup({
      repo,
      view,
      sources: [{ viewPath: source, masterPath: '/data' }],
      masterHost: 'm',
      parent: false,
    });
    // Only the large file and the one that outgrew its scanned size went through the view.
    expect([...view.readPaths].sort()).toEqual([grew, path.join(source, 'large', 'mixed.img')]);
    expect(manifest.stats.files).toBe(files.size);
    await expectRestored(repo, session, path.join(work, 'restore-batched'));
  });

  it('reads every file through a view that has no plain path, with the same chunks', async () => {
    const repo = await repoAt('overlay');
    const plainRepo = await repoAt('plain');
    const view = new CountingView(new Map(), false);
    const sources = [{ viewPath: source, masterPath: '/data' }];
    const overlay = await runBackup({ repo, view, sources, masterHost: 'm', parent: false });
    const plain = await runBackup({ repo: plainRepo, view: new DirectoryView(), sources, masterHost: 'm' });
    expect(view.readPaths.size).toBe(files.size);
    const extentsOf = (m: typeof overlay.manifest) => m.entries.map((e) => [e.path, e.extents]);
    expect(extentsOf(overlay.manifest)).toEqual(extentsOf(plain.manifest));
    await expectRestored(repo, overlay.session, path.join(work, 'restore-overlay'));
  });

  it('reads a batched file again through the view when the view says its plain file changed meanwhile', async () => {
    const repo = await repoAt('changed');
    const changed = path.join(source, 'small', 'd3', 'f3.bin');
    const live = files.get('small/d3/f3.bin') as Buffer;
    // What a copy-on-write view would serve: the snapshot's bytes, not the live file's.
    const snapshotBytes = Buffer.alloc(live.length, 0x5a);
    class ChangingView extends CountingView {
      stillPlain(p: string): boolean {
        return p !== changed;
      }
      override async read(p: string, buffer: Buffer, position: number, length: number): Promise<number> {
        if (p !== changed) return super.read(p, buffer, position, length);
        this.readPaths.add(p);
        const part = snapshotBytes.subarray(position, position + length);
        part.copy(buffer);
        return part.length;
      }
    }
    const view = new ChangingView();
    const { session } = await runBackup({
      repo,
      view,
      sources: [{ viewPath: source, masterPath: '/data' }],
      masterHost: 'm',
      parent: false,
    });
    expect(view.readPaths).toContain(changed);
    const dest = path.join(work, 'restore-changed');
    await runRestore({ repo, session, destination: dest, stripPrefix: '/data' });
    expect((await readFile(path.join(dest, 'small', 'd3', 'f3.bin'))).equals(snapshotBytes)).toBe(true);
    expect(
      (await readFile(path.join(dest, 'small', 'd5', 'f5.bin'))).equals(
        files.get('small/d5/f5.bin') as Buffer,
      ),
    ).toBe(true);
  });

  it('restores in small groups: one stream per pack, each group written while the next arrives', async () => {
    const storage = new CountingStorage(path.join(work, 'ranges'));
    // Several packs, restored at once: their byte counts must all reach the result.
    const { repo, session, packs } = await backupInto(storage, 1024 * 1024);
    expect(packs).toBeGreaterThan(4);
    await expectRestored(repo, session, path.join(work, 'restore-ranges'), 64 * 1024);
    // Every data pack in one stream; the manifest's pages, all in the one metadata pack, in one ranged read.
    expect(storage.streams).toBe(packs - 1);
    expect(storage.ranges).toBe(1);
  });

  it('reads a local repository straight into the slots, one read per group and no stream', async () => {
    const storage = new DirectReadStorage(path.join(work, 'direct'));
    const { repo, session, packs } = await backupInto(storage, 1024 * 1024);
    await expectRestored(repo, session, path.join(work, 'restore-direct'), 64 * 1024);
    expect(storage.streams).toBe(0);
    // At most 64 KiB a group: more reads than data packs.
    expect(storage.reads).toBeGreaterThan(packs);
  });

  it('names a pack shorter than its index says, and leaves nothing behind', async () => {
    const dir = path.join(work, 'short');
    const { repo, session } = await backupInto(new LocalDirectoryStorage(dir));
    // The largest pack holds data (the pages' pack is small); half of it goes.
    const largest = (await repo.storage.list('packs/')).sort((a, b) => b.size - a.size)[0] as StoredObject;
    const pack = largest.key.slice('packs/'.length);
    await truncate(path.join(dir, 'packs', pack), Math.floor(largest.size / 2));
    const dest = path.join(work, 'restore-short');
    await expect(runRestore({ repo, session, destination: dest, stripPrefix: '/data' })).rejects.toThrow(
      `pack ${pack} is shorter than its index says`,
    );
    // The new folder was staged as a whole: neither it nor its staging copy is left.
    expect((await readdir(work)).filter((n) => n.includes('restore-short'))).toEqual([]);
  });

  it('names a folder that appeared at the destination during the restore, and where the tree was left', async () => {
    const dest = path.join(work, 'restore-raced');
    // A local repository whose first pack read also creates the destination folder, with a file in it.
    class RacingStorage extends LocalDirectoryStorage {
      raced = false;
      override async readInto(key: string, offset: number, length: number, slot: Buffer): Promise<number> {
        if (!this.raced && key.startsWith('packs/')) {
          this.raced = true;
          await mkdir(dest, { recursive: true });
          await writeFile(path.join(dest, 'made by someone else'), 'x');
        }
        return super.readInto(key, offset, length, slot);
      }
    }
    const { repo, session } = await backupInto(new RacingStorage(path.join(work, 'raced')));
    const error = await runRestore({ repo, session, destination: dest, stripPrefix: '/data' }).catch(
      (e: unknown) => e as Error,
    );
    expect(error).toBeInstanceOf(Error);
    const staged = /the restored tree is at (.+)$/.exec((error as Error).message)?.[1] as string;
    expect((error as Error).message).toContain(`${dest} was created while the restore ran`);
    expect(path.dirname(staged)).toBe(work);
    // Nothing was lost: theirs is untouched, ours is whole where the message says.
    expect(await readdir(dest)).toEqual(['made by someone else']);
    expect((await readFile(path.join(staged, 'grew.log'))).equals(files.get('grew.log') as Buffer)).toBe(
      true,
    );
  });

  it('finishes a pack with ranged reads when its stream breaks part-way', async () => {
    const storage = new CountingStorage(path.join(work, 'breaking'), 100 * 1024);
    const { repo, session } = await backupInto(storage);
    await expectRestored(repo, session, path.join(work, 'restore-breaking'), 64 * 1024);
    expect(storage.streams).toBeGreaterThan(0);
    expect(storage.ranges).toBeGreaterThan(10);
  });
});

describe('compression', () => {
  it('skips compressing random chunks and compresses text and mixed ones; both decompress to the original', async () => {
    const random = seededBytes(1, MiB);
    const logs = text(MiB, 1);
    const mixed = Buffer.concat([seededBytes(2, MiB / 2), text(MiB / 2, 2)]);
    expect(worthCompressing(random)).toBe(false);
    expect(worthCompressing(logs)).toBe(true);
    expect(worthCompressing(mixed)).toBe(true);
    // Small chunks: a sample's byte entropy decides; under 8 KiB they are always compressed.
    expect(worthCompressing(seededBytes(4, 12 * 1024))).toBe(false);
    expect(worthCompressing(text(12 * 1024, 4))).toBe(true);
    expect(worthCompressing(seededBytes(5, 4000))).toBe(true);
    for (const plain of [random, logs, mixed, text(1000, 3)]) {
      const stored = Buffer.concat(compressBlobSync(plain));
      expect((await decompressBlob(stored)).equals(plain)).toBe(true);
      if (plain !== random) expect(stored.length).toBeLessThan(plain.length);
    }
  });

  it('stores large chunks of a zstd repository with zstd, small ones and brotli-1 repositories with brotli', async () => {
    const kinds = async (codec: 'zstd' | 'brotli-1') => {
      const out: number[] = [];
      for (const plain of [text(MiB, 4), text(64 * 1024, 5), seededBytes(3, MiB), seededBytes(6, 20_000)]) {
        const stored = Buffer.concat(await compressChunk(plain, codec));
        expect((await decompressBlob(stored)).equals(plain)).toBe(true);
        out.push(stored[0] as number);
      }
      return out;
    };
    // Kind bytes: 2 zstd, 1 brotli, 0 raw (random data, large or small, is not worth compressing).
    expect(await kinds('zstd')).toEqual([2, 1, 0, 0]);
    expect(await kinds('brotli-1')).toEqual([1, 1, 0, 0]);
    await expect(decompressBlob(Buffer.of(9, 1, 2))).rejects.toThrow('unknown compression kind 9');
  });
});

/** The kind bytes (0 raw, 1 brotli, 2 zstd) of every chunk the repository stores. */
async function storedKinds(repo: Repository): Promise<Set<number>> {
  const kinds = new Set<number>();
  for (const [hash, { pack, offset, length }] of (await RepoIndex.load(repo)).blobs) {
    const sealed = await repo.storage.getRange(keys.pack(pack), offset, length);
    kinds.add(repo.key.open(sealed, blobName(hash))[0] as number);
  }
  return kinds;
}

describe('repository formats', () => {
  it('a new repository stores large text chunks with zstd and restores them', async () => {
    const repo = await repoAt('zstd');
    expect(repo.config.compression).toBe('zstd');
    const { session } = await runBackup({
      repo,
      view: new DirectoryView(),
      sources: [{ viewPath: source, masterPath: '/data' }],
      masterHost: 'master-1',
    });
    expect([...(await storedKinds(repo))].sort()).toEqual([0, 1, 2]);
    await expectRestored(repo, session, path.join(work, 'restore-zstd'));
  });

  it('a repository made before zstd (config version 1, brotli-1) keeps brotli, unbound seals, and restores as before', async () => {
    const storage = new LocalDirectoryStorage(path.join(work, 'brotli'));
    const wrapper = new KmsKeyWrapper(cloud.kmsKeyId);
    // The config as an agent before zstd and bound seals wrote it: version 1, key check without associated data.
    const { plain, wrapped } = await wrapper.generate();
    const legacyConfig = {
      version: 1,
      id: 'legacy-repository',
      createdAt: new Date().toISOString(),
      kmsKeyId: wrapper.keyId,
      wrappedKey: wrapped.toString('base64'),
      keyCheck: new RepoKey(plain)
        .seal(Buffer.from('tidemark repository key check v1'), keys.config)
        .toString('base64'),
      compression: 'brotli-1',
      chunker: DEFAULT_CHUNKER,
    };
    await storage.put(keys.config, Buffer.from(JSON.stringify(legacyConfig)));
    const repo = await openRepository(storage, wrapper);
    expect(repo.key.binding).toBeUndefined();
    const { session } = await runBackup({
      repo,
      view: new DirectoryView(),
      sources: [{ viewPath: source, masterPath: '/data' }],
      masterHost: 'master-1',
    });
    expect([...(await storedKinds(repo))].sort()).toEqual([0, 1]);
    await expectRestored(repo, session, path.join(work, 'restore-brotli'));
  });
});

describe('LocalDirectoryStorage', () => {
  it('writes a body given in parts (more than one gathered write holds) as their concatenation', async () => {
    const storage = new LocalDirectoryStorage(path.join(work, 'parts'));
    const parts = Array.from({ length: 1500 }, (_, i) => seededBytes(i, (i * 37) % 3000));
    await storage.put('packs/p', parts);
    expect((await storage.get('packs/p')).equals(Buffer.concat(parts))).toBe(true);
  });
});
