/**
 * Data rewind end to end: real agents on real directories, the local cloud,
 * and the CLI. Damage on the master replicates to the replica; rewinding the
 * replica to a bookmark taken before brings back exactly the tree the
 * bookmark saw, and the catalog lists the points the replica's journal holds.
 */
import { rm, unlink, writeFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_SCENARIO } from '../../infra/local/demo.js';
import { type CliDemo, type Job, startCliDemo } from '../support/cli-demo.js';
import { treeHashes } from '../support/tree-hashes.js';
import { until } from '../support/until.js';

interface Point {
  id: string;
  event: string;
  label?: string;
  host: string;
  createdAt: string;
}

let e2e: CliDemo;

beforeAll(async () => {
  e2e = await startCliDemo('tidemark-rewind-', 15);
}, 180_000);

afterAll(async () => {
  await e2e?.stop();
});

const points = async () => (await e2e.json<{ points: Point[] }>(['rewind', 'points', DEMO_SCENARIO])).points;

describe('data rewind through the CLI, with real agents', () => {
  it('takes rewind points at a backup’s suspend and snapshot', async () => {
    const job = await e2e.finished(await e2e.json<Job>(['backup', DEMO_SCENARIO]));
    expect(job.result, JSON.stringify(job.scenarios)).toBe('completed');
    const listed = await until('the backup’s points in the catalog', 30, async () => {
      const now = await points();
      return now.some((p) => p.event === 'backup') ? now : undefined;
    });
    expect(listed.map((p) => p.event)).toEqual(['suspend', 'backup']);
    expect(listed[1]).toMatchObject({ host: 'demo-replica', label: `job ${job.id}` });
  });

  it('rolls the replica back past replicated damage to the state at a bookmark', async () => {
    await writeFile(e2e.master('docs/ledger.txt'), 'balance: 100\n');
    await e2e.replicated('docs/ledger.txt', 'balance: 100\n');
    const replicaData = e2e.onReplica(e2e.demo.masterData);
    const before = await treeHashes(replicaData);
    expect(before).toEqual(await treeHashes(e2e.demo.masterData));

    const taken = await e2e.json<{ points: Point[] }>([
      'rewind',
      'bookmark',
      DEMO_SCENARIO,
      '--label',
      'before the damage',
      '--wait',
    ]);
    const bookmark = taken.points?.[0] as Point;
    expect(bookmark, JSON.stringify(taken)).toBeDefined();
    expect(bookmark).toMatchObject({ event: 'bookmark', label: 'before the damage', host: 'demo-replica' });

    // The damage: an overwrite, a deletion, a ransom note; all of it replicates.
    await writeFile(e2e.master('docs/ledger.txt'), 'ENCRYPTED GARBAGE ENCRYPTED GARBAGE\n');
    await unlink(e2e.master('docs/readme.txt'));
    await writeFile(e2e.master('RANSOM.txt'), 'pay up\n');
    await e2e.replicated('docs/ledger.txt', 'ENCRYPTED GARBAGE ENCRYPTED GARBAGE\n');
    await e2e.replicated('docs/readme.txt', undefined);
    await e2e.replicated('RANSOM.txt', 'pay up\n');
    await until('the bookmark in the catalog', 30, async () =>
      (await points()).some((p) => p.id === bookmark.id) ? true : undefined,
    );

    const rewound = await e2e.json<{ status: string; output: { pathsChanged: number; paths: string[] } }>([
      'rewind',
      DEMO_SCENARIO,
      '--to',
      bookmark.id,
      '--wait',
    ]);
    expect(rewound.status).toBe('succeeded');
    expect(rewound.output.paths).toEqual(
      expect.arrayContaining(['docs/ledger.txt', 'docs/readme.txt', 'RANSOM.txt'].map(e2e.master)),
    );
    expect(await treeHashes(replicaData)).toEqual(before);

    const scenario = await e2e.json<{ state: string }>(['scenarios', 'get', DEMO_SCENARIO]);
    expect(scenario.state).toBe('stopped');
    // Points after the bookmark are gone from the journal and so from the catalog; the bookmark stays.
    const after = await until('the catalog to follow the journal', 30, async () => {
      const now = await points();
      return now.at(-1)?.id === bookmark.id ? now : undefined;
    });
    expect(after.map((p) => p.event)).toEqual(['suspend', 'backup', 'bookmark']);
  });

  it('refuses a point the journal does not hold with AE0475, and changes nothing', async () => {
    const replicaData = e2e.onReplica(e2e.demo.masterData);
    const before = await treeHashes(replicaData);
    await expect(e2e.cli(['rewind', DEMO_SCENARIO, '--to', 'no-such-point'])).rejects.toThrow(/AE0475/);
    expect(await treeHashes(replicaData)).toEqual(before);
    await rm(e2e.master('RANSOM.txt'), { force: true });
  });
});
