/**
 * The index: where each chunk lives (pack, offset, sealed length). Each
 * backup writes one index file for the packs it added, after those packs are
 * durable; the repository's index is the union of all index files.
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { keys, type Repository } from './repository.js';

export interface BlobLocation {
  pack: string;
  offset: number;
  length: number;
  rawLength: number;
}

const IndexFile = z.strictObject({
  version: z.literal(1),
  packs: z.array(
    z.strictObject({
      id: z.string(),
      blobs: z.array(z.tuple([z.string(), z.number().int(), z.number().int(), z.number().int()])),
    }),
  ),
});
export type IndexFile = z.infer<typeof IndexFile>;

export class RepoIndex {
  readonly blobs = new Map<string, BlobLocation>();
  /** Index file names that were loaded, with their packs, for check and gc. */
  readonly files = new Map<string, IndexFile>();

  has(hash: string): boolean {
    return this.blobs.has(hash);
  }

  get(hash: string): BlobLocation | undefined {
    return this.blobs.get(hash);
  }

  addFile(name: string, file: IndexFile): void {
    this.files.set(name, file);
    for (const pack of file.packs)
      for (const [hash, offset, length, rawLength] of pack.blobs)
        this.blobs.set(hash, { pack: pack.id, offset, length, rawLength });
  }

  static async load(repo: Repository): Promise<RepoIndex> {
    const index = new RepoIndex();
    const objects = await repo.storage.list('index/');
    const loaded = await Promise.all(
      objects.map(async (object) => {
        const name = object.key.slice('index/'.length);
        const raw = repo.openJson(await repo.storage.get(object.key), `index file ${name}`);
        return { name, file: IndexFile.parse(raw) };
      }),
    );
    for (const { name, file } of loaded) index.addFile(name, file);
    return index;
  }
}

/** Writes an index file for packs a backup (or gc) produced; returns its name. */
export async function writeIndexFile(repo: Repository, file: IndexFile): Promise<string> {
  const name = randomUUID();
  await repo.storage.put(keys.index(name), repo.sealJson(file));
  return name;
}
