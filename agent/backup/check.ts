/**
 * Verifies a repository: every pack's bytes hash to its name, every blob the
 * index names decrypts, decompresses and hashes to its id, and every chunk a
 * manifest references is in the index. Reports problems instead of stopping
 * at the first, so an operator sees the whole damage.
 */
import { createHash } from 'node:crypto';
import { verifyBlob } from './blob-reader.js';
import { Limiter } from './limiter.js';
import { listSessions, readManifest } from './manifest.js';
import { RepoIndex } from './repo-index.js';
import { keys, type Repository } from './repository.js';

export interface CheckReport {
  ok: boolean;
  packs: number;
  blobs: number;
  sessions: number;
  problems: string[];
}

export async function checkRepository(
  repo: Repository,
  options: { concurrency?: number } = {},
): Promise<CheckReport> {
  const problems: string[] = [];
  let index: RepoIndex;
  try {
    index = await RepoIndex.load(repo);
  } catch (error) {
    return {
      ok: false,
      packs: 0,
      blobs: 0,
      sessions: 0,
      problems: [`index unreadable: ${(error as Error).message}`],
    };
  }
  const stored = new Set((await repo.storage.list('packs/')).map((o) => o.key.slice('packs/'.length)));
  const byPack = new Map<string, Array<[string, number, number]>>();
  for (const [hash, location] of index.blobs) {
    const list = byPack.get(location.pack) ?? [];
    list.push([hash, location.offset, location.length]);
    byPack.set(location.pack, list);
  }
  let blobs = 0;
  const limiter = new Limiter(options.concurrency ?? 4);
  await Promise.all(
    [...byPack].map(([pack, entries]) =>
      limiter.run(async () => {
        if (!stored.has(pack)) {
          problems.push(`pack ${pack} is named by the index but missing`);
          return;
        }
        const body = await repo.storage.get(keys.pack(pack));
        if (createHash('sha256').update(body).digest('hex') !== pack)
          problems.push(`pack ${pack} does not match its hash (corrupted)`);
        for (const [hash, offset, length] of entries) {
          try {
            await verifyBlob(repo, pack, hash, body.subarray(offset, offset + length));
            blobs++;
          } catch (error) {
            problems.push((error as Error).message);
          }
        }
      }),
    ),
  );
  const sessions = await listSessions(repo);
  for (const session of sessions) {
    try {
      const manifest = await readManifest(repo, session, index);
      const missing = new Set<string>();
      for (const entry of manifest.entries)
        for (const [hash] of entry.extents ?? []) if (hash && !index.has(hash)) missing.add(hash);
      if (missing.size > 0)
        problems.push(`session ${session} references ${missing.size} chunk(s) in no index file`);
    } catch (error) {
      problems.push(`manifest of session ${session} is unreadable: ${(error as Error).message}`);
    }
  }
  return {
    ok: problems.length === 0,
    packs: byPack.size,
    blobs,
    sessions: sessions.length,
    problems: problems.sort(),
  };
}
