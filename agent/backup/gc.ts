/**
 * Garbage collection: deletes packs that no committed manifest references
 * (by a chunk of a file or by a page of its entries),
 * and rewrites the index without them. Packs and index files younger than
 * the grace period are never touched: they may belong to a backup still in
 * progress, whose manifest does not exist yet. A pack that holds any
 * referenced chunk is kept whole (no repacking).
 */
import { listSessions, readManifest } from './manifest.js';
import { type IndexFile, RepoIndex, writeIndexFile } from './repo-index.js';
import { keys, type Repository } from './repository.js';

export interface GcReport {
  deletedPacks: string[];
  keptPacks: number;
  reclaimedBytes: number;
}

export async function collectGarbage(
  repo: Repository,
  options: { graceMs?: number; now?: Date } = {},
): Promise<GcReport> {
  const cutoff = (options.now ?? new Date()).getTime() - (options.graceMs ?? 60 * 60 * 1000);
  const index = await RepoIndex.load(repo);
  const referenced = new Set<string>();
  for (const session of await listSessions(repo)) {
    const manifest = await readManifest(repo, session, index);
    for (const page of manifest.pages ?? []) referenced.add(page);
    for (const entry of manifest.entries)
      for (const [hash] of entry.extents ?? []) if (hash) referenced.add(hash);
  }
  const livePacks = new Set<string>();
  for (const [hash, location] of index.blobs) if (referenced.has(hash)) livePacks.add(location.pack);

  const indexObjects = await repo.storage.list('index/');
  const youngIndex = new Set(
    indexObjects.filter((o) => o.modified.getTime() > cutoff).map((o) => o.key.slice(6)),
  );
  // Packs named by a young index file belong to a backup that may not have written its manifest yet.
  for (const name of youngIndex)
    for (const pack of index.files.get(name)?.packs ?? []) livePacks.add(pack.id);

  const report: GcReport = { deletedPacks: [], keptPacks: 0, reclaimedBytes: 0 };
  const doomed: Array<{ id: string; size: number }> = [];
  for (const object of await repo.storage.list('packs/')) {
    const id = object.key.slice('packs/'.length);
    if (livePacks.has(id) || object.modified.getTime() > cutoff) report.keptPacks++;
    else doomed.push({ id, size: object.size });
  }
  if (doomed.length === 0) return report;

  // New index first (without the doomed packs), then drop the old index files, then the packs:
  // at every step each manifest's chunks stay findable.
  const doomedIds = new Set(doomed.map((d) => d.id));
  const oldFiles = [...index.files].filter(([name]) => !youngIndex.has(name));
  const survivors: IndexFile['packs'] = [];
  for (const [, file] of oldFiles)
    for (const pack of file.packs) if (!doomedIds.has(pack.id)) survivors.push(pack);
  if (survivors.length > 0) await writeIndexFile(repo, { version: 1, packs: survivors });
  for (const [name] of oldFiles) await repo.storage.delete(keys.index(name));
  for (const { id, size } of doomed) {
    await repo.storage.delete(keys.pack(id));
    report.deletedPacks.push(id);
    report.reclaimedBytes += size;
  }
  return report;
}
