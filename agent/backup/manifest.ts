/**
 * A session's manifest: the tree as seen on the master (its host name and
 * paths), attributes, and each file's content as a list of chunk references
 * and holes. Its root (sessions/<id>/manifest) is sealed like the index
 * files and written last, which is what makes a session exist. Version 2
 * roots name their entries' pages, which live in the packs
 * (manifest-pages.ts); version 1 roots, from before pages, hold the entries
 * themselves and are still read.
 */
import { z } from 'zod';
import { ManifestEntry } from './manifest-entry.js';
import { readPages } from './manifest-pages.js';
import { RepoIndex } from './repo-index.js';
import type { Repository } from './repository.js';
import { keys } from './repository.js';

export { Extent, ManifestEntry } from './manifest-entry.js';

const ManifestHeader = z.strictObject({
  session: z.string(),
  repoId: z.string(),
  createdAt: z.iso.datetime(),
  masterHost: z.string(),
  entity: z.string().optional(),
  /** Which master path each backed-up view path stands for. */
  sources: z.array(z.strictObject({ viewPath: z.string(), masterPath: z.string() })),
  /** Extended attributes are not recorded: Node has no xattr API and no maintained pure-JS library provides one. */
  xattrs: z.literal('not-recorded'),
  stats: z.strictObject({
    files: z.number().int(),
    bytes: z.number().int(),
    newChunks: z.number().int(),
    newBytes: z.number().int(),
    storedBytes: z.number().int(),
    reusedChunks: z.number().int(),
  }),
  /** The session unchanged files were taken from without reading them (see parent-cache.ts). */
  parent: z.string().optional(),
});
const PageHash = z.string().regex(/^[0-9a-f]{64}$/);

/** The root as stored: the entries themselves (version 1) or the pages that hold them (version 2). */
const ManifestRoot = z.discriminatedUnion('version', [
  ManifestHeader.extend({ version: z.literal(1), entries: z.array(ManifestEntry) }),
  ManifestHeader.extend({ version: z.literal(2), pages: z.array(PageHash) }),
]);
export type ManifestRoot = z.infer<typeof ManifestRoot>;

/** A manifest as read: the root's header with every entry, and (version 2) the pages they came from. */
export type Manifest = z.infer<typeof ManifestHeader> & {
  version: 1 | 2;
  entries: ManifestEntry[];
  pages?: string[];
};

/** The root alone: enough to tell whose session it is without reading its pages. */
export async function readManifestRoot(repo: Repository, session: string): Promise<ManifestRoot> {
  const sealed = await repo.storage.get(keys.manifest(session));
  return ManifestRoot.parse(repo.openJson(sealed, keys.manifest(session), `manifest of session ${session}`));
}

/** A root with its entries; `index` locates the pages (loaded here when not given). */
export async function manifestOf(repo: Repository, root: ManifestRoot, index?: RepoIndex): Promise<Manifest> {
  if (root.version === 1) return root;
  const entries = await readPages(repo, index ?? (await RepoIndex.load(repo)), root.pages, root.session);
  return { ...root, entries };
}

export async function readManifest(repo: Repository, session: string, index?: RepoIndex): Promise<Manifest> {
  return manifestOf(repo, await readManifestRoot(repo, session), index);
}

/** Sessions whose manifest exists: the only ones a restore may pick. */
export async function listSessions(repo: Repository): Promise<string[]> {
  const objects = await repo.storage.list('sessions/');
  return objects
    .filter((o) => o.key.endsWith('/manifest'))
    .map((o) => o.key.slice('sessions/'.length, -'/manifest'.length))
    .sort();
}

/** Removes a session from the repository (retention); its chunks and pages go with the next gc. */
export async function forgetSession(repo: Repository, session: string): Promise<void> {
  await repo.storage.delete(keys.manifest(session));
}
