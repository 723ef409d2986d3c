/**
 * The master's checksums, for the file-server check of assured recovery.
 *
 * A file's checksum is its size and the SHA-256 of its list of 16 KiB block
 * hashes (block-hash.ts). The master has that list already: its signature
 * store keeps, per file, the block hashes of what it sent. So the master
 * emits one `digest` record per file whose size and mtime still equal its
 * signature's (the quick check rsync uses: the file has not changed since
 * it was captured) without reading it; only a signature whose time was too
 * fresh to trust is confirmed by hashing the file once. The records travel
 * in the stream like any change, so each one states what the replica must
 * hold once it has applied the stream up to that point.
 *
 * On the replica, the ledger keeps the digests it received and the stream
 * position where each path (or a directory above it) was last touched
 * afterwards; a digest is only compared while nothing later touched its
 * file. The ledger lives in memory: a replica agent that restarts forgets
 * it, and the next assured-recovery run asks the master again.
 */
import { createHash } from 'node:crypto';
import { constants } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { open } from 'node:fs/promises';
import { dirname } from 'node:path';
import { hashBlocks } from './block-hash.js';
import type { MasterFiles } from './master-files.js';
import type { JournalRecord, UnsequencedRecord } from './records.js';
import { isRacy, type SignatureStore, sameTime, signatureKey } from './signature-store.js';
import { dataLayout } from './sparse-layout.js';

export interface FileChecksum {
  size: number;
  digest: Buffer;
}

export function checksumOfHashes(hashes: Buffer): Buffer {
  return createHash('sha256').update(hashes).digest();
}

/** A file's checksum computed from its bytes (the replica side); holes of a sparse file are not read. */
export async function checksumOfFile(path: string): Promise<FileChecksum> {
  const fd = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  try {
    const { size, hashes } = await checksumInputOf(fd);
    return { size, digest: checksumOfHashes(hashes) };
  } finally {
    await fd.close();
  }
}

/**
 * Master side: a `digest` record for each file that is as its signature
 * says. A file changed since its capture (or captured within the racy
 * window, whose signature time is unknown) is left out: it is on its way.
 */
export async function digestRecords(
  files: { path: string; ino: number }[],
  sigs: SignatureStore,
  masterFiles: MasterFiles,
): Promise<{ records: UnsequencedRecord[]; skipped: number }> {
  const records: UnsequencedRecord[] = [];
  let skipped = 0;
  for (const file of files) {
    const hashes = await settledHashes(file, sigs, masterFiles);
    if (!hashes) {
      skipped++;
      continue;
    }
    records.push({
      kind: 'digest',
      path: file.path,
      size: hashes.size,
      digest: checksumOfHashes(hashes.hashes),
    });
  }
  return { records, skipped };
}

/**
 * The block hashes the replica must hold for `file`, when the file still is
 * what was sent. A signature whose time was racy when captured (unknown:
 * most files captured right after a write) is confirmed by hashing the
 * file once; it then gets its time, so the next run trusts it at once.
 */
async function settledHashes(
  file: { path: string; ino: number },
  sigs: SignatureStore,
  masterFiles: MasterFiles,
): Promise<{ size: number; hashes: Buffer } | undefined> {
  const st = await masterFiles.entryOf(file.path);
  if (st?.kind !== 'file' || st.ino !== file.ino) return undefined;
  const key = signatureKey(st);
  const sig = await sigs.get(key);
  if (!sig || sig.size !== st.size) return undefined;
  if (sameTime(sig.mtimeMs, st.mtimeMs)) return sig;
  if (sig.mtimeMs >= 0 || isRacy(st.mtimeMs)) return undefined; // changed since it was captured: on its way
  const fd = await masterFiles.openFile(file);
  if (!fd) return undefined;
  const now = await checksumInputOf(fd)
    .catch(() => undefined)
    .finally(() => fd.close());
  if (!now || now.size !== sig.size || !now.hashes.equals(sig.hashes) || now.mtimeMs !== st.mtimeMs)
    return undefined;
  await sigs.put(key, { size: sig.size, mtimeMs: st.mtimeMs, hashes: sig.hashes });
  return sig;
}

/** A file's block hashes, and the mtime it had while they were read. */
async function checksumInputOf(fd: FileHandle): Promise<{ size: number; hashes: Buffer; mtimeMs: number }> {
  const st = await fd.stat();
  const { hashes, size } = await hashBlocks(fd, undefined, undefined, await dataLayout(fd, st));
  const after = await fd.stat();
  return { size, hashes, mtimeMs: after.mtimeMs === st.mtimeMs ? st.mtimeMs : Number.NaN };
}

interface HeldDigest extends FileChecksum {
  seq: number;
}

/** Replica side: the master's digests received, and what touched their files since (keys are master paths). */
export class MasterChecksumLedger {
  private readonly digests = new Map<string, HeldDigest>();
  private readonly touched = new Map<string, number>();
  private lastDigestSeq = 0;

  /** Seen by the applier for every sequenced record before it is applied. */
  observe(r: JournalRecord): void {
    if (r.kind === 'digest') {
      this.digests.set(r.path, { size: r.size, digest: r.digest, seq: r.seq });
      this.lastDigestSeq = r.seq;
      return;
    }
    // Nothing to invalidate yet; and attributes do not change a file's bytes.
    if (this.digests.size === 0 || r.kind === 'attrs') return;
    this.touched.set(r.path, r.seq);
    if (r.kind === 'rename') this.touched.set(r.to, r.seq);
  }

  /** A synchronization rewrote the copy outside the stream: what was held no longer says anything. */
  forget(): void {
    this.digests.clear();
    this.touched.clear();
    this.lastDigestSeq = 0;
  }

  /** The sequence number of the newest digest received (0: none since the agent started or the last take). */
  get receivedThrough(): number {
    return this.lastDigestSeq;
  }

  /**
   * The digests nothing touched after they were sent, by master path; the
   * ledger starts afresh (the next run gets new ones from the master).
   */
  take(): Map<string, FileChecksum> {
    const valid = new Map<string, FileChecksum>();
    for (const [path, held] of this.digests) {
      if (!this.touchedSince(path, held.seq)) valid.set(path, { size: held.size, digest: held.digest });
    }
    this.forget();
    return valid;
  }

  private touchedSince(path: string, seq: number): boolean {
    for (let p = path; ; p = dirname(p)) {
      if ((this.touched.get(p) ?? 0) > seq) return true;
      if (p === dirname(p)) return false;
    }
  }
}
