/**
 * A manifest's entries are stored as pages: runs of entries, each a blob in
 * the packs like a file chunk, named by the SHA-256 of its JSON and
 * deduplicated the same way. Page boundaries depend only on paths (an
 * entry whose path hashes to 0 modulo PAGE_ENTRIES ends a page), so the next
 * session's pages line up with this one's and only pages whose entries
 * changed are stored again — as restic stores only the trees of changed
 * directories. A whole manifest per session was ≈0.75 MB for the
 * benchmark's 12,000 files, a quarter of what a 1% edit added to the
 * repository; for a file server with millions of files it would be a
 * gigabyte a session.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { blobsByPack, groupBlobs } from './blob-groups.js';
import { verifyBlob } from './blob-reader.js';
import { compressDocument } from './compression.js';
import { packShorterThanIndex, RepositoryCorrupted } from './corruption.js';
import { Limiter } from './limiter.js';
import { ManifestEntry } from './manifest-entry.js';
import type { RepoIndex } from './repo-index.js';
import { blobName } from './repo-key.js';
import { keys, type Repository } from './repository.js';
import { ObjectMissing } from './storage.js';

/**
 * Entries per page on average: small enough that scattered edits leave most pages alone. On the
 * benchmark's 12,000 files, a 1% edit stored 174 KB of pages at 16 (376 KB at 32), for a root of
 * 27 KB (14 KB) and all pages 913 KB (860 KB).
 */
const PAGE_ENTRIES = 16;
/** A page also ends here, so no run of unlucky paths makes one page hold a whole directory. */
const MAX_PAGE_ENTRIES = 512;
/** Bytes of a pack's pages read in one ranged request at most. */
const READ_BYTES = 8 * 1024 * 1024;

const Page = z.array(ManifestEntry);

/** FNV-1a of a path: cheap, and the same in every session, which is all a boundary needs. */
function pathHash(path: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < path.length; i++) h = Math.imul(h ^ path.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** Cuts `entries` (in scan order) into pages. */
export function splitPages(entries: ManifestEntry[]): ManifestEntry[][] {
  const pages: ManifestEntry[][] = [];
  let page: ManifestEntry[] = [];
  for (const entry of entries) {
    page.push(entry);
    if (pathHash(entry.path) % PAGE_ENTRIES === 0 || page.length >= MAX_PAGE_ENTRIES) {
      pages.push(page);
      page = [];
    }
  }
  if (page.length > 0) pages.push(page);
  return pages;
}

/** A page as stored: its name and its sealed blob. */
export interface SealedPage {
  hash: string;
  sealed: Buffer;
  rawLength: number;
}

/** A page's JSON and its name (the SHA-256 of that JSON). */
export function encodePage(page: ManifestEntry[]): { json: Buffer; hash: string } {
  const json = Buffer.from(JSON.stringify(page));
  return { json, hash: createHash('sha256').update(json).digest('hex') };
}

/** Each page's name, and its sealed blob unless `known` says the repository has it already. */
export function sealPages(
  repo: Repository,
  pages: ManifestEntry[][],
  known: (hash: string) => boolean,
): { hashes: string[]; fresh: SealedPage[] } {
  const hashes: string[] = [];
  const fresh: SealedPage[] = [];
  for (const page of pages) {
    const { json, hash } = encodePage(page);
    hashes.push(hash);
    if (known(hash)) continue;
    fresh.push({
      hash,
      sealed: repo.key.seal(compressDocument(json), blobName(hash)),
      rawLength: json.length,
    });
  }
  return { hashes, fresh };
}

/** The entries of pages `hashes`, in order: each page fetched by ranged reads, verified and parsed. */
export async function readPages(
  repo: Repository,
  index: RepoIndex,
  hashes: string[],
  session: string,
): Promise<ManifestEntry[]> {
  const byPack = blobsByPack(
    index,
    new Set(hashes),
    (hash) => `page ${hash} of the manifest of session ${session} is in no index file`,
  );
  const pages = new Map<string, ManifestEntry[]>();
  const limiter = new Limiter(4);
  await Promise.all(
    [...byPack].map(([pack, blobs]) =>
      limiter.run(async () => {
        for (const { blobs: run, first, end } of groupBlobs(blobs, READ_BYTES)) {
          const length = end - first;
          // A missing pack is damage to the repository, not a missing session (which the caller reports).
          const bytes = await repo.storage
            .getRange(keys.pack(pack), first, length)
            .catch((error: unknown) => {
              if (error instanceof ObjectMissing)
                throw new RepositoryCorrupted(
                  `pack ${pack}, which holds pages of the manifest of session ${session}, is missing`,
                );
              throw error;
            });
          if (bytes.length < length) throw packShorterThanIndex(pack);
          for (const { hash, location } of run) {
            const start = location.offset - first;
            const plain = await verifyBlob(repo, pack, hash, bytes.subarray(start, start + location.length));
            pages.set(hash, parsePage(plain, `page ${hash} of the manifest of session ${session}`));
          }
        }
      }),
    ),
  );
  return hashes.flatMap((hash) => pages.get(hash) as ManifestEntry[]);
}

function parsePage(plain: Buffer, what: string): ManifestEntry[] {
  let raw: unknown;
  try {
    raw = JSON.parse(plain.toString('utf8'));
  } catch {
    throw new RepositoryCorrupted(`${what} is not JSON`);
  }
  const parsed = Page.safeParse(raw);
  if (!parsed.success) throw new RepositoryCorrupted(`${what} is not a list of manifest entries`);
  return parsed.data;
}
