/**
 * The repository data key: AES-256-GCM over every blob (packs' chunks,
 * index files, manifests) with a fresh random 96-bit nonce each, so a blob
 * is `nonce | ciphertext | tag` and any change to it fails authentication.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

const NONCE = 12;
const TAG = 16;
export const SEAL_OVERHEAD = NONCE + TAG;

/** A blob that does not authenticate under the key: tampered, corrupted, or sealed with another key. */
export class AuthenticationFailed extends Error {
  constructor(what: string) {
    super(`${what} does not authenticate with the repository key (corrupted, or another key)`);
    this.name = 'AuthenticationFailed';
  }
}

export class RepoKey {
  constructor(private readonly key: Buffer) {
    if (key.length !== 32) throw new Error('the repository key must be 32 bytes (AES-256)');
  }

  /** A copy of the key bytes for this process's CPU worker threads (never logged or stored). */
  forWorkers(): Uint8Array {
    return new Uint8Array(this.key);
  }

  /** Seals `plain`, or the concatenation of its parts (encrypted in turn, never joined in plain text). */
  seal(plain: Buffer | Buffer[]): Buffer {
    const parts = Array.isArray(plain) ? plain : [plain];
    const nonce = randomBytes(NONCE);
    const cipher = createCipheriv('aes-256-gcm', this.key, nonce);
    const out = [nonce, ...parts.map((part) => cipher.update(part))];
    cipher.final();
    out.push(cipher.getAuthTag());
    // Not from Node's shared pool: sealed chunks move between threads (see cpu-tasks.ts).
    const sealed = Buffer.allocUnsafeSlow(out.reduce((n, b) => n + b.length, 0));
    let offset = 0;
    for (const b of out) offset += b.copy(sealed, offset);
    return sealed;
  }

  open(sealed: Buffer, what = 'blob'): Buffer {
    if (sealed.length < SEAL_OVERHEAD) throw new AuthenticationFailed(what);
    const decipher = createDecipheriv('aes-256-gcm', this.key, sealed.subarray(0, NONCE));
    decipher.setAuthTag(sealed.subarray(sealed.length - TAG));
    const body = decipher.update(sealed.subarray(NONCE, sealed.length - TAG));
    try {
      decipher.final();
    } catch {
      throw new AuthenticationFailed(what);
    }
    return body;
  }
}
