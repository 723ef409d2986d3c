/**
 * Collects sealed blobs into packs of `packSize` bytes and uploads each full
 * pack while the next one fills, with at most `uploads` packs in flight (the
 * caller waits on `add` when that many are). A pack's name is the SHA-256 of
 * its bytes, so `check` can verify a pack without the key.
 */
import { createHash, type Hash } from 'node:crypto';
import type { IndexFile } from './repo-index.js';
import { keys, type Repository } from './repository.js';

export class Packer {
  private parts: Buffer[] = [];
  private size = 0;
  private blobs: Array<[string, number, number, number]> = [];
  /** The filling pack's hash, fed as blobs arrive (one pass over each blob, no joined copy of the pack). */
  private hash: Hash = createHash('sha256');
  private readonly inFlight = new Set<Promise<void>>();
  private failure: unknown;
  /** Packs uploaded so far, for the index file. */
  readonly done: IndexFile['packs'] = [];
  storedBytes = 0;

  constructor(
    private readonly repo: Repository,
    private readonly packSize: number,
    private readonly uploads: number,
    private readonly onPack?: (id: string, bytes: number) => void,
  ) {}

  async add(hash: string, sealed: Buffer, rawLength: number): Promise<void> {
    this.blobs.push([hash, this.size, sealed.length, rawLength]);
    this.parts.push(sealed);
    this.hash.update(sealed);
    this.size += sealed.length;
    if (this.size >= this.packSize) await this.flush();
  }

  private async flush(): Promise<void> {
    if (this.failure) throw this.failure;
    if (this.blobs.length === 0) return;
    const body = this.parts;
    const bytes = this.size;
    const blobs = this.blobs;
    const id = this.hash.digest('hex');
    this.parts = [];
    this.blobs = [];
    this.size = 0;
    this.hash = createHash('sha256');
    while (this.inFlight.size >= this.uploads) await Promise.race(this.inFlight);
    if (this.failure) throw this.failure;
    const upload = this.repo.storage.put(keys.pack(id), body).then(
      () => {
        this.done.push({ id, blobs });
        this.storedBytes += bytes;
        this.onPack?.(id, bytes);
      },
      (error: unknown) => {
        this.failure ??= error;
      },
    );
    const tracked = upload.finally(() => this.inFlight.delete(tracked));
    this.inFlight.add(tracked);
  }

  /** Uploads the last partial pack and waits for every upload; throws the first upload failure. */
  async finish(): Promise<void> {
    await this.flush();
    await Promise.all(this.inFlight);
    if (this.failure) throw this.failure;
  }
}
