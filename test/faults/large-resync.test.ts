/**
 * A replica holding 200,000 files resynchronizes: the replica's listing
 * travels in parts (200,000 entries list as ~25 MB of JSON, three times the
 * 8 MiB frame limit; one frame was refused with SR00160 before), and every
 * change made while the link was down arrives, nothing else is touched.
 */
import { execFile } from 'node:child_process';
import { mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { replicaPathOf } from '../../core/scenario.js';
import { type Pair, startPair } from '../agent/replication/harness.js';

const run = promisify(execFile);
const DIRS = Number(process.env.RESYNC_DIRS ?? 200);
const PER_DIR = 1000;

let pair: Pair | undefined;
afterEach(async () => {
  await pair?.close();
  pair = undefined;
});

const fileOf = (root: string, d: number, f: number) => join(root, `d${d}`, `f${f}.txt`);

async function makeTree(root: string): Promise<void> {
  for (let d = 0; d < DIRS; d++) {
    await mkdir(join(root, `d${d}`), { recursive: true });
    const writes: Promise<void>[] = [];
    for (let f = 0; f < PER_DIR; f++) writes.push(writeFile(fileOf(root, d, f), `${d}/${f}\n`));
    await Promise.all(writes);
  }
}

describe('resynchronization of a large tree', () => {
  it('a replica holding 200,000 files gets every change made while the link was down', async () => {
    pair = await startPair();
    const { root, scenario, replicaDir } = pair;
    const syncs = () => pair?.masterEvents.ids().filter((i) => i === 'SR00111').length ?? 0;
    while (syncs() === 0) await new Promise((r) => setTimeout(r, 50));
    await pair.master.stop(scenario.id);
    // The replica holds the tree as replicated (same bytes and times); then, on the master, one file in a
    // thousand changes, one is new per directory, one directory goes.
    const target = replicaPathOf({ host: 'replica-1', directory: replicaDir }, root);
    await rm(root, { recursive: true });
    await makeTree(root);
    await rm(target, { recursive: true });
    await mkdir(dirname(target), { recursive: true });
    await run('cp', ['-a', root, target]);
    const changed: string[] = [];
    for (let d = 0; d < DIRS; d++) {
      changed.push(fileOf(root, d, d % PER_DIR), join(root, `d${d}`, 'new.txt'));
      await writeFile(fileOf(root, d, d % PER_DIR), `${d}/${d % PER_DIR} changed\n`);
      await writeFile(join(root, `d${d}`, 'new.txt'), `new ${d}\n`);
    }
    await rm(join(root, `d${DIRS - 1}`), { recursive: true });
    changed.splice(-2);
    const started = Date.now();
    await pair.master.start({
      scenario: { ...scenario, version: 2 },
      self: 'master-1',
      peers: [{ host: 'replica-1', address: '127.0.0.1', port: pair.replica.port as number }],
    });
    // Applied in order: done once every changed file has the master's time and the directory is gone.
    const until = Date.now() + 300_000;
    const done = async () => {
      for (const path of changed) {
        const st = await stat(join(target, path.slice(root.length))).catch(() => undefined);
        if (!st || Math.abs(st.mtimeMs - (await stat(path)).mtimeMs) > 0.002) return false;
      }
      return !(await stat(join(target, `d${DIRS - 1}`)).catch(() => undefined));
    };
    while (!(await done())) {
      const failed = [...pair.masterEvents.events, ...pair.replicaEvents.events].find(
        (e) => e.severity === 'error',
      );
      if (failed) throw new Error(`${failed.eventId} ${failed.text}`);
      if (Date.now() > until) throw new Error('the resynchronization did not finish in 300 s');
      await new Promise((r) => setTimeout(r, 250));
    }
    const ms = Date.now() - started;
    expect(syncs()).toBe(2);
    expect(await readFile(fileOf(target, 1, 1), 'utf8')).toBe('1/1 changed\n');
    expect(await readFile(join(target, 'd0', 'new.txt'), 'utf8')).toBe('new 0\n');
    // Everything else as it was: diff exits 0 only for identical trees.
    await expect(run('diff', ['-rq', '--exclude=.tidemark-staging', root, target])).resolves.toBeDefined();
    console.log(`resync of ${DIRS * PER_DIR} files, ${changed.length} changed or new: ${ms} ms`);
  }, 900_000);
});
