/**
 * Skips re-reading files that have not changed since the previous session,
 * like restic's parent snapshot: a file whose size, mtime, ctime and inode
 * all match its entry in the parent manifest reuses that entry's extents,
 * provided every chunk they name is still in the index. ctime is the guard
 * that matters: a write that restores mtime (touch -d, rsync -t) still
 * moves ctime, which no user can set.
 */
import type { Extent, Manifest, ManifestEntry } from './manifest.js';
import { listSessions, manifestOf, readManifest, readManifestRoot } from './manifest.js';
import type { RepoIndex } from './repo-index.js';
import type { Repository } from './repository.js';
import type { ScanSource } from './scanner.js';
import type { ViewStat } from './snapshot-view.js';

/** How many of the newest sessions are opened looking for one of the same host, entity and sources. */
const LOOK_BACK = 5;

export class ParentCache {
  private readonly files = new Map<string, ManifestEntry>();

  constructor(
    readonly session: string,
    manifest: Manifest,
    private readonly index: RepoIndex,
  ) {
    for (const entry of manifest.entries)
      if (entry.type === 'file' && entry.extents && entry.ino !== undefined && entry.ctimeMs !== undefined)
        this.files.set(entry.path, entry);
  }

  /** The parent's extents for this file if it is unchanged since; undefined means "read it". */
  extentsOf(masterPath: string, stat: ViewStat): Extent[] | undefined {
    const entry = this.files.get(masterPath);
    if (
      !entry ||
      entry.size !== stat.size ||
      entry.mtimeMs !== stat.mtimeMs ||
      entry.ctimeMs !== stat.ctimeMs ||
      entry.ino !== stat.ino
    )
      return undefined;
    for (const [hash] of entry.extents ?? []) if (hash && !this.index.has(hash)) return undefined;
    return entry.extents;
  }

  /**
   * The parent named, or else the newest session backed up from the same
   * host, entity and sources; undefined when there is none (a first backup).
   */
  static async find(
    repo: Repository,
    index: RepoIndex,
    want: { parent?: string; masterHost: string; entity?: string; sources: ScanSource[] },
  ): Promise<ParentCache | undefined> {
    if (want.parent) return new ParentCache(want.parent, await readManifest(repo, want.parent, index), index);
    const sources = JSON.stringify(want.sources);
    const sessions = (await listSessions(repo)).reverse().slice(0, LOOK_BACK);
    for (const session of sessions) {
      // The root says whose session it is; only the match's pages are read.
      const root = await readManifestRoot(repo, session).catch(() => undefined);
      if (
        root &&
        root.masterHost === want.masterHost &&
        root.entity === want.entity &&
        JSON.stringify(root.sources) === sources
      ) {
        const manifest = await manifestOf(repo, root, index).catch(() => undefined);
        if (manifest) return new ParentCache(session, manifest, index);
      }
    }
    return undefined;
  }
}
