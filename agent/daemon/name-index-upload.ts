/**
 * Writes a session's file-name index (core/file-index codec) beside its
 * manifest, at `nameIndexKey(media, number)`, built from the manifest's
 * master paths: restore by query and by tree read it without opening the
 * encrypted manifest. It is encrypted here, before it leaves the host
 * (core/file-index/name-index-envelope.ts), with a data key only the
 * catalog's index readers and this scenario's agents can unwrap.
 */
import { createHash } from 'node:crypto';
import type { KMSClient } from '@aws-sdk/client-kms';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { BackedUpSession } from '../../core/agent-commands.js';
import { buildNameIndex, countFiles, encodeNameIndex } from '../../core/file-index/name-index-codec.js';
import { sealNameIndex } from '../../core/file-index/name-index-envelope.js';
import { type Media, nameIndexKey } from '../../core/session.js';
import type { Manifest } from '../backup/manifest.js';

export interface NameIndexTarget {
  s3: S3Client;
  kms: KMSClient;
  /** The media key the index's data key is made under. */
  keyId: string;
  scenarioId: string;
  media: Media;
}

export async function uploadNameIndex(
  target: NameIndexTarget,
  number: number,
  manifest: Manifest,
): Promise<BackedUpSession['nameIndex']> {
  const { s3, media } = target;
  const names = manifest.entries.filter((entry) => entry.type !== 'directory').map((entry) => entry.path);
  const directories = manifest.entries
    .filter((entry) => entry.type === 'directory')
    .map((entry) => entry.path);
  const data = buildNameIndex(names, directories);
  const key = nameIndexKey(media, number);
  const body = await sealNameIndex(encodeNameIndex(data), { ...target, objectKey: key });
  await s3.send(new PutObjectCommand({ Bucket: media.bucket, Key: key, Body: body }));
  return { key, names: countFiles(data), sha256: createHash('sha256').update(body).digest('hex') };
}
