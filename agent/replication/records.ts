/**
 * Journal records: one change on the master, in a binary form with a CRC32
 * per record so the spool and the wire can tell a torn or corrupted record
 * from a good one.
 *
 *   u32 bodyLength | u32 crc32(body) | body
 *   body = u8 version | u8 kind | u64 seq | u16 pathLength | path | kind fields
 *
 * Paths are the master's absolute paths; the replica maps them under its
 * target folder with `replicaPathOf`.
 */
import { crc32 } from 'node:zlib';
import { TidemarkError } from '../../core/error-catalogue.js';

export type JournalRecord =
  | { kind: 'create'; seq: number; path: string; mode: number }
  | { kind: 'write'; seq: number; path: string; offset: number; data: Buffer }
  | { kind: 'truncate'; seq: number; path: string; size: number }
  | { kind: 'rename'; seq: number; path: string; to: string }
  | { kind: 'delete'; seq: number; path: string }
  | { kind: 'mkdir'; seq: number; path: string; mode: number }
  | { kind: 'rmdir'; seq: number; path: string }
  /** mtimeMs < 0 leaves times alone (directories, whose times follow their children). */
  | { kind: 'attrs'; seq: number; path: string; mode: number; uid: number; gid: number; mtimeMs: number }
  | { kind: 'symlink'; seq: number; path: string; target: string }
  /**
   * A whole small file in one record: its bytes and attributes, put in place
   * with one rename. A new file of a few KiB would otherwise take create,
   * truncate, write and attrs, each a round of file operations on the replica.
   */
  | {
      kind: 'put';
      seq: number;
      path: string;
      mode: number;
      uid: number;
      gid: number;
      mtimeMs: number;
      data: Buffer;
    }
  /**
   * The master's checksum of a file as the replica should hold it at this
   * point of the stream: `size` and the SHA-256 of its block-hash list (see
   * master-checksums.ts). Sent on request, for assured recovery; changes nothing.
   */
  | { kind: 'digest'; seq: number; path: string; size: number; digest: Buffer };

export type RecordKind = JournalRecord['kind'];
/** A record before the spool gives it its sequence number. */
export type UnsequencedRecord = JournalRecord extends infer R
  ? R extends JournalRecord
    ? Omit<R, 'seq'>
    : never
  : never;

const VERSION = 1;
const HEADER = 8;
const FIXED = 1 + 1 + 8 + 2;
/** A `digest` record's checksum: SHA-256. */
export const DIGEST_BYTES = 32;
/** Writes travel in runs of at most 1 MiB; anything far larger is corruption. */
export const MAX_RECORD_BODY = 4 * 1024 * 1024;

const KIND_CODES: Record<RecordKind, number> = {
  create: 1,
  write: 2,
  truncate: 3,
  rename: 4,
  delete: 5,
  mkdir: 6,
  rmdir: 7,
  attrs: 8,
  symlink: 9,
  digest: 10,
  put: 11,
};
const KINDS_BY_CODE = new Map(Object.entries(KIND_CODES).map(([k, v]) => [v, k as RecordKind]));

/** A record that cannot be decoded: refused with AE0468 (bad data reached the engine). */
export class RecordFormatError extends TidemarkError {
  constructor(message: string) {
    super('AE0468', `malformed journal record: ${message}`, 400);
  }
}

function extraLength(r: JournalRecord): number {
  switch (r.kind) {
    case 'create':
    case 'mkdir':
      return 4;
    case 'write':
      return 8 + r.data.length;
    case 'truncate':
      return 8;
    case 'rename':
      return 2 + Buffer.byteLength(r.to);
    case 'symlink':
      return 2 + Buffer.byteLength(r.target);
    case 'attrs':
      return 4 + 4 + 4 + 8;
    case 'put':
      return 4 + 4 + 4 + 8 + r.data.length;
    case 'digest':
      return 8 + DIGEST_BYTES;
    default:
      return 0;
  }
}

export function encodeRecord(r: JournalRecord): Buffer {
  const parts = encodeRecordParts(r);
  return parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts);
}

/**
 * The encoding as pieces to write one after the other: a write record's
 * data stays where it is (the spool's writev takes it as it is), so a
 * megabyte of changed blocks is not copied once more just to frame it.
 */
export function encodeRecordParts(r: JournalRecord): Buffer[] {
  const pathLength = Buffer.byteLength(r.path);
  if (pathLength > 0xffff)
    throw new RecordFormatError(`path longer than 65535 bytes: ${r.path.slice(0, 80)}…`);
  const bodyLength = FIXED + pathLength + extraLength(r);
  if (bodyLength > MAX_RECORD_BODY) throw new RecordFormatError(`record of ${bodyLength} bytes is too large`);
  const data = r.kind === 'write' || r.kind === 'put' ? r.data : undefined;
  const buf = Buffer.allocUnsafe(HEADER + bodyLength - (data?.length ?? 0));
  let o = HEADER;
  buf.writeUInt8(VERSION, o++);
  buf.writeUInt8(KIND_CODES[r.kind], o++);
  buf.writeBigUInt64LE(BigInt(r.seq), o);
  o += 8;
  buf.writeUInt16LE(pathLength, o);
  o += 2;
  o += buf.write(r.path, o);
  switch (r.kind) {
    case 'create':
    case 'mkdir':
      buf.writeUInt32LE(r.mode, o);
      break;
    case 'write':
      buf.writeBigUInt64LE(BigInt(r.offset), o);
      break;
    case 'truncate':
      buf.writeBigUInt64LE(BigInt(r.size), o);
      break;
    case 'rename':
    case 'symlink': {
      const s = r.kind === 'rename' ? r.to : r.target;
      const n = Buffer.byteLength(s);
      if (n > 0xffff) throw new RecordFormatError('second path longer than 65535 bytes');
      buf.writeUInt16LE(n, o);
      buf.write(s, o + 2);
      break;
    }
    case 'attrs':
    case 'put':
      buf.writeUInt32LE(r.mode, o);
      buf.writeUInt32LE(r.uid, o + 4);
      buf.writeUInt32LE(r.gid, o + 8);
      buf.writeDoubleLE(r.mtimeMs, o + 12);
      break;
    case 'digest':
      if (r.digest.length !== DIGEST_BYTES) throw new RecordFormatError(`digest of ${r.digest.length} bytes`);
      buf.writeBigUInt64LE(BigInt(r.size), o);
      r.digest.copy(buf, o + 8);
      break;
  }
  buf.writeUInt32LE(bodyLength, 0);
  const headCrc = crc32(buf.subarray(HEADER));
  buf.writeUInt32LE(data ? crc32(data, headCrc) : headCrc, 4);
  return data ? [buf, data] : [buf];
}

/** Reads a record's sequence number without decoding the rest (the buffer must hold a whole, checked record). */
export function sequenceOf(encoded: Buffer): number {
  return Number(encoded.readBigUInt64LE(HEADER + 2));
}

/**
 * Where the record starting at `offset` ends, from its length field alone
 * (no checksum, no decoding): for bytes this process wrote and fdatasync'ed
 * itself (the spool's reader); the replica checks every record on arrival.
 * `undefined` when the buffer ends first; `need` then says how many bytes
 * the whole record takes.
 */
export function recordExtent(
  buf: Buffer,
  offset: number,
): { seq: number; encoded: Buffer; next: number } | { need: number } | undefined {
  if (buf.length - offset < HEADER + FIXED) return undefined;
  const bodyLength = buf.readUInt32LE(offset);
  if (bodyLength < FIXED || bodyLength > MAX_RECORD_BODY) {
    throw new RecordFormatError(`body length ${bodyLength} is out of range`);
  }
  const end = offset + HEADER + bodyLength;
  if (end > buf.length) return { need: HEADER + bodyLength };
  return {
    seq: Number(buf.readBigUInt64LE(offset + HEADER + 2)),
    encoded: buf.subarray(offset, end),
    next: end,
  };
}

/**
 * Finds the record starting at `offset`: `undefined` when the buffer ends
 * before it does (a torn tail or a partial read), otherwise the record and
 * where the next one starts. Anything else wrong throws RecordFormatError.
 */
export function readRecordAt(
  buf: Buffer,
  offset: number,
): { record: JournalRecord; encoded: Buffer; next: number } | undefined {
  if (buf.length - offset < HEADER) return undefined;
  const bodyLength = buf.readUInt32LE(offset);
  if (bodyLength < FIXED || bodyLength > MAX_RECORD_BODY) {
    throw new RecordFormatError(`body length ${bodyLength} is out of range`);
  }
  const end = offset + HEADER + bodyLength;
  if (end > buf.length) return undefined;
  const encoded = buf.subarray(offset, end);
  return { record: decodeRecord(encoded), encoded, next: end };
}

/** Decodes exactly one encoded record (header included), checking length, checksum and every field. */
export function decodeRecord(buf: Buffer): JournalRecord {
  if (buf.length < HEADER + FIXED) throw new RecordFormatError(`truncated: ${buf.length} bytes`);
  const bodyLength = buf.readUInt32LE(0);
  if (bodyLength !== buf.length - HEADER) {
    throw new RecordFormatError(`truncated: header says ${bodyLength} bytes, ${buf.length - HEADER} present`);
  }
  const body = buf.subarray(HEADER);
  if (crc32(body) !== buf.readUInt32LE(4)) throw new RecordFormatError('checksum mismatch');
  const version = body.readUInt8(0);
  if (version !== VERSION) throw new RecordFormatError(`unknown version ${version}`);
  const kind = KINDS_BY_CODE.get(body.readUInt8(1));
  if (!kind) throw new RecordFormatError(`unknown kind ${body.readUInt8(1)}`);
  const seq = Number(body.readBigUInt64LE(2));
  const pathLength = body.readUInt16LE(10);
  let o = FIXED;
  const need = (n: number) => {
    if (o + n > body.length) throw new RecordFormatError(`${kind} record ends early`);
  };
  need(pathLength);
  const path = body.toString('utf8', o, o + pathLength);
  o += pathLength;
  const done = <T extends JournalRecord>(r: T): T => {
    if (o !== body.length) throw new RecordFormatError(`${kind} record has ${body.length - o} extra bytes`);
    return r;
  };
  switch (kind) {
    case 'create':
    case 'mkdir': {
      need(4);
      const mode = body.readUInt32LE(o);
      o += 4;
      return done({ kind, seq, path, mode });
    }
    case 'write': {
      need(8);
      const offset = Number(body.readBigUInt64LE(o));
      // A view, not a copy: the frame or read buffer is not reused after decoding.
      const data = body.subarray(o + 8);
      o = body.length;
      return done({ kind, seq, path, offset, data });
    }
    case 'truncate': {
      need(8);
      const size = Number(body.readBigUInt64LE(o));
      o += 8;
      return done({ kind, seq, path, size });
    }
    case 'rename':
    case 'symlink': {
      need(2);
      const n = body.readUInt16LE(o);
      o += 2;
      need(n);
      const s = body.toString('utf8', o, o + n);
      o += n;
      return done(kind === 'rename' ? { kind, seq, path, to: s } : { kind, seq, path, target: s });
    }
    case 'attrs': {
      need(20);
      const r = {
        kind,
        seq,
        path,
        mode: body.readUInt32LE(o),
        uid: body.readUInt32LE(o + 4),
        gid: body.readUInt32LE(o + 8),
        mtimeMs: body.readDoubleLE(o + 12),
      };
      o += 20;
      return done(r);
    }
    case 'put': {
      need(20);
      const r = {
        kind,
        seq,
        path,
        mode: body.readUInt32LE(o),
        uid: body.readUInt32LE(o + 4),
        gid: body.readUInt32LE(o + 8),
        mtimeMs: body.readDoubleLE(o + 12),
        data: body.subarray(o + 20),
      };
      o = body.length;
      return done(r);
    }
    case 'digest': {
      need(8 + DIGEST_BYTES);
      const size = Number(body.readBigUInt64LE(o));
      const digest = Buffer.from(body.subarray(o + 8, o + 8 + DIGEST_BYTES));
      o += 8 + DIGEST_BYTES;
      return done({ kind, seq, path, size, digest });
    }
    default:
      return done({ kind, seq, path });
  }
}
