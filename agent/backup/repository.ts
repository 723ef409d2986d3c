/**
 * A repository: its storage, its config, and its data key. The config is the
 * only plain-text object; it holds the KMS-wrapped data key and a key check
 * (a known text sealed with the data key), so opening a repository with the
 * wrong key fails at once with a clear message instead of on the first pack.
 * In a version 2 config the key check is sealed over every other field of
 * the config, so a changed id, key id, compression or chunker is refused
 * too, and every blob is bound to the repository id and its name
 * (repo-key.ts). Version 1 repositories open as before.
 */
import { randomUUID } from 'node:crypto';
import { brotliDecompressSync } from 'node:zlib';
import { z } from 'zod';
import { TidemarkError } from '../../core/error-catalogue.js';
import { compressJson } from './compression.js';
import type { ChunkerParams } from './gear-chunker.js';
import type { KeyWrapper } from './key-wrapper.js';
import { AuthenticationFailed, RepoKey } from './repo-key.js';
import { ObjectMissing, type StorageBackend } from './storage.js';

const KEY_CHECK = 'tidemark repository key check v1';

export const RepoConfig = z.strictObject({
  /** 1: blobs sealed without associated data and an unauthenticated config; 2: both bound (see above). */
  version: z.union([z.literal(1), z.literal(2)]),
  id: z.string(),
  createdAt: z.iso.datetime(),
  kmsKeyId: z.string(),
  wrappedKey: z.base64(),
  keyCheck: z.base64(),
  /** How new chunks are compressed; `brotli-1` is how repositories made before zstd stay (see compression.ts). */
  compression: z.enum(['brotli-1', 'zstd']),
  chunker: z.strictObject({
    minSize: z.number().int().min(64),
    avgSize: z.number().int().min(256),
    maxSize: z.number().int().min(1024),
  }),
});
export type RepoConfig = z.infer<typeof RepoConfig>;

export const DEFAULT_CHUNKER: ChunkerParams = {
  minSize: 256 * 1024,
  avgSize: 1024 * 1024,
  maxSize: 4 * 1024 * 1024,
};

export const keys = {
  config: 'config',
  pack: (id: string) => `packs/${id}`,
  index: (id: string) => `index/${id}`,
  manifest: (session: string) => `sessions/${session}/manifest`,
};

export class Repository {
  constructor(
    readonly storage: StorageBackend,
    readonly config: RepoConfig,
    readonly key: RepoKey,
  ) {}

  /** Seals a JSON document stored at `objectKey` (index file, manifest root): compressed, then encrypted. */
  sealJson(value: unknown, objectKey: string): Buffer {
    return this.key.seal(compressJson(Buffer.from(JSON.stringify(value))), objectKey);
  }

  openJson(sealed: Buffer, objectKey: string, what: string): unknown {
    return JSON.parse(brotliDecompressSync(this.key.open(sealed, objectKey, what)).toString('utf8'));
  }
}

/** What a version 2 key check is sealed under: every config field but the check, in a fixed order. */
function keyCheckName(config: Omit<RepoConfig, 'keyCheck'>): string {
  const { version, id, createdAt, kmsKeyId, wrappedKey, compression, chunker } = config;
  const fields = [
    version,
    id,
    createdAt,
    kmsKeyId,
    wrappedKey,
    compression,
    chunker.minSize,
    chunker.avgSize,
  ];
  return `${keys.config}:${JSON.stringify([...fields, chunker.maxSize])}`;
}

export async function initRepository(
  storage: StorageBackend,
  wrapper: KeyWrapper,
  chunker: ChunkerParams = DEFAULT_CHUNKER,
): Promise<Repository> {
  const existing = await storage.get(keys.config).catch((error: unknown) => {
    if (error instanceof ObjectMissing) return undefined;
    throw error;
  });
  if (existing)
    throw new TidemarkError('Conflict', `a repository already exists at ${storage.location}`, 409);
  const { plain, wrapped } = await wrapper.generate();
  const unchecked = {
    version: 2 as const,
    id: randomUUID(),
    createdAt: new Date().toISOString(),
    kmsKeyId: wrapper.keyId,
    wrappedKey: wrapped.toString('base64'),
    compression: 'zstd' as const,
    chunker,
  };
  const key = new RepoKey(plain, unchecked.id);
  const keyCheck = key.seal(Buffer.from(KEY_CHECK), keyCheckName(unchecked)).toString('base64');
  const config: RepoConfig = { ...unchecked, keyCheck };
  await storage.put(keys.config, Buffer.from(JSON.stringify(config, null, 2)));
  return new Repository(storage, config, key);
}

export async function openRepository(storage: StorageBackend, wrapper: KeyWrapper): Promise<Repository> {
  let raw: Buffer;
  try {
    raw = await storage.get(keys.config);
  } catch (error) {
    if (error instanceof ObjectMissing)
      throw new TidemarkError('NotFound', `no repository at ${storage.location} (config missing)`, 404);
    throw error;
  }
  const parsed = RepoConfig.safeParse(JSON.parse(raw.toString('utf8')));
  if (!parsed.success)
    throw new TidemarkError(
      'BadRequest',
      `the repository config at ${storage.location} is not valid: ${parsed.error.issues[0]?.message}`,
    );
  let plain: Buffer;
  try {
    plain = await wrapper.unwrap(Buffer.from(parsed.data.wrappedKey, 'base64'));
  } catch (error) {
    throw new TidemarkError(
      'Forbidden',
      `KMS key ${wrapper.keyId} cannot unwrap the key of repository ${storage.location}: ${(error as Error).name}`,
      403,
    );
  }
  const config = parsed.data;
  const bound = config.version === 2;
  const key = new RepoKey(plain, bound ? config.id : undefined);
  try {
    const checked = key.open(
      Buffer.from(config.keyCheck, 'base64'),
      bound ? keyCheckName(config) : keys.config,
      'key check',
    );
    if (checked.toString() !== KEY_CHECK) throw new AuthenticationFailed('key check');
  } catch (error) {
    if (!(error instanceof AuthenticationFailed)) throw error;
    throw new TidemarkError(
      'Forbidden',
      bound
        ? `the repository config at ${storage.location} does not authenticate: it was changed, or the key is another repository's`
        : `wrong key for repository ${storage.location}: the key check does not authenticate`,
      403,
    );
  }
  return new Repository(storage, parsed.data, key);
}
