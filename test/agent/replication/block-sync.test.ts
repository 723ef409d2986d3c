/**
 * Block-mode synchronization with streamed hashes: the replica sends its
 * block hashes as it reads, and the master sends a differing block as soon
 * as both hashes of it are known, while both sides are still hashing.
 *
 * The first test runs two real engines over TLS on loopback against stale
 * replica copies of several shapes. The second drives `synchronize` with
 * real files and a peer in this process that hands out the hashes of a real
 * replica file part by part (as a streaming replica does) or all at the end
 * (as a replica from before streaming does, which cannot run here): it
 * checks what is sent, and that no block is sent before its hash arrived.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, open, readFile, rm, truncate, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { BLOCK_SIZE, HASH_BYTES, hashBlocks } from '../../../agent/replication/block-hash.js';
import { MasterFiles } from '../../../agent/replication/master-files.js';
import type { UnsequencedRecord } from '../../../agent/replication/records.js';
import { ReplicationEngine } from '../../../agent/replication/runtime.js';
import { SignatureStore } from '../../../agent/replication/signature-store.js';
import { dataLayout } from '../../../agent/replication/sparse-layout.js';
import { type SyncPeer, synchronize } from '../../../agent/replication/sync-master.js';
import { walkTree } from '../../../agent/replication/tree-walk.js';
import { createCertificateAuthority, issueHostCertificate } from '../../../agent/tls/certificates.js';
import { replicaPathOf, ScenarioOptions } from '../../../core/scenario.js';
import { converged, Recorder } from './harness.js';

const MIB = 1024 * 1024;
let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
});

async function tempDir(): Promise<string> {
  const base = await mkdtemp(join(tmpdir(), 'block-sync-'));
  cleanup.push(() => rm(base, { recursive: true, force: true }));
  return base;
}

/** A stale copy: `content` with the given blocks changed (one byte run inside each). */
function staleOf(content: Buffer, blocks: number[]): Buffer {
  const stale = Buffer.from(content);
  for (const b of blocks)
    stale.fill(0xa5, b * BLOCK_SIZE + 100, Math.min(b * BLOCK_SIZE + 200, stale.length));
  return stale;
}

/** Makes the replica copy older, as a stale copy is (same size and time would rightly be skipped). */
async function age(path: string): Promise<void> {
  const hourAgo = Date.now() / 1000 - 3600;
  await utimes(path, hourAgo, hourAgo);
}

describe('block synchronization with streamed hashes', () => {
  it('brings stale replica copies of several shapes level, sending only the differing blocks', async () => {
    const base = await tempDir();
    const root = join(base, 'share');
    const directory = join(base, 'replica');
    const target = replicaPathOf({ host: 'replica-1', directory }, root);
    await mkdir(root, { recursive: true });
    await mkdir(target, { recursive: true });
    // 40 MiB: hashed in several reads (128 KiB doubling to 8 MiB), so the hashes arrive in several parts.
    const big = randomBytes(40 * MIB);
    const bigChanged = [0, 7, 8, 300, 1500, 2559];
    await writeFile(join(root, 'big'), big);
    await writeFile(join(target, 'big'), staleOf(big, bigChanged));
    // The master's copy got shorter and its new last block is partial and differs.
    const shrunk = randomBytes(3 * MIB + 5000);
    await writeFile(join(root, 'shrunk'), shrunk);
    await writeFile(
      join(target, 'shrunk'),
      Buffer.concat([staleOf(shrunk.subarray(0, 3 * MIB), [5]), randomBytes(MIB)]),
    );
    // The master's copy grew: a data tail and, past it, zeros the truncate makes by itself.
    const grown = Buffer.concat([randomBytes(2 * MIB), randomBytes(MIB), Buffer.alloc(MIB)]);
    await writeFile(join(root, 'grown'), grown);
    await writeFile(join(target, 'grown'), grown.subarray(0, 2 * MIB));
    // A sparse master file (hashed from its extents) against a replica copy with data in its hole.
    await writeFile(join(root, 'sparse'), Buffer.alloc(0));
    await truncate(join(root, 'sparse'), 16 * MIB);
    const fd = await open(join(root, 'sparse'), 'r+');
    const island = randomBytes(MIB);
    await fd.write(island, 0, island.length, 4 * MIB);
    await fd.close();
    const sparseStale = Buffer.alloc(16 * MIB);
    island.copy(sparseStale, 4 * MIB);
    sparseStale.fill(7, 10 * MIB, 10 * MIB + 50);
    await writeFile(join(target, 'sparse'), sparseStale);
    for (const name of ['big', 'shrunk', 'grown', 'sparse']) await age(join(target, name));

    const ca = await createCertificateAuthority(join(base, 'ca'));
    const now = new Date().toISOString();
    const scenario = {
      id: 'sc-block',
      name: 'sc-block',
      type: 'fileserver' as const,
      master: 'master-1',
      replicas: [{ host: 'replica-1', directory }],
      roots: [root],
      options: ScenarioOptions.parse({ syncMode: 'block' }),
      state: 'replicating' as const,
      entities: [],
      createdAt: now,
      updatedAt: now,
      version: 1,
    };
    const replica = await ReplicationEngine.create({
      stateDir: join(base, 'state-replica'),
      tls: await issueHostCertificate(ca, 'replica-1', base),
      listen: { host: '127.0.0.1', port: 0 },
      events: new Recorder(),
    });
    cleanup.push(() => replica.close());
    await replica.start({ scenario, self: 'replica-1', peers: [] });
    const master = await ReplicationEngine.create({
      stateDir: join(base, 'state-master'),
      tls: await issueHostCertificate(ca, 'master-1', base),
      events: new Recorder(),
    });
    cleanup.push(() => master.close());
    await master.start({
      scenario,
      self: 'master-1',
      peers: [{ host: 'replica-1', address: '127.0.0.1', port: replica.port as number }],
    });
    await converged(root, target, 40_000);
    for (let i = 0; i < 100 && !master.statistics('sc-block')?.lastSync; i++)
      await new Promise((r) => setTimeout(r, 50));
    const last = master.statistics('sc-block')?.lastSync;
    expect(last?.filesCompared).toBe(4);
    // Six blocks of big, one of shrunk plus its partial last block, the 1 MiB data tail of grown,
    // one block in the sparse file's hole: nothing else travels.
    const expected = (6 + 1 + 1 + 64 + 1) * BLOCK_SIZE;
    expect(last?.bytesSent).toBeGreaterThan(expected - BLOCK_SIZE);
    expect(last?.bytesSent).toBeLessThanOrEqual(expected);
    expect((await readFile(join(target, 'big'))).equals(big)).toBe(true);
  }, 60_000);

  it('synchronizes a sparse 9 GiB file: its hash list (9 MiB) streams in parts under the 8 MiB frame limit', async () => {
    const base = await tempDir();
    const root = join(base, 'share');
    const replicaCopy = join(base, 'replica-copy');
    await mkdir(root);
    const GIB = 1024 * MIB;
    const island = randomBytes(BLOCK_SIZE);
    for (const [path, at] of [
      [join(root, 'huge'), 8 * GIB + 3 * BLOCK_SIZE],
      [replicaCopy, 8 * GIB + 5 * BLOCK_SIZE],
    ] as const) {
      await writeFile(path, Buffer.alloc(0));
      await truncate(path, 9 * GIB);
      const fd = await open(path, 'r+');
      await fd.write(island, 0, island.length, at);
      await fd.close();
    }
    const sigs = new SignatureStore(join(base, 'sigs'));
    await sigs.open();
    const sent: UnsequencedRecord[] = [];
    let largestPart = 0;
    const peer: SyncPeer = {
      list: async () => (await walkTree(root)).map((e) => (e.kind === 'file' ? { ...e, mtimeMs: 1 } : e)),
      hashes: async (_path, onPart) => {
        const fd = await open(replicaCopy, 'r');
        try {
          let part: Buffer[] = [];
          await hashBlocks(
            fd,
            (_i, _block, hash) => part.push(hash),
            async () => {
              const b = Buffer.concat(part);
              largestPart = Math.max(largestPart, b.length);
              onPart?.(b);
              part = [];
            },
            await dataLayout(fd, await fd.stat()),
          );
          return Buffer.concat(part);
        } finally {
          await fd.close();
        }
      },
      send: async (record) => {
        sent.push(record);
      },
    };
    const files = await MasterFiles.open([root]);
    await synchronize('block', await walkTree(root), [root], peer, sigs, files);
    files.close();
    // Two blocks differ (the island moved); the 9 MiB of hashes never needed one large frame.
    const writes = sent.filter((r) => r.kind === 'write') as Extract<UnsequencedRecord, { kind: 'write' }>[];
    expect(writes.map((w) => [w.offset, w.data.length])).toEqual([
      [8 * GIB + 3 * BLOCK_SIZE, BLOCK_SIZE],
      [8 * GIB + 5 * BLOCK_SIZE, BLOCK_SIZE],
    ]);
    expect(largestPart).toBeGreaterThan(0);
    expect(largestPart).toBeLessThanOrEqual(8 * 1024);
  }, 60_000);

  for (const streamed of [true, false]) {
    it(`sends exactly the differing blocks, truncate last, none before its hash (${streamed ? 'streamed' : 'all at the end'})`, async () => {
      const base = await tempDir();
      const root = join(base, 'share');
      const replicaCopy = join(base, 'replica-copy');
      await mkdir(root);
      const content = randomBytes(24 * MIB + 123);
      const changed = [1, 2, 3, 500, 1535, 1536];
      await writeFile(join(root, 'f'), content);
      await writeFile(replicaCopy, staleOf(content, changed));
      const entries = await walkTree(root);
      const sigs = new SignatureStore(join(base, 'sigs'));
      await sigs.open();
      let hashesArrived = 0; // blocks whose replica hash the master has been given
      const sent: { record: UnsequencedRecord; hashesBefore: number }[] = [];
      const peer: SyncPeer = {
        list: async () =>
          (await walkTree(root)).map((e) =>
            e.path === join(root, 'f') ? { ...e, size: content.length, mtimeMs: 1 } : e,
          ),
        hashes: async (_path, onPart) => {
          const fd = await open(replicaCopy, 'r');
          try {
            let part: Buffer[] = [];
            const give = (b: Buffer) => {
              hashesArrived += b.length / HASH_BYTES;
              onPart?.(b);
            };
            const { hashes } = await hashBlocks(
              fd,
              (_i, _block, hash) => part.push(hash),
              async () => {
                if (streamed && onPart) give(Buffer.concat(part));
                if (streamed) part = [];
                // Let the master run between parts, as frames arriving over a socket would.
                await new Promise((r) => setImmediate(r));
              },
            );
            const rest = streamed ? Buffer.concat(part) : hashes;
            hashesArrived += rest.length / HASH_BYTES;
            return rest;
          } finally {
            await fd.close();
          }
        },
        send: async (record) => {
          sent.push({ record, hashesBefore: hashesArrived });
        },
      };
      const files = await MasterFiles.open([root]);
      const stats = await synchronize('block', entries, [root], peer, sigs, files).finally(() =>
        files.close(),
      );
      const writes = sent.filter((s) => s.record.kind === 'write');
      const blocksWritten = writes.flatMap((s) => {
        const r = s.record as Extract<UnsequencedRecord, { kind: 'write' }>;
        expect(r.data.equals(content.subarray(r.offset, r.offset + r.data.length))).toBe(true);
        const first = r.offset / BLOCK_SIZE;
        const last = Math.ceil((r.offset + r.data.length) / BLOCK_SIZE) - 1;
        // Never sent before the replica's hash of its last block had arrived.
        expect(s.hashesBefore).toBeGreaterThan(last);
        return Array.from({ length: last - first + 1 }, (_, i) => first + i);
      });
      expect(blocksWritten).toEqual(changed);
      // The last changed block is the file's partial last block (123 bytes).
      expect(stats.bytesSent).toBe((changed.length - 1) * BLOCK_SIZE + 123);
      // Truncate and attrs close the file, after every write.
      expect(sent.slice(-2).map((s) => s.record.kind)).toEqual(['truncate', 'attrs']);
      if (streamed) {
        // Sending overlapped hashing: the first write went before the replica's last hash.
        expect(writes[0]?.hashesBefore).toBeLessThan(Math.ceil(content.length / BLOCK_SIZE));
      }
    });
  }
});
