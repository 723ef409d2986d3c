/**
 * Writes a session's file-name index (core/file-index codec) beside its
 * manifest, at `nameIndexKey(media, number)`, built from the manifest's
 * master paths: restore by query and by tree read it without opening the
 * encrypted manifest. The bucket's default SSE-KMS encrypts it at rest.
 */
import { createHash } from 'node:crypto';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { BackedUpSession } from '../../core/agent-commands.js';
import { buildNameIndex, countFiles, encodeNameIndex } from '../../core/file-index/name-index-codec.js';
import { type Media, nameIndexKey } from '../../core/session.js';
import type { Manifest } from '../backup/manifest.js';

export async function uploadNameIndex(
  s3: S3Client,
  media: Media,
  number: number,
  manifest: Manifest,
): Promise<BackedUpSession['nameIndex']> {
  const names = manifest.entries.filter((entry) => entry.type !== 'directory').map((entry) => entry.path);
  const directories = manifest.entries
    .filter((entry) => entry.type === 'directory')
    .map((entry) => entry.path);
  const data = buildNameIndex(names, directories);
  const body = encodeNameIndex(data);
  const key = nameIndexKey(media, number);
  await s3.send(new PutObjectCommand({ Bucket: media.bucket, Key: key, Body: body }));
  return { key, names: countFiles(data), sha256: createHash('sha256').update(body).digest('hex') };
}
