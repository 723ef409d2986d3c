/**
 * Where a repository's objects live. Keys are relative to the repository
 * root: `config`, `packs/<id>`, `index/<id>`, `sessions/<session>/manifest`.
 * `put` is atomic: an object is either absent or whole, never partly
 * written, and durable once the promise resolves.
 */
import { DIRECT_READ_ROOM } from './direct-io.js';

/** What `readInto` may use of its slot beyond the bytes asked for. */
export const READ_INTO_ROOM = DIRECT_READ_ROOM;

export interface StoredObject {
  key: string;
  size: number;
  modified: Date;
}

export interface PutOptions {
  sha256?: string;
  /** Object tags where the backend has them (S3): data packs are tagged for the colder tiers (core/media-tiers.ts). */
  tags?: Readonly<Record<string, string>>;
}

export interface StorageBackend {
  /** A short description for messages, e.g. `s3://bucket/repos/r1/`. */
  readonly location: string;
  /**
   * `body` may come in parts, written in order without being joined first. `sha256` (hex), when the
   * caller already knows the body's SHA-256 (a pack's name), spares the backend hashing it again and
   * lets it have the store verify the upload (S3's `x-amz-checksum-sha256`).
   */
  put(key: string, body: Buffer | Buffer[], options?: PutOptions): Promise<void>;
  get(key: string): Promise<Buffer>;
  getRange(key: string, offset: number, length: number): Promise<Buffer>;
  /**
   * `length` bytes from `offset` as they arrive, in one request: a restore reads a pack's needed
   * span this way. Opening is retried like every call; a stream that breaks later is the caller's
   * to recover (with `getRange`).
   */
  getStream(key: string, offset: number, length: number): Promise<AsyncIterable<Uint8Array>>;
  /**
   * Reads `length` bytes from `offset` straight into `slot`, where the backend can (a local file:
   * `pread` into the caller's buffer, no stream chunks to copy), and returns where they start in
   * `slot`: a backend reading whole disk blocks (direct-io.ts) puts the range a little way in, so
   * `slot` needs READ_INTO_ROOM bytes beyond `length`. A restore prefers it to `getStream`. Fails if
   * the object is shorter.
   */
  readInto?(key: string, offset: number, length: number, slot: Buffer): Promise<number>;
  list(prefix: string): Promise<StoredObject[]>;
  delete(key: string): Promise<void>;
  /** The object's storage class where the backend has tiers (S3); undefined otherwise. */
  storageClass(key: string): Promise<{ storageClass?: string; restored: boolean } | undefined>;
}

/** Thrown by `get`/`getRange` when the object does not exist. */
export class ObjectMissing extends Error {
  constructor(readonly key: string) {
    super(`object ${key} does not exist`);
    this.name = 'ObjectMissing';
  }
}

/** Thrown by `readInto` when the object ends before the bytes asked for. */
export class ShortObject extends Error {
  constructor(
    readonly key: string,
    readonly size: number,
  ) {
    super(`object ${key} ends at byte ${size}, before the range asked for`);
    this.name = 'ShortObject';
  }
}
