/**
 * Collects sealed blobs into packs of `packSize` bytes and uploads each full
 * pack while the next one fills. Packs are assembled in shared slots
 * (shared-slots.ts): one filling and at most `uploads` uploading, so `add`
 * waits when that many are in flight. A pack's name is the SHA-256 of its
 * bytes, so `check` can verify a pack without the key; it is computed by
 * `hashPack` (a CPU worker reads the shared slot in place), off the main
 * thread that reads files and dispatches work.
 */
import { createHash } from 'node:crypto';
import { DATA_PACK_TAG } from '../../core/media-tiers.js';
import type { IndexFile } from './repo-index.js';
import { keys, type Repository } from './repository.js';
import { copyBytes } from './shared-copy.js';
import { SharedSlots } from './shared-slots.js';
import type { PutOptions } from './storage.js';

/** A sealed blob to pack: where it lies in its buffer, and what it holds. */
export interface SealedBlob {
  hash: string;
  offset: number;
  length: number;
  rawLength: number;
}

export class Packer {
  private readonly slots: SharedSlots;
  private pack: Buffer | undefined;
  private size = 0;
  private blobs: Array<[string, number, number, number]> = [];
  /** Adds run one after another: each copies its blobs into the filling pack. */
  private adding: Promise<void> = Promise.resolve();
  private readonly inFlight = new Set<Promise<void>>();
  private failure: unknown;
  /** Tags of the packs being filled: data packs age into Glacier, metadata packs do not. */
  private tags: PutOptions['tags'] = { [DATA_PACK_TAG.key]: DATA_PACK_TAG.value };
  /** Packs uploaded so far, for the index file. */
  readonly done: IndexFile['packs'] = [];
  storedBytes = 0;

  constructor(
    private readonly repo: Repository,
    private readonly packSize: number,
    uploads: number,
    /** The largest sealed blob a pack slot takes; a larger one (a page naming a huge file's chunks) is a pack alone. */
    private readonly maxBlob: number,
    private readonly hashPack: (pack: Buffer) => Promise<string>,
    private readonly onPack?: (id: string, bytes: number) => void,
  ) {
    this.slots = new SharedSlots(packSize + maxBlob, uploads + 1);
  }

  /**
   * From here on, blobs go to metadata packs (manifest pages): the filling data pack is sent first,
   * and the packs that follow are not tagged for the colder tiers (core/media-tiers.ts).
   */
  startMetadata(): Promise<void> {
    const started = this.adding.then(() => {
      this.flush();
      this.tags = undefined;
    });
    this.adding = started.catch(() => undefined);
    return started;
  }

  /** Copies `blobs` out of `source` into packs; once this resolves, `source` may be reused. */
  add(source: Buffer, blobs: SealedBlob[]): Promise<void> {
    const added = this.adding.then(() => this.copy(source, blobs));
    // The chain goes on after a failure; the failure itself reaches this caller and `finish`.
    this.adding = added.catch(() => undefined);
    return added;
  }

  private async copy(source: Buffer, blobs: SealedBlob[]): Promise<void> {
    for (const { hash, offset, length, rawLength } of blobs) {
      if (this.failure) throw this.failure;
      if (length > this.maxBlob) {
        await this.uploadAlone(source.subarray(offset, offset + length), hash, rawLength);
        continue;
      }
      this.pack ??= await this.slots.acquire();
      if (this.size + length > this.pack.length) throw new Error(`blob ${hash} is larger than a pack slot`);
      copyBytes(source.subarray(offset, offset + length), this.pack, this.size);
      this.blobs.push([hash, this.size, length, rawLength]);
      this.size += length;
      if (this.size >= this.packSize) this.flush();
    }
  }

  /** Starts uploading the filling pack; its slot returns to the pool when the upload ends. */
  private flush(): void {
    const slot = this.pack;
    if (!slot || this.blobs.length === 0) return;
    const body = slot.subarray(0, this.size);
    const blobs = this.blobs;
    const tags = this.tags;
    this.pack = undefined;
    this.size = 0;
    this.blobs = [];
    const upload = (async () => {
      const id = await this.hashPack(body);
      await this.repo.storage.put(keys.pack(id), body, { sha256: id, tags });
      this.done.push({ id, blobs });
      this.storedBytes += body.length;
      this.onPack?.(id, body.length);
    })()
      .catch((error: unknown) => {
        this.failure ??= error;
      })
      .finally(() => {
        this.slots.release(slot);
        this.inFlight.delete(upload);
      });
    this.inFlight.add(upload);
  }

  /** Uploads one blob as a pack of its own, now (rare: only what no slot can hold). */
  private async uploadAlone(body: Buffer, hash: string, rawLength: number): Promise<void> {
    // Hashed here: the pack hasher may move an ordinary buffer to a worker.
    const id = createHash('sha256').update(body).digest('hex');
    await this.repo.storage.put(keys.pack(id), body, { sha256: id, tags: this.tags });
    this.done.push({ id, blobs: [[hash, 0, body.length, rawLength]] });
    this.storedBytes += body.length;
    this.onPack?.(id, body.length);
  }

  /** Uploads the last partial pack and waits for every upload; throws the first failure. */
  async finish(): Promise<void> {
    await this.adding;
    this.flush();
    await Promise.all(this.inFlight);
    if (this.failure) throw this.failure;
  }
}
