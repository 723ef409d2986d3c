import { describe, expect, it } from 'vitest';
import {
  decodeRecord,
  encodeRecord,
  type JournalRecord,
  RecordFormatError,
  readRecordAt,
} from '../../../agent/replication/records.js';

const samples: JournalRecord[] = [
  { kind: 'create', seq: 1, path: '/srv/x/a b/ünï.txt', mode: 0o100644 },
  { kind: 'write', seq: 2, path: '/srv/x/f', offset: 2 ** 40, data: Buffer.from('hello') },
  { kind: 'truncate', seq: 3, path: '/srv/x/f', size: 12345678901 },
  { kind: 'rename', seq: 4, path: '/srv/x/f', to: '/srv/x/g' },
  { kind: 'delete', seq: 5, path: '/srv/x/g' },
  { kind: 'mkdir', seq: 6, path: '/srv/x/d', mode: 0o40755 },
  { kind: 'rmdir', seq: 7, path: '/srv/x/d' },
  {
    kind: 'attrs',
    seq: 8,
    path: '/srv/x/f',
    mode: 0o100600,
    uid: 1000,
    gid: 1000,
    mtimeMs: 1700000000123.456,
  },
  { kind: 'symlink', seq: 9, path: '/srv/x/l', target: '../elsewhere' },
  {
    kind: 'put',
    seq: 10,
    path: '/srv/x/small',
    mode: 0o100640,
    uid: 1001,
    gid: 1002,
    mtimeMs: 1700000000999.25,
    data: Buffer.from('a whole small file\n'),
  },
];

describe('journal records', () => {
  it('round-trip every kind through the binary encoding', () => {
    for (const r of samples) expect(decodeRecord(encodeRecord(r))).toEqual(r);
  });

  it('refuses a record whose checksum does not match', () => {
    const buf = encodeRecord(samples[1] as JournalRecord);
    buf.writeUInt8((buf.at(-1) ?? 0) ^ 0xff, buf.length - 1);
    expect(() => decodeRecord(buf)).toThrow(/checksum mismatch/);
    expect(() => decodeRecord(buf)).toThrow(RecordFormatError);
  });

  it('refuses a truncated record with a message naming the lengths', () => {
    const buf = encodeRecord(samples[0] as JournalRecord);
    expect(() => decodeRecord(buf.subarray(0, buf.length - 3))).toThrow(/truncated: header says \d+ bytes/);
    expect(() => decodeRecord(buf.subarray(0, 5))).toThrow(/truncated/);
  });

  it('refuses an out-of-range length and an unknown kind, with code AE0468', () => {
    const buf = encodeRecord(samples[4] as JournalRecord);
    const huge = Buffer.from(buf);
    huge.writeUInt32LE(0x7fffffff, 0);
    expect(() => readRecordAt(huge, 0)).toThrow(/out of range/);
    try {
      decodeRecord(huge);
    } catch (e) {
      expect((e as RecordFormatError).code).toBe('AE0468');
    }
  });

  it('reports an incomplete tail as not yet readable rather than as an error', () => {
    const a = encodeRecord(samples[0] as JournalRecord);
    const b = encodeRecord(samples[1] as JournalRecord);
    const both = Buffer.concat([a, b.subarray(0, 10)]);
    const first = readRecordAt(both, 0);
    expect(first?.record).toEqual(samples[0]);
    expect(readRecordAt(both, first?.next ?? 0)).toBeUndefined();
  });
});
