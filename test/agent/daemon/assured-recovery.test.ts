/**
 * The assured-recovery `test` command on a real replica (loopback
 * replication, copy-on-write snapshots in the apply path): the file-server
 * check compares every file of the writable copy with the snapshot by
 * SHA-256. (The PostgreSQL check has no passing test yet: see the report.)
 */
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AssuredRecoveryOutput } from '../../../core/agent-commands.js';
import { converged } from '../replication/harness.js';
import { type DataRig, startDataRig } from './data-replica.js';

let rig: DataRig;

beforeAll(async () => {
  rig = await startDataRig();
}, 60_000);

afterAll(async () => {
  await rig?.close();
});

async function arTest(scenario: DataRig['scenario']) {
  const result = await rig.run('test', {
    scenarioId: scenario.id,
    scenarioName: scenario.name,
    jobId: 'job-ar',
    scenario,
  });
  expect(result, JSON.stringify(result)).toMatchObject({ status: 'succeeded' });
  return AssuredRecoveryOutput.parse((result as { output?: unknown }).output);
}

const leftovers = async () =>
  (await readdir(tmpdir())).filter((name) => name.startsWith('tidemark-ar-')).sort();

describe('assured recovery test command', () => {
  it('checks every file of a writable copy of a snapshot against the snapshot, then discards it', async () => {
    await mkdir(path.join(rig.root, 'share', 'sub'), { recursive: true });
    await writeFile(path.join(rig.root, 'share', 'a.txt'), 'alpha');
    await writeFile(path.join(rig.root, 'share', 'sub', 'b.bin'), Buffer.alloc(200_000, 7));
    await converged(rig.root, path.join(rig.replicaDir, rig.root));
    const before = await leftovers();
    const output = await arTest(rig.scenario);
    expect(output.passed).toBe(true);
    expect(output.report.join('\n')).toMatch(/2 files \(200005 bytes\) read back and compared by SHA-256/);
    expect(await leftovers()).toEqual(before);
    // The test's own snapshot is released: only snapshots a backup took remain.
    const kept = await rig.run('release_snapshots', { scenarioId: rig.scenario.id, scenarioName: 'files' });
    expect(kept).toMatchObject({ status: 'succeeded', output: { kept: 0 } });
  }, 60_000);

  it('refuses a scenario that does not name this host as a replica (AE0468)', async () => {
    const other = { ...rig.scenario, replicas: [{ host: 'replica-9', directory: rig.replicaDir }] };
    const result = await rig.run('test', {
      scenarioId: other.id,
      scenarioName: other.name,
      jobId: 'j',
      scenario: other,
    });
    expect(result).toMatchObject({ status: 'failed', code: 'AE0468' });
  });
});
