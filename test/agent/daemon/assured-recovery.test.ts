/**
 * The assured-recovery `test` command on a real replica (loopback
 * replication, copy-on-write snapshots in the apply path): the file-server
 * check compares every file of the writable copy with the snapshot by
 * SHA-256; the PostgreSQL check starts a throwaway server (Debian's
 * binaries) on a writable copy of a snapshot of a live cluster's replica
 * and reads its tables. Only the PostgreSQL part skips, saying why, without
 * the binaries.
 */
import { execFileSync } from 'node:child_process';
import { chmod, mkdir, open, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AssuredRecoveryOutput } from '../../../core/agent-commands.js';
import { replicaPathOf, type Scenario } from '../../../core/scenario.js';
import { until } from '../../support/until.js';
import {
  findPostgresBin,
  giveToPostgres,
  type LiveCluster,
  seedShop,
  startLiveCluster,
  treeDigest,
} from '../adapters/postgres-cluster.js';
import { converged } from '../replication/harness.js';
import { type DataRig, startDataRig } from './data-replica.js';

let rig: DataRig;

beforeAll(async () => {
  rig = await startDataRig();
}, 60_000);

afterAll(async () => {
  await rig?.close();
});

async function arTest(scenario: Scenario) {
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

    // Apply stays suspended after the test, for the workflow's snapshot; the workflow's resume lets it go on.
    await writeFile(path.join(rig.root, 'share', 'after.txt'), 'written after the check');
    await new Promise((resolve) => setTimeout(resolve, 1500));
    await expect(readFile(path.join(rig.replicaDir, rig.root, 'share', 'after.txt'))).rejects.toThrow(
      /ENOENT/,
    );
    await rig.replica.resume(rig.scenario.id); // what the daemon's `resume` handler calls
    await converged(rig.root, path.join(rig.replicaDir, rig.root));
  }, 60_000);

  it('compares the copy with the master checksums; a bad or missing replica file fails the test, naming it', async () => {
    const share = path.join(rig.root, 'master-sums');
    await mkdir(share, { recursive: true });
    await writeFile(path.join(share, 'kept.txt'), 'kept as the master has it');
    await writeFile(path.join(share, 'rotted.bin'), Buffer.alloc(100_000, 3));
    await writeFile(path.join(share, 'lost.txt'), 'lost on the replica');
    await converged(rig.root, path.join(rig.replicaDir, rig.root));
    // What the workflow's SendMasterChecksums step does on the master agent.
    const sent = await until('the master to send its checksums', 20, () =>
      rig.master.sendMasterChecksums(rig.scenario.id),
    );
    const ar = (masterChecksums: typeof sent) =>
      rig.run('test', {
        scenarioId: rig.scenario.id,
        scenarioName: 'files',
        jobId: 'job-ar',
        scenario: rig.scenario,
        masterChecksums,
      });

    const good = await ar(sent);
    expect(good, JSON.stringify(good)).toMatchObject({ status: 'succeeded', output: { passed: true } });
    const goodReport = AssuredRecoveryOutput.parse((good as { output: unknown }).output).report.join('\n');
    // A file the master has no confirmed signature for yet (the earlier test's, written moments before) is
    // skipped by the master and compared with the snapshot instead; how many depends on timing.
    expect(goodReport).toMatch(
      new RegExp(`; ${sent.files} compared with the master's checksums, ${sent.skipped} changed`),
    );
    expect(sent.files).toBeGreaterThanOrEqual(3);
    await rig.replica.resume(rig.scenario.id);

    // Damage the replica copy behind the engine's back: one flipped byte, one file gone.
    const copyOf = (name: string) => path.join(rig.replicaDir, share, name);
    const fd = await open(copyOf('rotted.bin'), 'r+');
    await fd.write(Buffer.from([4]), 0, 1, 50_000);
    await fd.close();
    await rm(copyOf('lost.txt'));
    const again = await until('the master to send its checksums again', 20, () =>
      rig.master.sendMasterChecksums(rig.scenario.id),
    );
    const bad = await ar(again);
    expect(bad, JSON.stringify(bad)).toMatchObject({ status: 'succeeded', output: { passed: false } });
    const badReport = AssuredRecoveryOutput.parse((bad as { output: unknown }).output).report.join('\n');
    expect(badReport).toMatch(/rotted\.bin: checksum [0-9a-f]{64} does not match the master's [0-9a-f]{64}/);
    expect(badReport).toMatch(/lost\.txt: on the master, missing from the copy/);
    expect(badReport).not.toMatch(/kept\.txt/);
    await rig.replica.resume(rig.scenario.id);

    // Repair the copy through replication, so the later tests see a healthy replica (new bytes in every
    // block: capture sends only blocks that differ from what it sent before).
    await writeFile(path.join(share, 'rotted.bin'), Buffer.alloc(100_000, 8));
    await writeFile(path.join(share, 'lost.txt'), 'back again');
    await converged(rig.root, path.join(rig.replicaDir, rig.root));
    await rig.run('release_snapshots', { scenarioId: rig.scenario.id, scenarioName: 'files' });
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

const bin = findPostgresBin();
if (!bin)
  console.warn(
    'PostgreSQL binaries missing (apt-get install -y postgresql): skipping the PostgreSQL AR test',
  );

describe.skipIf(!bin)('assured recovery test command, PostgreSQL scenario', () => {
  let cluster: LiveCluster;
  let scenario: Scenario;
  let replicaData: string;

  beforeAll(async () => {
    // The server runs as postgres: it must pass the rig's private base to reach its directories.
    await chmod(rig.base, 0o711);
    const pgBase = path.join(rig.base, 'pg');
    await mkdir(pgBase);
    giveToPostgres(pgBase);
    cluster = await startLiveCluster(bin as string, path.join(pgBase, 'data'), pgBase);
    seedShop(cluster);
    scenario = { ...rig.scenario, type: 'postgresql', name: 'shop db', roots: [cluster.dataDir] };
    // The replica's copy is made by `cp -a` of the running cluster, not by replication: replicating a
    // fresh 35 MB cluster takes about a minute on a loaded 2-core machine, past this file's budget.
    // Replication itself is tested in test/agent/replication; the snapshot here is the engine's own.
    replicaData = replicaPathOf(rig.scenario.replicas[0] as Scenario['replicas'][number], cluster.dataDir);
    await mkdir(path.dirname(replicaData), { recursive: true });
    execFileSync('cp', ['-a', cluster.dataDir, replicaData]);
  }, 60_000);

  afterAll(() => {
    cluster?.stop();
  });

  it('starts a throwaway server on a writable copy of a snapshot of the replica, reads the tables, and reports it', async () => {
    const replicaBefore = await treeDigest(replicaData);
    const livePid = await readFile(path.join(cluster.dataDir, 'postmaster.pid'), 'utf8');
    const before = await leftovers();
    const output = await arTest(scenario);
    expect(output.passed, output.report.join('\n')).toBe(true);
    expect(output.report).toEqual([
      expect.stringMatching(/^snapshot cow-/),
      `PostgreSQL ${cluster.version} on ${replicaData}: a throwaway server started on the overlay`,
      'SELECT 1 answered',
      'database postgres: 0 tables, 0 rows read',
      'database shop: 1 tables, 1234 rows read (public.stock 1234)',
    ]);
    // The replica, the live cluster and the snapshots are as they were; the overlay is gone.
    expect(await treeDigest(replicaData)).toEqual(replicaBefore);
    expect(await readFile(path.join(cluster.dataDir, 'postmaster.pid'), 'utf8')).toBe(livePid);
    expect(cluster.sql('shop', 'SELECT count(*) FROM stock')).toBe('1234');
    expect(await leftovers()).toEqual(before);
    const kept = await rig.run('release_snapshots', { scenarioId: scenario.id, scenarioName: scenario.name });
    expect(kept).toMatchObject({ status: 'succeeded', output: { kept: 0 } });
  }, 60_000);

  it("reports a failed check, in the server's words, when the replica lost global/pg_control", async () => {
    await rm(path.join(replicaData, 'global', 'pg_control'));
    const started = Date.now();
    const output = await arTest(scenario);
    expect(output.passed).toBe(false);
    expect(output.report).toEqual([
      expect.stringMatching(/^snapshot cow-/),
      expect.stringMatching(
        new RegExp(
          `^PostgreSQL \\d+ on ${replicaData}: postgres exited during the check .*could not open file "${replicaData}/global/pg_control"`,
        ),
      ),
    ]);
    // Snapshot and overlay copy included, well inside the 120 s start-up bound: the server's exit ended the wait.
    expect(Date.now() - started).toBeLessThan(40_000);
  }, 60_000);
});
