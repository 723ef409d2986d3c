/**
 * The repository data key: AES-256-GCM over every blob (packs' chunks,
 * index files, manifests) with a fresh random 96-bit nonce each, so a blob
 * is `nonce | ciphertext | tag` and any change to it fails authentication.
 *
 * A key bound to its repository (config version 2: `binding` is the
 * repository id) also authenticates what each blob is: its name (`blob/<hash>`
 * for chunks and manifest pages, the object key for index files and manifest
 * roots) goes in as associated data, so a blob moved to another name, or
 * into another repository, no longer opens. Version 1 repositories seal
 * without it and stay readable.
 */
import { createCipheriv, createDecipheriv, randomFillSync } from 'node:crypto';
import { copyBytes } from './shared-copy.js';

const NONCE = 12;
const TAG = 16;
export const SEAL_OVERHEAD = NONCE + TAG;

/**
 * Nonces come from the CSPRNG 256 at a time: a call per blob showed as ≈0.17 s in the CPU profile
 * of a benchmark backup (≈13,000 blobs). Each nonce is still 96 fresh random bits, used once.
 */
const NONCE_BATCH = 256;
const noncePool = Buffer.alloc(NONCE * NONCE_BATCH);
let nonceNext = NONCE_BATCH;

function freshNonce(): Buffer {
  if (nonceNext === NONCE_BATCH) {
    randomFillSync(noncePool);
    nonceNext = 0;
  }
  const nonce = noncePool.subarray(nonceNext * NONCE, (nonceNext + 1) * NONCE);
  nonceNext++;
  return nonce;
}

/** A blob that does not authenticate under the key: tampered, corrupted, or sealed with another key. */
export class AuthenticationFailed extends Error {
  constructor(what: string) {
    super(`${what} does not authenticate with the repository key (corrupted, or another key)`);
    this.name = 'AuthenticationFailed';
  }
}

function sealedLength(parts: Buffer[]): number {
  return parts.reduce((n, part) => n + part.length, SEAL_OVERHEAD);
}

/** The name a chunk or manifest page is sealed under: packs hold blobs by their SHA-256. */
export function blobName(hash: string): string {
  return `blob/${hash}`;
}

/** The key as CPU worker threads get it (a copy; never logged or stored). */
export interface WorkerKey {
  bytes: Uint8Array;
  binding?: string;
}

export class RepoKey {
  constructor(
    private readonly key: Buffer,
    /** The repository id a version 2 repository binds every seal to; undefined for version 1. */
    readonly binding?: string,
  ) {
    if (key.length !== 32) throw new Error('the repository key must be 32 bytes (AES-256)');
  }

  static forWorker(key: WorkerKey): RepoKey {
    return new RepoKey(Buffer.from(key.bytes), key.binding);
  }

  forWorkers(): WorkerKey {
    return { bytes: new Uint8Array(this.key), binding: this.binding };
  }

  /** Seals `plain` (or the concatenation of its parts, encrypted in turn) as the blob called `name`. */
  seal(plain: Buffer | Buffer[], name: string): Buffer {
    const parts = Array.isArray(plain) ? plain : [plain];
    const sealed = Buffer.allocUnsafe(sealedLength(parts));
    this.sealInto(parts, sealed, 0, name);
    return sealed;
  }

  /** Seals the concatenation of `parts` into `target` at `offset`; returns the sealed length. */
  sealInto(parts: Buffer[], target: Buffer, offset: number, name: string): number {
    const length = sealedLength(parts);
    if (offset + length > target.length) throw new Error('a sealed blob does not fit its buffer');
    // A view into the pool, copied into `target` before the pool is refilled.
    const nonce = freshNonce();
    const cipher = createCipheriv('aes-256-gcm', this.key, nonce);
    const aad = this.associatedData(name);
    if (aad) cipher.setAAD(aad);
    let at = offset + copyBytes(nonce, target, offset);
    for (const part of parts) at += copyBytes(cipher.update(part), target, at);
    at += copyBytes(cipher.final(), target, at);
    copyBytes(cipher.getAuthTag(), target, at);
    return length;
  }

  /** Opens the blob called `name`; `what` says what it is in an error. */
  open(sealed: Buffer, name: string, what = name): Buffer {
    if (sealed.length < SEAL_OVERHEAD) throw new AuthenticationFailed(what);
    const decipher = createDecipheriv('aes-256-gcm', this.key, sealed.subarray(0, NONCE));
    decipher.setAuthTag(sealed.subarray(sealed.length - TAG));
    const aad = this.associatedData(name);
    if (aad) decipher.setAAD(aad);
    const body = decipher.update(sealed.subarray(NONCE, sealed.length - TAG));
    try {
      decipher.final();
    } catch {
      throw new AuthenticationFailed(what);
    }
    return body;
  }

  private associatedData(name: string): Buffer | undefined {
    // NUL cannot occur in a repository id, so the split between id and name is unambiguous.
    return this.binding === undefined ? undefined : Buffer.from(`tidemark-seal-v2\0${this.binding}\0${name}`);
  }
}
