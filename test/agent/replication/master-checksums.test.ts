/**
 * The master's checksums travel in the stream (real master and replica
 * engines over TLS on loopback): the replica receives one per file, equal
 * to the checksum of its own copy; a file touched after they were sent (by
 * a write, or a rename of a directory above it) is no longer vouched for;
 * a file whose replica copy went bad no longer matches.
 */
import { mkdir, open, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { checksumOfFile } from '../../../agent/replication/master-checksums.js';
import { replicaPathOf } from '../../../core/scenario.js';
import { until } from '../../support/until.js';
import { converged, type Pair, startPair } from './harness.js';

let pair: Pair | undefined;
afterEach(async () => {
  await pair?.close();
  pair = undefined;
});

/** Sends the checksums (retrying while the first synchronization finishes) and waits until the replica applied them. */
async function sendAndApply(p: Pair) {
  const sent = await until('the master to finish synchronizing and send its checksums', 20, () =>
    p.master.sendMasterChecksums(p.scenario.id),
  );
  const through = sent.throughSeq['replica-1'] ?? Number.NaN;
  await until(`the replica to apply through ${through}`, 20, async () =>
    p.replica.appliedSeq(p.scenario.id) >= through ? true : undefined,
  );
  return sent;
}

describe('master checksums', () => {
  it('reach the replica equal to the checksums of its copies, and a later change withdraws them', async () => {
    pair = await startPair();
    const { root, scenario, replicaDir } = pair;
    const replicaOf = (path: string) => replicaPathOf(scenario.replicas[0] as never, path);
    await mkdir(join(root, 'dir', 'deep'), { recursive: true });
    await writeFile(join(root, 'small.txt'), 'small file');
    await writeFile(join(root, 'dir', 'big.bin'), Buffer.alloc(300_000, 5));
    await writeFile(join(root, 'dir', 'deep', 'moved.txt'), 'will move with its directory');
    await writeFile(join(root, 'empty'), '');
    await converged(root, join(replicaDir, root));

    const sent = await sendAndApply(pair);
    expect(sent.files).toBe(4);
    const held = pair.replica.takeMasterChecksums(scenario.id);
    expect(held.receivedThrough).toBe(sent.throughSeq['replica-1']);
    expect([...held.checksums.keys()].sort()).toEqual(
      ['dir/big.bin', 'dir/deep/moved.txt', 'empty', 'small.txt'].map((p) => join(root, p)),
    );
    for (const [path, sum] of held.checksums) {
      const mine = await checksumOfFile(replicaOf(path));
      expect(mine.size, path).toBe(sum.size);
      expect(mine.digest.equals(sum.digest), path).toBe(true);
    }
    // Taking them empties the ledger.
    expect(pair.replica.takeMasterChecksums(scenario.id).checksums.size).toBe(0);

    // Sent again, then a write and a directory rename: only the untouched files stay vouched for.
    await sendAndApply(pair);
    await writeFile(join(root, 'small.txt'), 'small file, changed');
    await rename(join(root, 'dir', 'deep'), join(root, 'dir', 'renamed'));
    await converged(root, join(replicaDir, root));
    await pair.master.captureIdle(scenario.id);
    const next = pair.master.acknowledged(scenario.id)['replica-1']?.next ?? 0;
    await until('the replica to apply the changes', 20, async () =>
      pair?.replica.appliedSeq(scenario.id) === next - 1 ? true : undefined,
    );
    const after = pair.replica.takeMasterChecksums(scenario.id);
    expect([...after.checksums.keys()].sort()).toEqual(['dir/big.bin', 'empty'].map((p) => join(root, p)));

    // A replica copy changed behind the engine's back no longer matches the master's checksum.
    await sendAndApply(pair);
    const bad = pair.replica.takeMasterChecksums(scenario.id).checksums.get(join(root, 'dir', 'big.bin'));
    expect(bad).toBeDefined();
    const copy = replicaOf(join(root, 'dir', 'big.bin'));
    const fd = await open(copy, 'r+');
    await fd.write(Buffer.from([9]), 0, 1, 200_000);
    await fd.close();
    const mine = await checksumOfFile(copy);
    expect(mine.size).toBe(bad?.size);
    expect(mine.digest.equals(bad?.digest as Buffer)).toBe(false);
  }, 60_000);

  it('is refused for a scenario this host is not the master of', async () => {
    pair = await startPair();
    await expect(pair.replica.sendMasterChecksums(pair.scenario.id)).rejects.toThrow(
      /no master on this host/,
    );
  }, 30_000);
});
