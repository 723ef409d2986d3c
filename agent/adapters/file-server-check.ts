/**
 * The file-server check of assured recovery: every file of the writable
 * overlay must read back whole, and its SHA-256 must equal the SHA-256 of
 * the same file read through the snapshot view. The master's own checksums
 * are not reachable from the replica (its block signatures stay on the
 * master), so the reference is the snapshot: what a backup of it would
 * store. This catches unreadable or torn files and a view that does not
 * read back stably (a difference area that lost blocks).
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import path from 'node:path';
import type { SnapshotView } from '../backup/snapshot-view.js';
import type { ApplicationCheck } from './application-check.js';

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

export const fileServerCheck: ApplicationCheck = async ({ view, overlay, roots }) => {
  let files = 0;
  let bytes = 0;
  const problems: string[] = [];
  const visit = async (viewPath: string): Promise<void> => {
    const stat = await view.lstat(viewPath);
    if (stat.type === 'directory') {
      for (const name of await view.readdir(viewPath)) await visit(path.join(viewPath, name));
      return;
    }
    if (stat.type !== 'file') return;
    files++;
    bytes += stat.size;
    const [expected, actual] = await Promise.all([
      viewDigest(view, viewPath, stat.size),
      fileDigest(overlay.pathOf(viewPath)).catch((error: Error) => `unreadable: ${error.message}`),
    ]);
    if (expected !== actual)
      problems.push(`${viewPath}: SHA-256 ${actual} does not match the snapshot's ${expected}`);
  };
  for (const root of roots) await visit(root);
  return {
    passed: problems.length === 0,
    report: [
      `file server: ${files} files (${bytes} bytes) read back and compared by SHA-256 with the snapshot`,
      ...problems.slice(0, 50),
    ],
  };
};
