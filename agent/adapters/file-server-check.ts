/**
 * The file-server check of assured recovery: every file of the writable
 * overlay must read back whole and match the master.
 *
 * - A file the master sent its checksum for (and that nothing changed
 *   since) must have the master's size and checksum: the SHA-256 of its
 *   16 KiB block hashes (agent/replication/master-checksums.ts). A file the
 *   master has and the copy lacks is a problem too.
 * - A file changed on the master after it sent its checksums (or without
 *   one: no master checksums were asked for) is compared by SHA-256 with
 *   the same file read through the snapshot view, which catches unreadable
 *   or torn files and a difference area that lost blocks.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import path from 'node:path';
import type { SnapshotView } from '../backup/snapshot-view.js';
import { checksumOfFile } from '../replication/master-checksums.js';
import type { ApplicationCheck } from './application-check.js';

/** Problems listed in the report; the count says how many there were in all. */
const LISTED_PROBLEMS = 50;

async function viewDigest(view: SnapshotView, file: string, size: number): Promise<string> {
  const hash = createHash('sha256');
  const buffer = Buffer.allocUnsafe(1024 * 1024);
  for (let position = 0; position < size; ) {
    const read = await view.read(file, buffer, position, Math.min(buffer.length, size - position));
    if (read === 0) break;
    hash.update(buffer.subarray(0, read));
    position += read;
  }
  return hash.digest('hex');
}

async function fileDigest(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

const unreadable = (error: Error) => `unreadable: ${error.message}`;

export const fileServerCheck: ApplicationCheck = async ({ view, overlay, roots, master }) => {
  let files = 0;
  let bytes = 0;
  let againstMaster = 0;
  const problems: string[] = [];
  const expected = new Map(master);

  const compareWithMaster = async (viewPath: string, want: { size: number; digest: Buffer }) => {
    againstMaster++;
    const got = await checksumOfFile(overlay.pathOf(viewPath)).catch(unreadable);
    if (typeof got === 'string') return problems.push(`${viewPath}: ${got}`);
    if (got.size !== want.size)
      return problems.push(`${viewPath}: ${got.size} bytes, the master's copy has ${want.size}`);
    if (!got.digest.equals(want.digest))
      problems.push(
        `${viewPath}: checksum ${got.digest.toString('hex')} does not match the master's ${want.digest.toString('hex')}`,
      );
  };
  const compareWithSnapshot = async (viewPath: string, size: number) => {
    const [want, got] = await Promise.all([
      viewDigest(view, viewPath, size),
      fileDigest(overlay.pathOf(viewPath)).catch(unreadable),
    ]);
    if (want !== got) problems.push(`${viewPath}: SHA-256 ${got} does not match the snapshot's ${want}`);
  };
  const visit = async (viewPath: string): Promise<void> => {
    const stat = await view.lstat(viewPath);
    if (stat.type === 'directory') {
      for (const name of await view.readdir(viewPath)) await visit(path.join(viewPath, name));
      return;
    }
    if (stat.type !== 'file') return;
    files++;
    bytes += stat.size;
    const want = expected.get(viewPath);
    expected.delete(viewPath);
    await (want ? compareWithMaster(viewPath, want) : compareWithSnapshot(viewPath, stat.size));
  };
  for (const root of roots) await visit(root);
  for (const missing of expected.keys()) problems.push(`${missing}: on the master, missing from the copy`);

  const summary = master
    ? `file server: ${files} files (${bytes} bytes) read back; ${againstMaster} compared with the master's checksums, ${files - againstMaster} changed on the master since and compared with the snapshot`
    : `file server: ${files} files (${bytes} bytes) read back and compared by SHA-256 with the snapshot (no master checksums were asked for)`;
  return {
    passed: problems.length === 0,
    report: [
      summary,
      ...(problems.length > LISTED_PROBLEMS
        ? [`${problems.length} problems, the first ${LISTED_PROBLEMS}:`]
        : []),
      ...problems.slice(0, LISTED_PROBLEMS),
    ],
  };
};
