/**
 * The on-media format of a session's file-name index: a fixed header, then a
 * gzip-compressed JSON body `{dirs, files}` where `dirs` is every directory
 * of the session sorted by code unit (ancestors included, so a tree can be
 * browsed) and `files[i]` the sorted base names of the files in `dirs[i]`.
 * Grouping by directory keeps the object small (each directory is written
 * once) and lets a base-name query skip path strings entirely.
 *
 * header: "TMNI" · version (1 byte) · file count (uint32 BE) · SHA-256 of the JSON body (32 bytes)
 */
import { createHash } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import { TidemarkError } from '../error-catalogue.js';

const MAGIC = Buffer.from('TMNI', 'ascii');
const VERSION = 1;
const HEADER_BYTES = MAGIC.length + 1 + 4 + 32;

export interface NameIndexData {
  /** Sorted, unique absolute directory paths; `/` is the root. */
  dirs: string[];
  /** `files[i]`: sorted base names of the files directly in `dirs[i]`. */
  files: string[][];
}

/** A name index that cannot be read: wrong magic or version, bad compression, checksum or shape. */
export class CorruptNameIndexError extends TidemarkError {
  constructor(problem: string) {
    super(
      'InternalError',
      `the file-name index is corrupt: ${problem}; rebuild it from the session manifest`,
      500,
    );
  }
}

/** Groups absolute file paths into an index (directories given separately are kept even when empty). */
export function buildNameIndex(
  filePaths: Iterable<string>,
  directories: Iterable<string> = [],
): NameIndexData {
  const byDir = new Map<string, string[]>();
  const addDir = (dir: string) => {
    let current = dir;
    while (!byDir.has(current)) {
      byDir.set(current, []);
      if (current === '/') break;
      current = parentOf(current);
    }
  };
  for (const dir of directories) addDir(normalise(dir));
  for (const raw of filePaths) {
    const path = normalise(raw);
    if (path === '/') throw new TidemarkError('BadRequest', 'the root directory is not a file', 400);
    const dir = parentOf(path);
    addDir(dir);
    byDir.get(dir)?.push(path.slice(dir === '/' ? 1 : dir.length + 1));
  }
  const dirs = [...byDir.keys()].sort(compareCodeUnits);
  return { dirs, files: dirs.map((dir) => [...new Set(byDir.get(dir))].sort(compareCodeUnits)) };
}

export function encodeNameIndex(data: NameIndexData): Buffer {
  const body = Buffer.from(JSON.stringify(data), 'utf8');
  const header = Buffer.alloc(HEADER_BYTES);
  MAGIC.copy(header, 0);
  header.writeUInt8(VERSION, MAGIC.length);
  header.writeUInt32BE(countFiles(data), MAGIC.length + 1);
  createHash('sha256')
    .update(body)
    .digest()
    .copy(header, MAGIC.length + 5);
  return Buffer.concat([header, gzipSync(body, { level: 6 })]);
}

export function decodeNameIndex(bytes: Uint8Array): NameIndexData {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buffer.length < HEADER_BYTES || !buffer.subarray(0, MAGIC.length).equals(MAGIC)) {
    throw new CorruptNameIndexError('it does not start with the TMNI header');
  }
  const version = buffer.readUInt8(MAGIC.length);
  if (version !== VERSION) throw new CorruptNameIndexError(`format version ${version} is not ${VERSION}`);
  const count = buffer.readUInt32BE(MAGIC.length + 1);
  const checksum = buffer.subarray(MAGIC.length + 5, HEADER_BYTES);
  let body: Buffer;
  try {
    body = gunzipSync(buffer.subarray(HEADER_BYTES));
  } catch (error) {
    throw new CorruptNameIndexError(`its body does not decompress (${(error as Error).message})`);
  }
  if (!createHash('sha256').update(body).digest().equals(checksum)) {
    throw new CorruptNameIndexError('its checksum does not match its body');
  }
  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8'));
  } catch {
    throw new CorruptNameIndexError('its body is not JSON');
  }
  const data = value as Partial<NameIndexData> | null;
  if (
    !data ||
    !Array.isArray(data.dirs) ||
    !Array.isArray(data.files) ||
    data.dirs.length !== data.files.length
  ) {
    throw new CorruptNameIndexError('its body is not {dirs, files} of equal length');
  }
  const index = data as NameIndexData;
  if (countFiles(index) !== count) {
    throw new CorruptNameIndexError(`it holds ${countFiles(index)} names but its header says ${count}`);
  }
  return index;
}

export function countFiles(data: NameIndexData): number {
  let total = 0;
  for (const names of data.files) total += names.length;
  return total;
}

/** Plain code-unit order: what the index is sorted by and what binary search relies on. */
export function compareCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function parentOf(path: string): string {
  const slash = path.lastIndexOf('/');
  return slash <= 0 ? '/' : path.slice(0, slash);
}

function normalise(path: string): string {
  if (!path.startsWith('/') || path.includes('\0')) {
    throw new TidemarkError('BadRequest', `'${path}' is not an absolute path`, 400);
  }
  const trimmed = path.replace(/\/+/g, '/').replace(/\/$/, '');
  return trimmed === '' ? '/' : trimmed;
}
