/**
 * A session's manifest: the tree as seen on the master (its host name and
 * paths), attributes, and each file's content as a list of chunk references
 * and holes. Sealed like every other blob; written last, which is what makes
 * a session exist.
 */
import { z } from 'zod';
import type { Repository } from './repository.js';
import { keys } from './repository.js';

/** `[sha256 hex, length]` is a chunk, `[null, length]` a hole (sparse region, all zeros). */
export const Extent = z.tuple([
  z
    .string()
    .regex(/^[0-9a-f]{64}$/)
    .nullable(),
  z.number().int().min(0),
]);
export type Extent = z.infer<typeof Extent>;

export const ManifestEntry = z.strictObject({
  path: z.string().startsWith('/'),
  type: z.enum(['file', 'directory', 'symlink']),
  mode: z.number().int(),
  uid: z.number().int(),
  gid: z.number().int(),
  mtimeMs: z.number(),
  atimeMs: z.number(),
  size: z.number().int().min(0),
  extents: z.array(Extent).optional(),
  target: z.string().optional(),
  /** Another path of the same inode, backed up before this one. */
  hardlinkTo: z.string().optional(),
  /** Files: the inode and ctime the backup read (on the replica), so the next backup can skip it if unchanged. */
  ino: z.number().int().optional(),
  ctimeMs: z.number().optional(),
});
export type ManifestEntry = z.infer<typeof ManifestEntry>;

export const Manifest = z.strictObject({
  version: z.literal(1),
  session: z.string(),
  repoId: z.string(),
  createdAt: z.iso.datetime(),
  masterHost: z.string(),
  entity: z.string().optional(),
  /** Which master path each backed-up view path stands for. */
  sources: z.array(z.strictObject({ viewPath: z.string(), masterPath: z.string() })),
  entries: z.array(ManifestEntry),
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
export type Manifest = z.infer<typeof Manifest>;

export async function readManifest(repo: Repository, session: string): Promise<Manifest> {
  const sealed = await repo.storage.get(keys.manifest(session));
  return Manifest.parse(repo.openJson(sealed, `manifest of session ${session}`));
}

/** Sessions whose manifest exists: the only ones a restore may pick. */
export async function listSessions(repo: Repository): Promise<string[]> {
  const objects = await repo.storage.list('sessions/');
  return objects
    .filter((o) => o.key.endsWith('/manifest'))
    .map((o) => o.key.slice('sessions/'.length, -'/manifest'.length))
    .sort();
}

/** Removes a session from the repository (retention); its chunks go with the next gc. */
export async function forgetSession(repo: Repository, session: string): Promise<void> {
  await repo.storage.delete(keys.manifest(session));
}
