/**
 * Sessions: one entity's backup inside a job. A session is written
 * uncommitted while its data uploads and becomes visible to every catalog
 * list only once committed, so a restore can never pick a half-written one.
 */
import { z } from 'zod';
import { HostName } from './host.js';
import { AbsolutePath } from './scenario.js';

export const MediaTier = z.enum(['STANDARD', 'GLACIER', 'DEEP_ARCHIVE']);
export type MediaTier = z.infer<typeof MediaTier>;

/** Where a session's objects live: bucket, key prefix and storage tier. */
export const Media = z.object({
  bucket: z.string().min(3).max(63),
  prefix: z.string().min(1).max(512),
  tier: MediaTier,
});
export type Media = z.infer<typeof Media>;

/** Session numbers are positive and unique in the deployment (part A's atomic counter). */
export const SessionNumber = z.coerce.number().int().min(1).max(999_999_999_999);

export const Session = z.object({
  number: z.number().int().min(1),
  jobId: z.string().min(1),
  scenarioId: z.string().min(1),
  scenarioName: z.string().min(1),
  entity: z.string().min(1),
  masterHost: HostName,
  masterPaths: z.array(AbsolutePath).min(1).max(64),
  media: Media,
  bytes: z.number().int().min(0),
  files: z.number().int().min(0),
  directories: z.number().int().min(0),
  startedAt: z.iso.datetime(),
  endedAt: z.iso.datetime().optional(),
  /** Id of the KMS-wrapped data key of the session; the key itself is never in the catalog. */
  encryptionKeyId: z.string().min(1).max(2048),
  committed: z.boolean(),
  applicationConsistent: z.boolean(),
  /** The session's file-name index object, set at commit (see docs/file-index.md). */
  nameIndex: z
    .object({ key: z.string().min(1), names: z.number().int().min(0), sha256: z.string().length(64) })
    .optional(),
});
export type Session = z.infer<typeof Session>;

/** What a backup step records before its data uploads: everything but the commit-time fields. */
export const NewSession = Session.omit({ committed: true, nameIndex: true, endedAt: true });
export type NewSession = z.infer<typeof NewSession>;

/** `s3://bucket/prefix` → media filter of the sessions list. */
export function parseMediaRef(text: string): { bucket: string; prefix: string } | undefined {
  const match = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])\/(.+)$/.exec(text);
  return match?.[1] && match[2] ? { bucket: match[1], prefix: match[2] } : undefined;
}

/** The S3 key of a session's file-name index. */
export function nameIndexKey(media: Pick<Media, 'prefix'>, number: number): string {
  return `${media.prefix.replace(/\/+$/, '')}/sessions/${number}/names`;
}
