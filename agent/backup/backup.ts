/**
 * One session: scan the view, chunk and hash every file, store the chunks the
 * repository lacks (compressed on the thread pool, sealed, packed, uploaded),
 * then write the index file and, last, the manifest. Only after the manifest
 * is durable is `commit` called, so the catalog never names a session that a
 * restore could not read; a backup killed earlier leaves at most packs that
 * no index or manifest names, which gc removes.
 */
import { createHash, randomUUID } from 'node:crypto';
import { TidemarkError } from '../../core/error-catalogue.js';
import { compressBlob } from './compression.js';
import { fileChunks } from './file-chunks.js';
import { GearChunker } from './gear-chunker.js';
import type { Extent, Manifest, ManifestEntry } from './manifest.js';
import { Packer } from './packer.js';
import { ParentCache } from './parent-cache.js';
import { RepoIndex, writeIndexFile } from './repo-index.js';
import { keys, type Repository } from './repository.js';
import { type ScanSource, scan } from './scanner.js';
import type { SnapshotView } from './snapshot-view.js';

export interface BackupOptions {
  repo: Repository;
  view: SnapshotView;
  /** View paths to back up and the master paths they stand for (replica path → master path). */
  sources: ScanSource[];
  masterHost: string;
  entity?: string;
  session?: string;
  /** Bytes per pack; tens of MiB keeps S3 request counts low. */
  packSize?: number;
  /** Packs uploading at once. */
  uploads?: number;
  /** Chunks compressing at once (libuv's pool has 4 threads by default). */
  compressions?: number;
  /**
   * The session whose unchanged files (same size, mtime, ctime, inode) are not read again; by default
   * the newest session of the same host, entity and sources. `false` reads every file.
   */
  parent?: string | false;
  /** Called once the manifest is durable: the catalog records the session here. */
  commit?: (manifest: Manifest) => Promise<void>;
  onPack?: (id: string, bytes: number) => void;
}

export interface BackupResult {
  session: string;
  manifest: Manifest;
  packs: number;
  indexFile?: string;
}

export async function runBackup(options: BackupOptions): Promise<BackupResult> {
  const { repo } = options;
  const session =
    options.session ?? `${new Date().toISOString().replace(/[:.]/g, '-')}-${randomUUID().slice(0, 8)}`;
  if (!/^[A-Za-z0-9._-]{1,128}$/.test(session))
    throw new TidemarkError(
      'BadRequest',
      `session id '${session}' must use letters, digits, . _ -`,
      400,
      'session',
    );
  if (options.sources.length === 0)
    throw new TidemarkError('BadRequest', 'nothing to back up: no sources', 400, 'sources');

  const index = await RepoIndex.load(repo);
  const parent =
    options.parent === false
      ? undefined
      : await ParentCache.find(repo, index, { ...options, parent: options.parent || undefined });
  const chunker = new GearChunker(repo.config.chunker);
  const packer = new Packer(repo, options.packSize ?? 32 * 1024 * 1024, options.uploads ?? 3, options.onPack);
  const maxCompressions = options.compressions ?? 4;
  const compressing = new Set<Promise<void>>();
  const queued = new Set<string>();
  let failure: unknown;
  const stats = { files: 0, bytes: 0, newChunks: 0, newBytes: 0, storedBytes: 0, reusedChunks: 0 };

  const store = async (hash: string, data: Buffer) => {
    const sealed = repo.key.seal(await compressBlob(data));
    await packer.add(hash, sealed, data.length);
  };

  const entries: ManifestEntry[] = [];
  for await (const item of scan(options.view, options.sources)) {
    const { stat } = item;
    const entry: ManifestEntry = {
      path: item.masterPath,
      type: stat.type as ManifestEntry['type'],
      mode: stat.mode,
      uid: stat.uid,
      gid: stat.gid,
      mtimeMs: stat.mtimeMs,
      atimeMs: stat.atimeMs,
      size: stat.type === 'file' ? stat.size : 0,
    };
    if (stat.type === 'symlink') entry.target = await options.view.readlink(item.viewPath);
    if (stat.type === 'file') {
      entry.ino = stat.ino;
      entry.ctimeMs = stat.ctimeMs;
    }
    const unchanged =
      stat.type === 'file' && !item.hardlinkTo ? parent?.extentsOf(entry.path, stat) : undefined;
    if (item.hardlinkTo) entry.hardlinkTo = item.hardlinkTo;
    else if (unchanged) {
      stats.files++;
      entry.extents = unchanged;
      for (const [hash, length] of unchanged)
        if (hash) {
          stats.bytes += length;
          stats.reusedChunks++;
        }
    } else if (stat.type === 'file') {
      stats.files++;
      const extents: Extent[] = [];
      for await (const piece of fileChunks(options.view, item.viewPath, chunker, stat.size)) {
        if (piece.kind === 'hole') {
          extents.push([null, piece.length]);
          continue;
        }
        const hash = createHash('sha256').update(piece.data).digest('hex');
        extents.push([hash, piece.data.length]);
        stats.bytes += piece.data.length;
        if (index.has(hash) || queued.has(hash)) {
          stats.reusedChunks++;
          continue;
        }
        queued.add(hash);
        stats.newChunks++;
        stats.newBytes += piece.data.length;
        while (compressing.size >= maxCompressions) await Promise.race(compressing);
        if (failure) throw failure;
        const task: Promise<void> = store(hash, piece.data)
          .catch((error: unknown) => {
            failure ??= error;
          })
          .finally(() => compressing.delete(task));
        compressing.add(task);
      }
      entry.extents = extents;
    }
    entries.push(entry);
  }
  await Promise.all(compressing);
  if (failure) throw failure;
  await packer.finish();
  stats.storedBytes = packer.storedBytes;

  // Order matters: packs are durable, then the index that names them, then the manifest.
  const indexFile =
    packer.done.length > 0 ? await writeIndexFile(repo, { version: 1, packs: packer.done }) : undefined;
  const manifest: Manifest = {
    version: 1,
    session,
    repoId: repo.config.id,
    createdAt: new Date().toISOString(),
    masterHost: options.masterHost,
    entity: options.entity,
    sources: options.sources,
    entries,
    xattrs: 'not-recorded',
    stats,
    parent: parent?.session,
  };
  await repo.storage.put(keys.manifest(session), repo.sealJson(manifest));
  await options.commit?.(manifest);
  return { session, manifest, packs: packer.done.length, indexFile };
}
