/**
 * Restores a session (or some of its paths) into any folder: the original
 * path on the master (`destination: '/'`), the replica's copy
 * (`destination: replica.directory`), or another place. Every chunk is
 * fetched by ranged reads of its pack, in parallel across packs, and
 * verified before anything is renamed into place (staging.ts: a new folder
 * as a whole, a file beside an existing one on its own), so a corrupted
 * repository fails the restore without touching the destination. Files in
 * existing folders the caller says are held open are written beside the
 * original as `<name>.TMP`.
 */
import { link, mkdir, rename, rm, symlink } from 'node:fs/promises';
import path from 'node:path';
import { TidemarkError } from '../../core/error-catalogue.js';
import { blobsByPack, type PackBlob } from '../backup/blob-groups.js';
import { RepositoryCorrupted } from '../backup/corruption.js';
import { cpuPool } from '../backup/cpu-pool.js';
import type { CpuTask } from '../backup/cpu-tasks.js';
import { Limiter } from '../backup/limiter.js';
import { type ManifestEntry, manifestOf, readManifestRoot } from '../backup/manifest.js';
import { RepoIndex } from '../backup/repo-index.js';
import type { Repository } from '../backup/repository.js';
import { SharedSlots } from '../backup/shared-slots.js';
import { ObjectMissing, READ_INTO_ROOM } from '../backup/storage.js';
import { faultPoint } from '../fault-points.js';
import { absoluteComponents, PathRefused } from '../fs/contained-tree.js';
import { isNoSpace } from '../fs/no-space.js';
import { type Attributes, applyAttributes } from './attributes.js';
import type { Place } from './blob-writer.js';
import { makeDurable, startWriteback } from './durable.js';
import { byDirectory, type CreateItem, type PlaceItem } from './file-batches.js';
import { type Countdown, FinishedFiles } from './finished-files.js';
import { DEFAULT_RANGE_BYTES, restorePackBlobs } from './pack-reader.js';
import { packsNeedingRetrieval } from './retrieval.js';
import { Staging } from './staging.js';

/** Bytes written between two early writebacks (see durable.ts). */
const WRITEBACK_EVERY = 256 * 1024 * 1024;

export interface RestoreOptions {
  repo: Repository;
  session: string;
  /** Folder the master paths are restored under: `/` restores to the original place. */
  destination: string;
  /** A master path prefix to drop, e.g. restore `/srv/share/x` as `<destination>/x`. */
  stripPrefix?: string;
  /** Master paths (files or directories) to restore; absent restores the whole session. */
  paths?: string[];
  /** Destination paths the application holds open: written as `<path>.TMP` instead. */
  heldOpen?: ReadonlySet<string>;
  /** Packs read at once. */
  concurrency?: number;
  /** Bytes of a pack a CPU worker takes at once (default 8 MiB); each pack reader holds about twice that. */
  rangeBytes?: number;
  /**
   * Told every staging path before anything is written under one, and awaited: the agent notes them
   * durably, so that a restore killed half-way is cleaned up at the agent's next start.
   */
  noteStaging?: (paths: readonly string[]) => Promise<void>;
}

export interface RestoreResult {
  status: 'restored' | 'needs_retrieval';
  /** Packs in GLACIER or DEEP_ARCHIVE that must be retrieved first (nothing was written). */
  needsRetrieval: string[];
  entries: number;
  bytes: number;
  /** Held-open files written beside the original: replace them once the application lets go. */
  writtenBeside: Array<{ path: string; writtenAs: string }>;
}

interface PendingFile extends Countdown {
  entry: ManifestEntry;
  dest: string;
  temp: string;
  size: number;
  /** Whether the chunks leave a gap (a hole) the file's size must cover. */
  holes?: boolean;
  /** Chunk places to write: a file with none (empty, or all holes) is only sized. */
  remaining: number;
}

const attributesOf = ({ type, uid, gid, mode, atimeMs, mtimeMs }: ManifestEntry): Attributes => ({
  type,
  uid,
  gid,
  mode,
  atimeMs,
  mtimeMs,
});

export async function runRestore(options: RestoreOptions): Promise<RestoreResult> {
  const { repo } = options;
  // The workers boot while the index and the manifest load; the manifest's root loads beside the
  // index (its pages need the index to be found).
  cpuPool().warm();
  const [index, root] = await Promise.all([
    RepoIndex.load(repo),
    readManifestRoot(repo, options.session).catch((error: unknown) => {
      if (error instanceof ObjectMissing)
        throw TidemarkError.fromCatalogue(
          'E3371',
          { session: options.session, media: repo.storage.location, mediaId: repo.config.id },
          404,
        );
      throw error;
    }),
  ]);
  const manifest = await manifestOf(repo, root, index);
  checkManifestPaths(manifest.entries, options.session);
  const strip = (options.stripPrefix ?? '').replace(/\/+$/, '');
  const destOf = (masterPath: string) => {
    if (strip && masterPath !== strip && !masterPath.startsWith(`${strip}/`))
      throw new TidemarkError(
        'BadRequest',
        `${masterPath} is not under stripPrefix ${strip}`,
        400,
        'stripPrefix',
      );
    // No trailing slash: the root of the restored tree must be the same path as its children's parent.
    const joined = path.join(options.destination, masterPath.slice(strip.length) || '/');
    return joined.length > 1 ? joined.replace(/\/+$/, '') : joined;
  };
  const selected = selectEntries(manifest.entries, options.paths);
  const staging = new Staging(trustedFolders(options.destination, manifest.entries, destOf));
  await staging
    .plan(selected.map((e) => ({ dest: destOf(e.path), directory: e.type === 'directory' })))
    .catch((error: unknown) => {
      if (!(error instanceof PathRefused)) throw error;
      throw new TidemarkError(
        'Conflict',
        `${error.message}: remove it, or restore to another folder`,
        409,
        'destination',
      );
    });
  const byPath = new Map(manifest.entries.map((e) => [e.path, e]));

  // Which chunks go where; a hard link whose first name is not restored gets the content itself.
  const files: PendingFile[] = [];
  const targets = new Map<string, Array<{ file: PendingFile; offset: number }>>();
  const restoredPaths = new Set(selected.map((e) => e.path));
  for (const entry of selected) {
    if (entry.type !== 'file' || (entry.hardlinkTo && restoredPaths.has(entry.hardlinkTo))) continue;
    const source = entry.hardlinkTo ? (byPath.get(entry.hardlinkTo) ?? entry) : entry;
    const dest = destOf(entry.path);
    const file: PendingFile = {
      entry: { ...entry, extents: source.extents, hardlinkTo: undefined },
      dest,
      temp: staging.staged(dest),
      size: entry.size,
      remaining: 0,
    };
    files.push(file);
    let offset = 0;
    for (const [hash, length] of source.extents ?? []) {
      if (hash) {
        pushTo(targets, hash, { file, offset });
        file.remaining++;
      } else file.holes = true;
      offset += length;
    }
    if (offset < entry.size) file.holes = true;
  }
  const byPack = blobsByPack(
    index,
    targets.keys(),
    (hash) => `chunk ${hash} of session ${options.session} is in no index file`,
  );

  const result: RestoreResult = {
    status: 'restored',
    needsRetrieval: [],
    entries: 0,
    bytes: 0,
    writtenBeside: [],
  };
  result.needsRetrieval = await packsNeedingRetrieval(repo.storage, byPack.keys());
  if (result.needsRetrieval.length > 0) return { ...result, status: 'needs_retrieval' };

  const made = new Set<string>();
  const finished = new FinishedFiles<PendingFile>((batch) =>
    inBatches(
      batch.map((f): PlaceItem => [f.temp, undefined, attributesOf(f.entry)]),
      ([temp]) => temp,
      (items) => ({ op: 'placeFiles', items }),
    ),
  );
  await options.noteStaging?.(staging.stagingPaths());
  try {
    for (const entry of selected)
      if (entry.type === 'directory') await mkdir(staging.staged(destOf(entry.path)), { recursive: true });
    for (const file of files) {
      const dir = path.dirname(file.temp);
      if (!made.has(dir)) await mkdir(dir, { recursive: true });
      made.add(dir);
    }
    // Files with holes, or with nothing to write, are created and sized before any data arrives; the
    // others are created by their first write (blob-writer.ts), which saves an open and a close each.
    await inBatches(
      files.filter((f) => f.holes || f.remaining === 0).map((f): CreateItem => [f.temp, f.size]),
      ([temp]) => temp,
      (items) => ({ op: 'createFiles', items }),
    );
    const concurrency = options.concurrency ?? 4;
    const limiter = new Limiter(concurrency);
    // Two slots per pack read at once: one being written by a worker while the next group arrives.
    const rangeBytes = options.rangeBytes ?? DEFAULT_RANGE_BYTES;
    let largestBlob = 0;
    for (const list of byPack.values())
      for (const { location } of list) largestBlob = Math.max(largestBlob, location.length);
    const slots = new SharedSlots(Math.max(rangeBytes, largestBlob) + READ_INTO_ROOM, 2 * concurrency);
    const placesOf = (hash: string): Place[] =>
      (targets.get(hash) ?? []).map(({ file, offset }) => [file.temp, offset]);
    const onWritten = (blobs: PackBlob[]) => {
      for (const { hash } of blobs) for (const { file } of targets.get(hash) ?? []) finished.written(file);
    };
    let failed = false;
    let kicked = 0;
    let writeback: Promise<void> | undefined;
    // Settle every pack before cleaning up, so no write lands after the temp files are removed.
    const outcomes = await Promise.allSettled(
      [...byPack].map(([pack, blobs]) =>
        limiter.run(async () => {
          if (failed) return;
          // Awaited first: `result.bytes += await …` would read the total before the wait and lose other packs' bytes.
          const written = await restorePackBlobs(
            repo,
            pack,
            blobs,
            placesOf,
            slots,
            rangeBytes,
            onWritten,
          ).catch((error: unknown) => {
            failed = true;
            throw error;
          });
          result.bytes += written;
          // Writeback starts every 256 MiB, one `sync -f` at a time, rather than all at the end.
          if (result.bytes - kicked >= WRITEBACK_EVERY && !writeback) {
            kicked = result.bytes;
            writeback = startWriteback(made).finally(() => {
              writeback = undefined;
            });
          }
        }),
      ),
    );
    const rejected = outcomes.find((o): o is PromiseRejectedResult => o.status === 'rejected');
    if (rejected) throw rejected.reason;
    finished.flush();
    await finished.settled();
    // Durable before any is renamed into place, so a crash never leaves a short file under a real name.
    await makeDurable(
      files.map((f) => f.temp),
      made,
    );
    faultPoint('restore.before-place');
  } catch (error) {
    await finished.settled().catch(() => undefined);
    await Promise.all(staging.stagingPaths().map((p) => rm(p, { recursive: true, force: true })));
    // A write's errno names no file: say which destination filled up (the staged files are gone again).
    if (isNoSpace(error)) {
      const detail = error instanceof Error ? error.message : String(error);
      throw new Error(`restoring into ${options.destination}: ${detail}`, { cause: error });
    }
    throw error;
  }

  // Every chunk verified: now put things in place.
  const placedAs = (dest: string) => (options.heldOpen?.has(dest) ? `${dest}.TMP` : dest);
  const finalName = (dest: string) => {
    if (placedAs(dest) !== dest) result.writtenBeside.push({ path: dest, writtenAs: placedAs(dest) });
    return placedAs(dest);
  };
  await inBatches(
    files
      .filter((f) => !f.attributed || staging.ownAnchor(f.dest))
      .map(
        (f): PlaceItem => [
          f.temp,
          staging.ownAnchor(f.dest) ? finalName(f.dest) : undefined,
          f.attributed ? undefined : attributesOf(f.entry),
        ],
      ),
    ([temp]) => temp,
    (items) => ({ op: 'placeFiles', items }),
  );
  result.entries += files.length;
  for (const entry of selected) {
    if (entry.type === 'symlink') {
      const dest = destOf(entry.path);
      const staged = staging.staged(dest);
      await mkdir(path.dirname(staged), { recursive: true });
      await symlink(entry.target ?? '', staged);
      await applyAttributes(staged, entry);
      if (staging.ownAnchor(dest)) await rename(staged, finalName(dest));
      result.entries++;
    } else if (entry.type === 'file' && entry.hardlinkTo && restoredPaths.has(entry.hardlinkTo)) {
      const dest = destOf(entry.path);
      const first = destOf(entry.hardlinkTo);
      const staged = staging.staged(dest);
      // The first name is in place already if it was renamed on its own (as .TMP if held open), else still staged.
      await link(staging.ownAnchor(first) ? placedAs(first) : staging.staged(first), staged);
      if (staging.ownAnchor(dest)) await rename(staged, finalName(dest));
      result.entries++;
    }
  }
  for (const [staged, final] of staging.folderAnchors())
    await rename(staged, final).catch((error: NodeJS.ErrnoException) => {
      if (!['ENOTEMPTY', 'EEXIST', 'ENOTDIR', 'EISDIR'].includes(error.code ?? '')) throw error;
      throw new TidemarkError(
        'Conflict',
        `${final} was created while the restore ran (${error.code}); the restored tree is at ${staged}`,
        409,
        'destination',
      );
    });
  // Directories last and deepest first, so creating their children does not move their times again.
  const dirs = selected.filter((e) => e.type === 'directory').sort((a, b) => b.path.length - a.path.length);
  for (const dir of dirs) {
    await applyAttributes(destOf(dir.path), dir);
    result.entries++;
  }
  return result;
}

/**
 * Every manifest path must be absolute with plain components: `path.join` would resolve a `..` in one
 * to somewhere outside the destination. Such a manifest is damaged or forged, so nothing is restored.
 */
function checkManifestPaths(entries: ManifestEntry[], session: string): void {
  for (const entry of entries) {
    for (const name of [entry.path, entry.hardlinkTo]) {
      if (name === undefined) continue;
      try {
        absoluteComponents(name);
      } catch (error) {
        throw new RepositoryCorrupted(
          `the manifest of session ${session} names ${JSON.stringify(name)}, which ${(error as PathRefused).why}`,
        );
      }
    }
  }
}

/**
 * The folders a restore follows even if they are symlinks, with those above them: the target folder it
 * was given, or, for a restore to the original place (`/`), the scenario's roots (its topmost entries),
 * which the master's own agent follows too. Anything below is never followed (staging.ts).
 */
function trustedFolders(
  destination: string,
  entries: ManifestEntry[],
  destOf: (masterPath: string) => string,
): string[] {
  const dest = destination.length > 1 ? destination.replace(/\/+$/, '') : destination;
  if (dest !== '/') return [dest];
  const paths = new Set(entries.map((e) => e.path));
  return entries
    .filter((e) => e.type === 'directory' && !paths.has(path.dirname(e.path)))
    .map((e) => destOf(e.path));
}

/** Runs per-file calls on the CPU workers, one batch per worker, each directory within one batch. */
async function inBatches<T>(items: T[], pathOf: (item: T) => string, task: (batch: T[]) => CpuTask) {
  const pool = cpuPool();
  await Promise.all(byDirectory(items, pathOf, pool.size).map((batch) => pool.run(task(batch))));
}

function selectEntries(entries: ManifestEntry[], paths?: string[]): ManifestEntry[] {
  if (!paths || paths.length === 0) return entries;
  const wanted = paths.map((p) => p.replace(/\/+$/, '') || '/');
  const selected = entries.filter((e) =>
    wanted.some((p) => e.path === p || e.path.startsWith(p === '/' ? '/' : `${p}/`)),
  );
  const missing = wanted.filter((p) => !entries.some((e) => e.path === p));
  if (missing.length > 0)
    throw new TidemarkError('NotFound', `not in this session: ${missing.join(', ')}`, 404, 'paths');
  return selected;
}

function pushTo<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}
