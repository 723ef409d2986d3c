import { appendFile, mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { decodeRecord, type UnsequencedRecord } from '../../../agent/replication/records.js';
import { Spool } from '../../../agent/replication/spool.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'spool-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const write = (i: number): UnsequencedRecord => ({
  kind: 'write',
  path: `/srv/x/f${i}`,
  offset: i,
  data: Buffer.alloc(100, i % 256),
});

describe('spool', () => {
  it('numbers records, reads them back in order across segments, and accounts their size', async () => {
    const spool = await Spool.open(dir, 4096);
    const appended = await Promise.all([spool.append([write(1), write(2)]), spool.append([write(3)])]);
    expect(appended.flat().map((r) => r.seq)).toEqual([1, 2, 3]);
    for (let i = 4; i <= 100; i++) await spool.append([write(i)]);
    expect((await readdir(dir)).filter((n) => n.endsWith('.seg')).length).toBeGreaterThan(2);
    let cursor: Parameters<Spool['read']>[0] = 1;
    const seen: number[] = [];
    for (;;) {
      const { records, cursor: next } = await spool.read(cursor, 1000);
      if (records.length === 0) break;
      seen.push(...records.map((b) => decodeRecord(b).seq));
      cursor = next;
    }
    expect(seen).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
    const onDisk = (await Promise.all((await readdir(dir)).map((n) => stat(join(dir, n))))).reduce(
      (n, s) => n + s.size,
      0,
    );
    expect(spool.sizeBytes).toBe(onDisk);
    await spool.close();
  });

  it('releases acknowledged segments and keeps numbering after a reopen', async () => {
    const spool = await Spool.open(dir, 2048);
    for (let i = 1; i <= 60; i++) await spool.append([write(i)]);
    const before = spool.sizeBytes;
    await spool.release(40);
    expect(spool.sizeBytes).toBeLessThan(before);
    expect(spool.firstSeq).toBeGreaterThan(1);
    expect(spool.firstSeq).toBeLessThanOrEqual(41);
    await expect(spool.read(1)).rejects.toThrow(/no longer holds record 1/);
    await spool.release(60);
    expect(spool.sizeBytes).toBe(0);
    await spool.close();
    const again = await Spool.open(dir, 2048);
    expect(again.nextSeq).toBe(61);
    expect((await again.append([write(61)]))[0]?.seq).toBe(61);
    await again.close();
  });

  it('drops a torn tail on open and keeps every whole record', async () => {
    const spool = await Spool.open(dir);
    for (let i = 1; i <= 10; i++) await spool.append([write(i)]);
    await spool.close();
    const seg = (await readdir(dir)).find((n) => n.endsWith('.seg')) as string;
    // A crash in the middle of a write leaves part of a record behind.
    await appendFile(join(dir, seg), Buffer.from([200, 0, 0, 0, 1, 2, 3, 4, 1, 2]));
    const reopened = await Spool.open(dir);
    expect(reopened.nextSeq).toBe(11);
    const { records } = await reopened.read(1);
    expect(records.map((b) => decodeRecord(b).seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect((await reopened.append([write(11)]))[0]?.seq).toBe(11);
    expect((await reopened.read(11)).records.length).toBe(1);
    await reopened.close();
  });

  it('discards everything on overflow without reusing sequence numbers', async () => {
    const spool = await Spool.open(dir);
    for (let i = 1; i <= 5; i++) await spool.append([write(i)]);
    await spool.discardAll();
    expect(spool.sizeBytes).toBe(0);
    expect(spool.firstSeq).toBe(6);
    expect((await spool.append([write(6)]))[0]?.seq).toBe(6);
    await spool.close();
  });
});
