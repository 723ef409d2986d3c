/**
 * A repository: its storage, its config, and its data key. The config is the
 * only plain-text object; it holds the KMS-wrapped data key and a key check
 * (a known text sealed with the data key), so opening a repository with the
 * wrong key fails at once with a clear message instead of on the first pack.
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
  version: z.literal(1),
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

  /** Seals a JSON document (index file, manifest root): compressed (`compressJson`), then encrypted. */
  sealJson(value: unknown): Buffer {
    return this.key.seal(compressJson(Buffer.from(JSON.stringify(value))));
  }

  openJson(sealed: Buffer, what: string): unknown {
    return JSON.parse(brotliDecompressSync(this.key.open(sealed, what)).toString('utf8'));
  }
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
  const key = new RepoKey(plain);
  const config: RepoConfig = {
    version: 1,
    id: randomUUID(),
    createdAt: new Date().toISOString(),
    kmsKeyId: wrapper.keyId,
    wrappedKey: wrapped.toString('base64'),
    keyCheck: key.seal(Buffer.from(KEY_CHECK)).toString('base64'),
    compression: 'zstd',
    chunker,
  };
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
  const key = new RepoKey(plain);
  try {
    if (key.open(Buffer.from(parsed.data.keyCheck, 'base64'), 'key check').toString() !== KEY_CHECK)
      throw new AuthenticationFailed('key check');
  } catch (error) {
    if (!(error instanceof AuthenticationFailed)) throw error;
    throw new TidemarkError(
      'Forbidden',
      `wrong key for repository ${storage.location}: the key check does not authenticate`,
      403,
    );
  }
  return new Repository(storage, parsed.data, key);
}
