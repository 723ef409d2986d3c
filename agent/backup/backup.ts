/**
 * One session: scan the view, chunk and hash every file, store the chunks the
 * repository lacks (compressed on the thread pool, sealed, packed, uploaded),
 * then write the index file and, last, the manifest. Only after the manifest
 * is durable is `commit` called, so the catalog never names a session that a
 * restore could not read; a backup killed earlier leaves at most packs that
 * no index or manifest names, which gc removes.
 */
import { randomUUID } from 'node:crypto';
import { TidemarkError } from '../../core/error-catalogue.js';
import { ByteBudget } from './byte-budget.js';
import { cpuPool } from './cpu-pool.js';
import { fileSegments } from './file-chunks.js';
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
  /** Files chunked at once (their segments go to the CPU workers in turn). */
  compressions?: number;
  /** Bytes of file data read and not yet packed, at most (default 64 MiB). */
  inFlightBytes?: number;
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
  // Validates the sizes here, on the main thread, for a clear error.
  const chunker = new GearChunker(repo.config.chunker).params;
  const packer = new Packer(repo, options.packSize ?? 32 * 1024 * 1024, options.uploads ?? 3, options.onPack);
  const pool = cpuPool();
  const budget = new ByteBudget(options.inFlightBytes ?? 64 * 1024 * 1024);
  const maxFiles = options.compressions ?? 4;
  const chunking = new Set<Promise<void>>();
  const working = new Set<Promise<void>>();
  const queued = new Set<string>();
  const key = repo.key.forWorkers();
  let failure: unknown;
  const stats = { files: 0, bytes: 0, newChunks: 0, newBytes: 0, storedBytes: 0, reusedChunks: 0 };
  const track = (task: Promise<void>) => {
    const tracked: Promise<void> = task
      .catch((error: unknown) => {
        failure ??= error;
      })
      .finally(() => working.delete(tracked));
    working.add(tracked);
  };

  /** Chunks one file into `extents` (in file order) and sends its new chunks to be sealed and packed. */
  const chunkFile = async (viewPath: string, size: number, extents: Extent[]) => {
    for await (const segment of fileSegments(options.view, viewPath, chunker, pool, budget, size)) {
      const fresh: Array<[number, number]> = [];
      const hashes: string[] = [];
      for (const piece of segment.pieces) {
        if (piece.length === 1) {
          const last = extents.at(-1);
          if (last && last[0] === null) last[1] += piece[0];
          else extents.push([null, piece[0]]);
          continue;
        }
        const [start, end, hash] = piece;
        extents.push([hash, end - start]);
        stats.bytes += end - start;
        if (index.has(hash) || queued.has(hash)) {
          stats.reusedChunks++;
          continue;
        }
        queued.add(hash);
        stats.newChunks++;
        stats.newBytes += end - start;
        fresh.push([start, end]);
        hashes.push(hash);
      }
      if (fresh.length === 0 || failure) {
        segment.release();
        if (failure) throw failure;
        continue;
      }
      // Sealing runs while the next segment is read and cut; the budget bounds how far ahead.
      track(
        pool
          .run<Uint8Array[]>({ op: 'seal', key, data: segment.data, ranges: fresh })
          .then(async (sealed) => {
            for (let i = 0; i < sealed.length; i++) {
              const blob = sealed[i] as Uint8Array;
              const [start, end] = fresh[i] as [number, number];
              await packer.add(
                hashes[i] as string,
                Buffer.from(blob.buffer, blob.byteOffset, blob.byteLength),
                end - start,
              );
            }
          })
          .finally(() => segment.release()),
      );
    }
  };

  const entries: ManifestEntry[] = [];
  for await (const item of scan(options.view, options.sources)) {
    if (failure) break;
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
      entry.extents = extents;
      // Several files at once keep every worker busy; entries keep scan order regardless.
      while (chunking.size >= maxFiles) await Promise.race(chunking);
      const task: Promise<void> = chunkFile(item.viewPath, stat.size, extents)
        .catch((error: unknown) => {
          failure ??= error;
        })
        .finally(() => chunking.delete(task));
      chunking.add(task);
    }
    entries.push(entry);
  }
  await Promise.all(chunking);
  while (working.size > 0) await Promise.all(working);
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
