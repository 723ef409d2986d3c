/**
 * The spool on a real, full file system (a 1 MiB tmpfs): a write that hits
 * ENOSPC is refused with its sequence numbers, the segment is cut back to its
 * last good size (nothing torn is left for the next write to follow), appends
 * are refused until `resume()`, numbering goes on after the refused records,
 * and a reopen reads back exactly the durable records.
 */
import { rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { decodeRecord, type UnsequencedRecord } from '../../../agent/replication/records.js';
import { Spool, SpoolWriteError } from '../../../agent/replication/spool.js';
import {
  canMount,
  mountSmallFilesystem,
  NEEDS_ROOT,
  type SmallFilesystem,
} from '../../support/small-filesystem.js';

let fs: SmallFilesystem;
beforeEach(async () => {
  fs = await mountSmallFilesystem(`/tmp/tidemark-spool-full-${process.pid}`, 1024 * 1024);
});
afterEach(async () => {
  await fs.unmount();
});

const write = (i: number, bytes: number): UnsequencedRecord => ({
  kind: 'write',
  path: `/srv/x/f${i}`,
  offset: 0,
  data: Buffer.alloc(bytes, i % 256),
});

async function readAll(spool: Spool): Promise<number[]> {
  const seqs: number[] = [];
  let cursor: Parameters<Spool['read']>[0] = spool.firstSeq;
  for (;;) {
    const { records, cursor: next } = await spool.read(cursor);
    if (records.length === 0) return seqs;
    seqs.push(...records.map((b) => decodeRecord(b).seq));
    cursor = next;
  }
}

describe.skipIf(!canMount)(`spool on a full disk (${canMount ? 'tmpfs' : NEEDS_ROOT})`, () => {
  it('refuses the write that hit ENOSPC, cuts the segment back, and never hands its numbers out again', async () => {
    const dir = join(fs.dir, 'spool');
    const spool = await Spool.open(dir, 8 * 1024 * 1024);
    const durable: number[] = [];
    let failure: SpoolWriteError | undefined;
    const told: SpoolWriteError[] = [];
    spool.on('write-failed', (f: SpoolWriteError) => told.push(f));
    for (let i = 1; i < 100 && !failure; i++) {
      try {
        durable.push(...(await spool.append([write(i, 100_000)])).map((r) => r.seq));
      } catch (e) {
        failure = e as SpoolWriteError;
      }
    }
    expect(failure).toBeInstanceOf(SpoolWriteError);
    expect(failure?.code).toBe('ENOSPC');
    expect(failure?.firstSeq).toBe(durable.length + 1);
    expect(told).toEqual([failure]);
    // The partly written record is gone: the segment holds exactly the durable records.
    expect((await stat(join(dir, '0000000000000001.seg'))).size).toBe(spool.sizeBytes);
    // Refused until the owner has dealt with the gap.
    await expect(spool.append([write(500, 10)])).rejects.toBe(failure);

    // Cutting the torn record off gave its bytes back: enough for a small record.
    expect(await spool.resume()).toBe(true);
    const [after] = await spool.append([write(501, 10)]);
    expect(after?.seq).toBe((failure as SpoolWriteError).endSeq);
    expect(await readAll(spool)).toEqual([...durable, after?.seq]);
    await spool.close();

    const reopened = await Spool.open(dir, 8 * 1024 * 1024);
    expect(await readAll(reopened)).toEqual([...durable, after?.seq]);
    expect(reopened.nextSeq).toBe((after?.seq as number) + 1);
    await reopened.close();
  });

  it('a full disk when a new segment is needed refuses the records it was for, and the spool goes on', async () => {
    const dir = join(fs.dir, 'spool');
    const filler = join(fs.dir, 'filler');
    const spool = await Spool.open(dir, 200_000);
    await spool.append([write(1, 250_000)]);
    // Fill the rest of the disk so the next segment cannot take a record.
    await writeFile(filler, Buffer.alloc(Math.max(0, (await fs.free()) - 4096)));
    await expect(spool.append([write(2, 100_000)])).rejects.toBeInstanceOf(SpoolWriteError);
    await rm(filler);
    expect(await spool.resume()).toBe(true);
    const [next] = await spool.append([write(3, 100_000)]);
    expect(next?.seq).toBe(3);
    expect(await readAll(spool)).toEqual([1, 3]);
    await spool.close();
    const reopened = await Spool.open(dir, 200_000);
    expect(await readAll(reopened)).toEqual([1, 3]);
    await reopened.close();
  });
});
