/**
 * A multi-GiB sparse file with scattered small writes: capture reads only
 * its data extents (sparse-layout.ts), so each change costs milliseconds
 * instead of a 2 GiB read, only changed blocks travel, and the replica's
 * copy stays sparse. The final comparison is Debian's `cmp` over both files.
 */
import { execFile } from 'node:child_process';
import { open, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { dataLayout } from '../../../agent/replication/sparse-layout.js';
import { replicaPathOf } from '../../../core/scenario.js';
import { type Pair, startPair } from './harness.js';

const run = promisify(execFile);
const SIZE = 2 * 1024 ** 3 + 12_345;

let pair: Pair | undefined;
afterEach(async () => {
  await pair?.close();
  pair = undefined;
});

/** Waits until every written range reads the same on the replica and the sizes match. */
async function rangesMatch(master: string, replica: string, writes: { offset: number; data: Buffer }[]) {
  const until = Date.now() + 30_000;
  for (;;) {
    const size = await stat(replica).then(
      (s) => s.size,
      () => -1,
    );
    if (size === SIZE) {
      const fd = await open(replica, 'r');
      try {
        let all = true;
        for (const w of writes) {
          const got = Buffer.alloc(w.data.length);
          await fd.read(got, 0, got.length, w.offset);
          if (!got.equals(w.data)) all = false;
        }
        if (all) return;
      } finally {
        await fd.close();
      }
    }
    if (Date.now() > until) throw new Error(`replica of ${master} did not catch up (size ${size})`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('multi-GiB sparse files', () => {
  it('replicates scattered writes into a 2 GiB sparse file cheaply and keeps the copy sparse', async () => {
    pair = await startPair();
    const { root, scenario } = pair;
    const path = join(root, 'disk.img');
    const copy = replicaPathOf(scenario.replicas[0] as never, path);
    const writes: { offset: number; data: Buffer }[] = [];
    const scatter = async (n: number, seed: number) => {
      const fd = await open(path, 'r+');
      for (let i = 0; i < n; i++) {
        const offset = Math.floor(((i + 0.5) / n) * (SIZE - 200) + seed * 7919) % (SIZE - 200);
        const data = Buffer.from(`write ${seed}/${i} `.repeat(6));
        await fd.write(data, 0, data.length, offset);
        writes.push({ offset, data });
      }
      await fd.close();
    };
    const fd = await open(path, 'w');
    await fd.truncate(SIZE);
    await fd.close();
    await scatter(8, 1);
    const reader = await open(path, 'r');
    const layout = await dataLayout(reader, await stat(path)).finally(() => reader.close());
    expect(layout?.data.length, 'filefrag reports the data extents').toBeGreaterThan(0);
    await rangesMatch(path, copy, writes);
    await pair.master.captureIdle(scenario.id);
    const sentBefore = pair.master.statistics(scenario.id)?.roots[0]?.bytesSent ?? 0;
    const started = Date.now();
    await scatter(16, 2);
    await rangesMatch(path, copy, writes);
    const lagMs = Date.now() - started;
    await pair.master.captureIdle(scenario.id);
    const sent = (pair.master.statistics(scenario.id)?.roots[0]?.bytesSent ?? 0) - sentBefore;
    // 16 writes of ~100 bytes: at most two 16 KiB blocks each, plus record headers.
    expect(sent).toBeLessThan(16 * 2 * 16 * 1024 + 64 * 1024);
    // Reading 2 GiB per change took seconds on this machine; extents make it milliseconds.
    expect(lagMs).toBeLessThan(5000);
    await run('cmp', [path, copy]);
    const replicaSt = await stat(copy);
    expect(replicaSt.size).toBe(SIZE);
    expect(replicaSt.blocks * 512).toBeLessThan(64 * 1024 * 1024);
  }, 90_000);
});
