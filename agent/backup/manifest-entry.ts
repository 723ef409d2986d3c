/**
 * One entry of a session's manifest: a path as seen on the master, its
 * attributes, and for a file its content as chunk references and holes.
 * Its own module so that manifest pages (manifest-pages.ts) and the whole
 * manifest (manifest.ts) can both use it.
 */
import { z } from 'zod';

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
