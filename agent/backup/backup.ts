/**
 * One session: scan the view, chunk and hash every file, store the chunks the
 * repository lacks (compressed on the thread pool, sealed, packed, uploaded),
 * then the manifest pages it lacks (manifest-pages.ts), then write the index
 * file and, last, the manifest root. Only after the root is durable is
 * `commit` called, so the catalog never names a session that a
 * restore could not read; a backup killed earlier leaves at most packs that
 * no index or manifest names, which gc removes.
 */
import { randomUUID } from 'node:crypto';
import { TidemarkError } from '../../core/error-catalogue.js';
import { cpuPool } from './cpu-pool.js';
import { fileSegments, segmentBytes } from './file-chunks.js';
import { GearChunker } from './gear-chunker.js';
import type { Extent, Manifest, ManifestEntry, ManifestRoot } from './manifest.js';
import { sealPages, splitPages } from './manifest-pages.js';
import { Packer, type SealedBlob } from './packer.js';
import { ParentCache } from './parent-cache.js';
import { RepoIndex, writeIndexFile } from './repo-index.js';
import { SEAL_OVERHEAD } from './repo-key.js';
import { keys, type Repository } from './repository.js';
import { type ScanSource, scan } from './scanner.js';
import { type CutPiece, HOLE_BLOCK } from './segment-cut.js';
import { SharedSlots } from './shared-slots.js';
import { type BatchCut, batchBytes } from './small-files.js';
import type { SnapshotView } from './snapshot-view.js';

/** Files up to this size are read and cut in batches on the CPU workers when the view allows it. */
const SMALL_FILE = 1024 * 1024;
/** A batch closes at this many bytes or files. */
const BATCH_BYTES = 8 * 1024 * 1024;
const BATCH_FILES = 512;
/** What sealing adds to a blob: the compression kind byte, the nonce and the tag. */
const BLOB_OVERHEAD = 1 + SEAL_OVERHEAD;

interface SmallBatch {
  files: Array<{ viewPath: string; plainPath: string; size: number; extents: Extent[] }>;
  bytes: number;
}

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
  /**
   * Bytes of file data read and not yet sealed, at most (default 48 MiB): so many segment slots of
   * 12 MiB (at least two). Sealed forms take one slot per CPU worker and one more, filling and
   * uploading packs `uploads` + 1 slots of `packSize` + 4 MiB.
   */
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

  // The workers boot (≈50 ms) while the index and the parent manifest load.
  cpuPool().warm();
  const index = await RepoIndex.load(repo);
  const parent =
    options.parent === false
      ? undefined
      : await ParentCache.find(repo, index, { ...options, parent: options.parent || undefined });
  // Validates the sizes here, on the main thread, for a clear error.
  const chunker = new GearChunker(repo.config.chunker).params;
  const pool = cpuPool();
  // A slot holds a file segment or a batch of small files (shared-slots.ts).
  const slotBytes = Math.max(segmentBytes(chunker), BATCH_BYTES + SMALL_FILE + BATCH_FILES);
  const slotCount = Math.max(2, Math.floor((options.inFlightBytes ?? 48 * 1024 * 1024) / slotBytes));
  const segments = new SharedSlots(slotBytes, slotCount);
  // A sealed form is held from its seal until the packer has copied it: one per worker and one more.
  // It holds a slot's chunks and their overhead: chunks are at least `minSize` but a file's last one
  // and one before each hole (a hole takes at least 64 KiB).
  const maxBlobs = Math.ceil(slotBytes / chunker.minSize) + BATCH_FILES + Math.ceil(slotBytes / HOLE_BLOCK);
  const sealedSlots = new SharedSlots(
    slotBytes + maxBlobs * BLOB_OVERHEAD,
    Math.min(slotCount, pool.size + 1),
  );
  const packer = new Packer(
    repo,
    options.packSize ?? 32 * 1024 * 1024,
    options.uploads ?? 2,
    chunker.maxSize + BLOB_OVERHEAD,
    (pack) => pool.run<string>({ op: 'hash', data: pack }),
    options.onPack,
  );
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

  /** Records cut pieces as `extents` (in order); the chunks nobody has stored yet go to `fresh`/`hashes`. */
  const absorb = (
    pieces: CutPiece[],
    extents: Extent[],
    fresh: Array<[number, number]>,
    hashes: string[],
  ) => {
    for (const piece of pieces) {
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
  };

  /** Seals `data`'s fresh ranges on a worker and packs them; `release` gives `data`'s slot back after. */
  const sealAndPack = (
    data: Buffer,
    fresh: Array<[number, number]>,
    hashes: string[],
    release: () => void,
  ) => {
    if (fresh.length === 0 || failure) {
      release();
      if (failure) throw failure;
      return;
    }
    // Sealing runs while the next segment is read and cut; the slots bound how far ahead.
    track(
      (async () => {
        const out = await sealedSlots.acquire();
        try {
          const lengths = await pool
            .run<number[]>({
              op: 'seal',
              key,
              codec: repo.config.compression,
              data,
              ranges: fresh,
              hashes,
              out,
            })
            .finally(release);
          let offset = 0;
          const blobs: SealedBlob[] = lengths.map((length, i) => {
            const [start, end] = fresh[i] as [number, number];
            const blob = { hash: hashes[i] as string, offset, length, rawLength: end - start };
            offset += length;
            return blob;
          });
          await packer.add(out, blobs);
        } finally {
          sealedSlots.release(out);
        }
      })(),
    );
  };

  /** Chunks one file into `extents` (in file order) and sends its new chunks to be sealed and packed. */
  const chunkFile = async (viewPath: string, size: number, extents: Extent[]) => {
    for await (const segment of fileSegments(options.view, viewPath, chunker, pool, segments, size)) {
      const fresh: Array<[number, number]> = [];
      const hashes: string[] = [];
      absorb(segment.pieces, extents, fresh, hashes);
      sealAndPack(segment.data, fresh, hashes, segment.release);
    }
  };

  /** Reads and cuts a batch of small plain files on one worker, then seals their new chunks together. */
  const chunkBatch = async (batch: SmallBatch) => {
    const slot = await segments.acquire();
    let released = false;
    const release = () => {
      if (!released) segments.release(slot);
      released = true;
    };
    const grown: SmallBatch['files'] = [];
    try {
      const sizes = batch.files.map((f) => f.size);
      const data = slot.subarray(0, batchBytes(sizes));
      const cut = await pool.run<BatchCut>({
        op: 'cutFiles',
        paths: batch.files.map((f) => f.plainPath),
        sizes,
        chunker,
        data,
      });
      const fresh: Array<[number, number]> = [];
      const hashes: string[] = [];
      cut.files.forEach((file, i) => {
        const item = batch.files[i] as SmallBatch['files'][number];
        // A file that grew, or that a live view's owner changed while it was read, is read again.
        if ('grown' in file || options.view.stillPlain?.(item.viewPath) === false) grown.push(item);
        else absorb(file.pieces, item.extents, fresh, hashes);
      });
      sealAndPack(data, fresh, hashes, release);
    } catch (error) {
      release();
      throw error;
    }
    // Those files are read the ordinary way, through the view, in segments.
    for (const item of grown) await chunkFile(item.viewPath, item.size, item.extents);
  };

  /** Runs one file's or one batch's chunking, at most `maxFiles` at once; entries keep scan order regardless. */
  const launch = async (work: () => Promise<void>) => {
    while (chunking.size >= maxFiles) await Promise.race(chunking);
    const task: Promise<void> = work()
      .catch((error: unknown) => {
        failure ??= error;
      })
      .finally(() => chunking.delete(task));
    chunking.add(task);
  };

  let batch: SmallBatch = { files: [], bytes: 0 };
  const flushBatch = async () => {
    if (batch.files.length === 0) return;
    const full = batch;
    batch = { files: [], bytes: 0 };
    await launch(() => chunkBatch(full));
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
      // Listing a directory or reading a link moves its access time, so for them we would record our
      // own last scan; their mtime stands in, which also keeps unchanged pages the same each session.
      atimeMs: stat.type === 'file' ? stat.atimeMs : stat.mtimeMs,
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
      const plainPath = stat.size <= SMALL_FILE ? options.view.plainPath?.(item.viewPath) : undefined;
      if (plainPath !== undefined) {
        batch.files.push({ viewPath: item.viewPath, plainPath, size: stat.size, extents });
        batch.bytes += stat.size;
        if (batch.bytes >= BATCH_BYTES || batch.files.length >= BATCH_FILES) await flushBatch();
      } else await launch(() => chunkFile(item.viewPath, stat.size, extents));
    }
    entries.push(entry);
  }
  await flushBatch();
  await Promise.all(chunking);
  while (working.size > 0) await Promise.all(working);
  if (failure) throw failure;
  // The entries go into packs of their own as pages; only pages no session has stored yet are added.
  await packer.startMetadata();
  const pages = sealPages(repo, splitPages(entries), (hash) => index.has(hash) || queued.has(hash));
  for (const { hash, sealed, rawLength } of pages.fresh) {
    queued.add(hash);
    await packer.add(sealed, [{ hash, offset: 0, length: sealed.length, rawLength }]);
  }
  await packer.finish();
  stats.storedBytes = packer.storedBytes;

  // Order matters: packs are durable, then the index that names them, then the manifest.
  const indexFile =
    packer.done.length > 0 ? await writeIndexFile(repo, { version: 1, packs: packer.done }) : undefined;
  const root: ManifestRoot = {
    version: 2,
    session,
    repoId: repo.config.id,
    createdAt: new Date().toISOString(),
    masterHost: options.masterHost,
    entity: options.entity,
    sources: options.sources,
    pages: pages.hashes,
    xattrs: 'not-recorded',
    stats,
    parent: parent?.session,
  };
  await repo.storage.put(keys.manifest(session), repo.sealJson(root, keys.manifest(session)));
  const manifest: Manifest = { ...root, entries };
  await options.commit?.(manifest);
  return { session, manifest, packs: packer.done.length, indexFile };
}
