import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { replicaPathOf } from '../../../core/scenario.js';
import { converged, type Pair, startPair } from './harness.js';

let pair: Pair | undefined;
afterEach(async () => {
  await pair?.close();
  pair = undefined;
});

/** Fails if `p` has not settled after `ms`, naming what hung. */
async function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([p, late]);
  } finally {
    clearTimeout(timer);
  }
}

describe('engine lifecycle', () => {
  it('stop() right after start(), before the first synchronization finished, does not hang', async () => {
    pair = await startPair();
    const { root, scenario, replicaDir } = pair;
    for (let d = 0; d < 10; d++) {
      await mkdir(join(root, `d${d}`));
      for (let f = 0; f < 30; f++) await writeFile(join(root, `d${d}`, `f${f}`), `file ${d}/${f}`);
    }
    const peers = [{ host: 'replica-1', address: '127.0.0.1', port: pair.replica.port as number }];
    for (let round = 0; round < 5; round++) {
      await pair.master.stop(scenario.id);
      await pair.master.start({ scenario: { ...scenario, version: 10 + round }, self: 'master-1', peers });
      // Let the synchronization get under way (or not) at a different moment each round.
      await new Promise((r) => setTimeout(r, round * 15));
      await within(pair.master.stop(scenario.id), 5000, `stop in round ${round}`);
    }
    // The scenario still works after all that.
    await pair.master.start({ scenario: { ...scenario, version: 99 }, self: 'master-1', peers });
    await writeFile(join(root, 'after'), 'still replicating');
    await converged(root, replicaPathOf({ host: 'replica-1', directory: replicaDir }, root));
    expect(pair.masterEvents.ids().filter((i) => i === 'SR00101').length).toBeGreaterThanOrEqual(6);
  }, 60_000);
});
