/**
 * A local user on the master who can write in a scenario root swaps a file,
 * or a directory above it, for a symlink to a file they cannot read (or for
 * another inode) between the walk and the read. Capture and synchronization
 * run as root there, so following the swap would replicate the secret to
 * the replica, and from there into backups. The real Capture, Spool,
 * signature store and synchronization run on real directories; the swap is
 * made at the exact point between walk and read, which a real attacker
 * would have to win a race to hit.
 */
import { link, mkdir, mkdtemp, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Capture } from '../../../agent/replication/capture.js';
import { MasterFiles } from '../../../agent/replication/master-files.js';
import { decodeRecord, type UnsequencedRecord } from '../../../agent/replication/records.js';
import { SignatureStore } from '../../../agent/replication/signature-store.js';
import { Spool } from '../../../agent/replication/spool.js';
import { type SyncPeer, synchronize } from '../../../agent/replication/sync-master.js';
import { walkTree } from '../../../agent/replication/tree-walk.js';

const SECRET = 'TOP-SECRET-BYTES';
let base: string;
let root: string;
let outside: string;
let files: MasterFiles;
let spool: Spool;
let sigs: SignatureStore;
let capture: Capture;

beforeEach(async () => {
  base = await mkdtemp(join(tmpdir(), 'master-swap-'));
  root = join(base, 'share');
  outside = join(base, 'outside');
  await mkdir(join(root, 'd'), { recursive: true });
  await mkdir(outside);
  await writeFile(join(outside, 'secret'), SECRET);
  await writeFile(join(outside, 'g'), SECRET);
  await writeFile(join(root, 'f'), 'public');
  await writeFile(join(root, 'd/g'), 'public');
  files = await MasterFiles.open([root]);
  spool = await Spool.open(join(base, 'spool'));
  sigs = new SignatureStore(join(base, 'sigs'));
  await sigs.open();
  capture = new Capture(
    [root],
    files,
    [{ spool, sigs }],
    new Map(),
    async () => undefined,
    (e) => {
      throw e;
    },
  );
});

afterEach(async () => {
  await capture.close();
  await spool.close();
  files.close();
  await rm(base, { recursive: true, force: true });
});

/** Every record durable in the spool, once capture is idle. */
async function spooledRecords(): Promise<Buffer[]> {
  await capture.idle();
  return (await spool.read(1, 64 * 1024 * 1024)).records;
}
const spooled = async () => Buffer.concat(await spooledRecords());

describe('master capture and synchronization', () => {
  it('do not follow a file swapped for a symlink after the walk', async () => {
    const entry = await files.entryOf(join(root, 'f'));
    expect(entry?.kind).toBe('file');
    await rm(join(root, 'f'));
    await symlink(join(outside, 'secret'), join(root, 'f'));
    expect(await capture.captureFile(entry as NonNullable<typeof entry>, true)).toBe(false);
    expect(spool.nextSeq).toBe(1);
    expect((await spooled()).includes(SECRET)).toBe(false);
  });

  it('do not follow a directory swapped for a symlink after the walk', async () => {
    const entry = await files.entryOf(join(root, 'd/g'));
    await rename(join(root, 'd'), join(root, 'd-away'));
    await symlink(outside, join(root, 'd'));
    expect(await capture.captureFile(entry as NonNullable<typeof entry>, true)).toBe(false);
    // And an event naming a path through the symlink is no entry at all.
    expect(await files.entryOf(join(root, 'd/g'))).toBeUndefined();
    expect(await files.walk(join(root, 'd'))).toMatchObject([{ kind: 'symlink' }]);
    expect((await spooled()).includes(SECRET)).toBe(false);
  });

  it('do not read a file swapped for another inode after the walk (a hard link, here)', async () => {
    const entry = await files.entryOf(join(root, 'f'));
    await rm(join(root, 'f'));
    await link(join(outside, 'secret'), join(root, 'f'));
    expect(await capture.captureFile(entry as NonNullable<typeof entry>, true)).toBe(false);
    expect((await spooled()).includes(SECRET)).toBe(false);
    // Captured as the file it was walked as, it is sent (whole, being small and new).
    const now = await files.entryOf(join(root, 'd/g'));
    expect(await capture.captureFile(now as NonNullable<typeof now>, true)).toBe(true);
    expect((await spooledRecords()).map((r) => decodeRecord(r).kind)).toEqual(['put']);
  });

  it('synchronization skips what was swapped after its walk and sends the rest', async () => {
    const entries = await walkTree(root);
    await rm(join(root, 'f'));
    await symlink(join(outside, 'secret'), join(root, 'f'));
    await rename(join(root, 'd'), join(root, 'd-away'));
    await symlink(outside, join(root, 'd'));
    const sent: UnsequencedRecord[] = [];
    const peer: SyncPeer = {
      list: async () => [],
      hashes: async () => Buffer.alloc(0),
      send: async (r) => {
        sent.push(r);
      },
    };
    await synchronize('file', entries, [root], peer, sigs, files);
    const writes = sent.filter((r) => r.kind === 'write' || r.kind === 'put') as Extract<
      UnsequencedRecord,
      { data: Buffer }
    >[];
    expect(writes.some((w) => w.data.includes(SECRET))).toBe(false);
    expect(sent.filter((r) => r.kind === 'create' || r.kind === 'put')).toEqual([]);
    // The directory entries the walk saw still went (their contents come with the next capture).
    expect(sent.filter((r) => r.kind === 'mkdir').map((r) => r.path)).toEqual([root, join(root, 'd')]);
  });
});
