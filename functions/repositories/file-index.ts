/**
 * File-name indexes of committed sessions in S3 (see docs/file-index.md):
 * written once by the agent that backed the session up, encrypted on its
 * host (core/file-index/name-index-envelope.ts), then only read. A warm
 * function keeps decoded indexes in memory (they never change, so the cache
 * needs no invalidation), bounded by a total count of names.
 */
import { createHash } from 'node:crypto';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { clients } from '../../core/aws-clients.js';
import { ENV, requireEnv } from '../../core/environment.js';
import { TidemarkError } from '../../core/error-catalogue.js';
import { NameIndex } from '../../core/file-index/name-index.js';
import { buildNameIndex, decodeNameIndex, encodeNameIndex } from '../../core/file-index/name-index-codec.js';
import { openNameIndex, sealNameIndex } from '../../core/file-index/name-index-envelope.js';
import type { CompiledPattern } from '../../core/file-index/wildcard.js';
import { type Media, nameIndexKey, type Session } from '../../core/session.js';

/** About 3 million names decoded stay in memory; older indexes are dropped first. */
const CACHE_NAME_BUDGET = 3_000_000;
/** Indexes fetched at once: a cold query over 20 sessions waits on one round of S3 reads, not three. */
const LOAD_CONCURRENCY = 16;

const cache = new Map<string, NameIndex>();
let cachedNames = 0;

/**
 * Writes a session's name index as the agent does (agent/daemon/name-index-upload.ts) and returns
 * what its catalog item records of it: for tools and tests that catalog sessions without an agent.
 */
export async function writeNameIndex(
  scenarioId: string,
  media: Media,
  number: number,
  files: Iterable<string>,
  directories: Iterable<string> = [],
): Promise<NonNullable<Session['nameIndex']>> {
  const data = buildNameIndex(files, directories);
  const key = nameIndexKey(media, number);
  const body = await sealNameIndex(encodeNameIndex(data), {
    kms: clients.kms(),
    keyId: requireEnv(ENV.mediaKeyId),
    scenarioId,
    objectKey: key,
  });
  await clients.s3().send(
    new PutObjectCommand({
      Bucket: media.bucket,
      Key: key,
      Body: body,
      ContentType: 'application/octet-stream',
    }),
  );
  const names = data.files.reduce((total, list) => total + list.length, 0);
  return { key, names, sha256: createHash('sha256').update(body).digest('hex') };
}

/** A committed session's decoded index; E3371 when the catalog names none or S3 has lost it. */
export async function loadNameIndex(session: Session): Promise<NameIndex> {
  const ref = session.nameIndex;
  if (!ref) throw missing(session, 'the session has no file-name index');
  const cacheKey = `${session.media.bucket}/${ref.key}#${ref.sha256}`;
  const hit = cache.get(cacheKey);
  if (hit) {
    // Re-insert: Map order is the LRU order.
    cache.delete(cacheKey);
    cache.set(cacheKey, hit);
    return hit;
  }
  let bytes: Uint8Array;
  try {
    const object = await clients
      .s3()
      .send(new GetObjectCommand({ Bucket: session.media.bucket, Key: ref.key }));
    bytes = (await object.Body?.transformToByteArray()) ?? new Uint8Array();
  } catch (error) {
    const name = (error as { name?: string }).name;
    if (name === 'NoSuchKey' || name === 'NotFound' || name === 'NoSuchBucket') {
      throw missing(session, `s3://${session.media.bucket}/${ref.key} is missing`);
    }
    throw error;
  }
  if (createHash('sha256').update(bytes).digest('hex') !== ref.sha256) {
    throw new TidemarkError(
      'InternalError',
      `the file-name index of session ${session.number} (s3://${session.media.bucket}/${ref.key}) does not match its catalog checksum`,
      500,
    );
  }
  const plain = await openNameIndex(bytes, {
    kms: clients.kms(),
    scenarioId: session.scenarioId,
    objectKey: ref.key,
  });
  const index = new NameIndex(decodeNameIndex(plain));
  remember(cacheKey, index);
  return index;
}

export interface QueryMatch {
  sessionNumber: number;
  scenarioId: string;
  path: string;
}

export interface QueryResult {
  matches: QueryMatch[];
  /** Matches over all searched sessions, also those past the limit. */
  total: number;
  truncated: boolean;
  sessionsSearched: number;
  filesSearched: number;
}

/** Matches a pattern over the name indexes of the given sessions (newest first), up to `limit` matches. */
export async function queryNames(
  sessions: readonly Session[],
  pattern: CompiledPattern,
  limit: number,
): Promise<QueryResult> {
  const indexes = await mapLimit(sessions, LOAD_CONCURRENCY, loadNameIndex);
  const matches: QueryMatch[] = [];
  let total = 0;
  let filesSearched = 0;
  sessions.forEach((session, i) => {
    const index = indexes[i] as NameIndex;
    filesSearched += index.files;
    index.match(pattern, (path) => {
      total++;
      if (matches.length < limit)
        matches.push({ sessionNumber: session.number, scenarioId: session.scenarioId, path });
      return true;
    });
  });
  return {
    matches,
    total,
    truncated: total > matches.length,
    sessionsSearched: sessions.length,
    filesSearched,
  };
}

function remember(key: string, index: NameIndex) {
  cache.set(key, index);
  cachedNames += index.files;
  for (const [oldKey, old] of cache) {
    if (cachedNames <= CACHE_NAME_BUDGET || oldKey === key) break;
    cache.delete(oldKey);
    cachedNames -= old.files;
  }
}

function missing(session: Session, detail: string): TidemarkError {
  const error = TidemarkError.fromCatalogue(
    'E3371',
    {
      session: session.number,
      media: `s3://${session.media.bucket}/${session.media.prefix}`,
      mediaId: session.media.bucket,
    },
    404,
  );
  return new TidemarkError(error.code, `${error.message} (${detail})`, 404);
}

async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await work(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
