/**
 * The replica agent's data commands end to end, through the dispatcher the
 * control loop uses: a real master → replica replication pair on loopback
 * (the replica built by `defaultEngines`, so the copy-on-write snapshots
 * sit in its apply path), real moto S3 and KMS over HTTP. A snapshot taken
 * while replication keeps writing is backed up, restored to an alternate
 * folder, and must equal the master's tree at snapshot time byte for byte.
 */
import { randomBytes } from 'node:crypto';
import { appendFile, mkdir, readdir, rename, rm, truncate, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BackupOutput,
  ReleaseSnapshotsOutput,
  RestoreOutput,
  SnapshotOutput,
} from '../../../core/agent-commands.js';
import { clients } from '../../../core/aws-clients.js';
import { decodeNameIndex } from '../../../core/file-index/name-index-codec.js';
import { openNameIndex } from '../../../core/file-index/name-index-envelope.js';
import { ageDataPacks, startTestCloud, type TestCloud } from '../backup/cloud.js';
import { converged, treeDigest } from '../replication/harness.js';
import { type DataRig, startDataRig } from './data-replica.js';

let cloud: TestCloud;
let rig: DataRig;

function succeeded<T>(result: { status: string }, schema: { parse(v: unknown): T }): T {
  expect(result, JSON.stringify(result)).toMatchObject({ status: 'succeeded' });
  return schema.parse((result as { output?: unknown }).output);
}

function repository() {
  return { bucket: cloud.bucket, prefix: `repos/${rig.scenario.id}`, kmsKeyId: cloud.kmsKeyId };
}

/** A restore command's arguments for a session of this scenario. */
function restoreArgs(sessionNumber: number, directory: string, extra: Record<string, unknown> = {}) {
  return {
    jobId: 'job-restore',
    scenarioId: rig.scenario.id,
    repository: repository(),
    sessionNumber,
    directory,
    ...extra,
  };
}

function digestUnder(tree: Record<string, string>, prefix: string): Record<string, string> {
  return Object.fromEntries(Object.entries(tree).filter(([k]) => k === prefix || k.startsWith(`${prefix}/`)));
}

beforeAll(async () => {
  cloud = await startTestCloud();
  rig = await startDataRig();
  // The stand-in control plane issues credentials for the asked scenario's repository, as
  // POST /agent/credentials does (moto accepts any key, so these sign real requests to it).
  rig.credentials.answer = (body) => {
    const { scenarioId } = body as { scenarioId: string };
    return {
      status: 200,
      body: {
        accessKeyId: `ASIA${scenarioId.slice(-8).toUpperCase()}`,
        secretAccessKey: 'scoped-secret',
        sessionToken: 'scoped-session',
        expiration: new Date(Date.now() + 15 * 60_000).toISOString(),
        region: 'us-east-1',
        bucket: cloud.bucket,
        prefix: `repos/${scenarioId}`,
        kmsKeyId: cloud.kmsKeyId,
      },
    };
  };
}, 60_000);

afterAll(async () => {
  await rig?.close();
  await cloud?.moto.stop();
});

describe('snapshot, backup and restore commands on the replica', () => {
  let atSnapshot: Record<string, string>;
  let snapshotId: string;
  let backup: BackupOutput;

  it('takes a snapshot that keeps its content while replication writes on', async () => {
    await mkdir(path.join(rig.root, 'docs', 'deep', 'er'), { recursive: true });
    await mkdir(path.join(rig.root, 'db'), { recursive: true });
    await writeFile(path.join(rig.root, 'docs', 'report.txt'), 'quarterly figures\n'.repeat(1000));
    await writeFile(
      path.join(rig.root, 'docs', 'deep', 'er', 'name with spaces ü.bin'),
      randomBytes(300_000),
    );
    await writeFile(path.join(rig.root, 'docs', 'empty'), '');
    await writeFile(path.join(rig.root, 'db', 'table.dat'), randomBytes(2 * 1024 * 1024));
    await converged(rig.root, path.join(rig.replicaDir, rig.root));
    atSnapshot = await treeDigest(rig.root);

    const taken = succeeded(
      await rig.run('snapshot', { scenarioId: rig.scenario.id, scenarioName: 'files', jobId: 'job-1' }),
      SnapshotOutput,
    );
    snapshotId = taken.snapshotId;
    expect(taken.pauseMs).toBeLessThan(50);
    console.log(`snapshot pause: ${taken.pauseMs.toFixed(2)} ms`);

    // The master keeps changing: overwrite, truncate, create, delete — applied on the replica through the hooks.
    // (Appends and renames are not here: see the known-broken cases below.)
    await writeFile(path.join(rig.root, 'db', 'table.dat'), randomBytes(2 * 1024 * 1024));
    await truncate(path.join(rig.root, 'docs', 'report.txt'), 100);
    await writeFile(path.join(rig.root, 'docs', 'born-after.txt'), 'not in the snapshot');
    await rm(path.join(rig.root, 'docs', 'deep', 'er', 'name with spaces ü.bin'));
    await converged(rig.root, path.join(rig.replicaDir, rig.root));
    expect(await treeDigest(rig.root)).not.toEqual(atSnapshot);
  }, 60_000);

  it('backs up each entity from the snapshot as its own session, with its name index', async () => {
    const docs = path.join(rig.root, 'docs');
    const db = path.join(rig.root, 'db');
    // Writes go on during the backup too: the snapshot view must not see them.
    let writing = true;
    const writer = (async () => {
      for (let i = 0; writing; i++) {
        await writeFile(path.join(rig.root, 'db', 'table.dat'), randomBytes(512 * 1024));
        await writeFile(path.join(rig.root, 'docs', `during-${i}.txt`), `write ${i}`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    })();
    const result = await rig.run('backup', {
      jobId: 'job-1',
      scenario: rig.scenario,
      snapshotId,
      repository: repository(),
      sessions: [
        { number: 101, entity: { name: 'docs', kind: 'volume', paths: [docs] } },
        { number: 102, entity: { name: 'db', kind: 'volume', paths: [db] } },
      ],
    });
    writing = false;
    await writer;
    backup = succeeded(result, BackupOutput);
    expect(backup.sessions.map((s) => [s.number, s.entity, s.masterHost, s.masterPaths])).toEqual([
      [101, 'docs', 'master-1', [docs]],
      [102, 'db', 'master-1', [db]],
    ]);
    const [first, second] = backup.sessions;
    expect(first).toMatchObject({
      files: 3,
      directories: 3,
      media: { tier: 'STANDARD', prefix: `repos/${rig.scenario.id}` },
    });
    expect(first?.bytes).toBe(18_000 + 300_000);
    expect(second).toMatchObject({ files: 1, directories: 1, bytes: 2 * 1024 * 1024 });
    expect(second?.encryptionKeyId).toBe(cloud.kmsKeyId);
    // The agent asked the control plane for this scenario's media credentials (and signed with them).
    expect(rig.credentials.calls).toContainEqual({ scenarioId: rig.scenario.id, purpose: 'backup' });

    // The name index object is where the output says, holds no name in the clear, opens for this
    // scenario, and lists the master paths at snapshot time.
    const object = await clients
      .s3()
      .send(new GetObjectCommand({ Bucket: cloud.bucket, Key: first?.nameIndex.key }));
    const stored = await (
      object.Body as { transformToByteArray(): Promise<Uint8Array> }
    ).transformToByteArray();
    expect(Buffer.from(stored).includes('report.txt')).toBe(false);
    const index = decodeNameIndex(
      await openNameIndex(stored, {
        kms: clients.kms(),
        scenarioId: rig.scenario.id,
        objectKey: first?.nameIndex.key ?? '',
      }),
    );
    expect(first?.nameIndex.key).toBe(`repos/${rig.scenario.id}/sessions/101/names`);
    expect(first?.nameIndex.names).toBe(3);
    expect(index.files[index.dirs.indexOf(docs)]).toEqual(['empty', 'report.txt']);
    expect(index.files[index.dirs.indexOf(path.join(docs, 'deep', 'er'))]).toEqual([
      'name with spaces ü.bin',
    ]);
  }, 120_000);

  it('restores both sessions to an alternate folder byte for byte as the master was at snapshot time', async () => {
    const alternate = path.join(rig.base, 'alternate');
    let files = 0;
    for (const session of backup.sessions) {
      const restored = succeeded(
        await rig.run('restore', restoreArgs(session.number, alternate)),
        RestoreOutput,
      );
      expect(restored.needsRetrieval).toEqual([]);
      files += restored.files;
    }
    expect(files).toBeGreaterThan(0);
    const restored = await treeDigest(path.join(alternate, rig.root));
    for (const sub of ['/docs', '/db'])
      expect(digestUnder(restored, sub)).toEqual(digestUnder(atSnapshot, sub));
  }, 60_000);

  it('writes a held-open file beside the original as .TMP and restores only the paths asked for', async () => {
    const alternate = path.join(rig.base, 'partial');
    const report = path.join(rig.root, 'docs', 'report.txt');
    await mkdir(path.dirname(path.join(alternate, report)), { recursive: true });
    await writeFile(path.join(alternate, report), 'the application has this open');
    const restored = succeeded(
      await rig.run('restore', restoreArgs(101, alternate, { paths: [report], heldOpen: [report] })),
      RestoreOutput,
    );
    expect(restored.tmpFiles).toEqual([`${path.join(alternate, report)}.TMP`]);
    expect(await readdir(path.join(alternate, rig.root, 'docs'))).toEqual(['report.txt', 'report.txt.TMP']);
  }, 60_000);

  it('keeps the newest N snapshots on release_snapshots, across an agent restart', async () => {
    const ref = { scenarioId: rig.scenario.id, scenarioName: 'files' };
    for (let i = 0; i < 3; i++)
      succeeded(await rig.run('snapshot', { ...ref, jobId: `job-s${i}` }), SnapshotOutput);
    await rig.restartReplica();
    const all = succeeded(await rig.run('release_snapshots', ref), ReleaseSnapshotsOutput);
    expect(all).toEqual({ released: [], kept: 4 });
    const pruned = succeeded(await rig.run('release_snapshots', { ...ref, keep: 2 }), ReleaseSnapshotsOutput);
    expect(pruned.kept).toBe(2);
    expect(pruned.released).toHaveLength(2);
    expect(pruned.released[0]).toBe(snapshotId); // the oldest goes first
  }, 60_000);

  it('refuses bad arguments with AE0468, naming the problem', async () => {
    const noSessions = await rig.run('backup', {
      jobId: 'job-x',
      scenario: rig.scenario,
      snapshotId: 'cow-x',
      repository: repository(),
      sessions: [],
    });
    expect(noSessions).toMatchObject({ status: 'failed', code: 'AE0468' });
    expect((noSessions as { message: string }).message).toMatch(/sessions/);
    const unknownSnapshot = await rig.run('backup', {
      jobId: 'job-x',
      scenario: rig.scenario,
      snapshotId: 'cow-missing',
      repository: repository(),
      sessions: [{ number: 9, entity: { name: 'docs', kind: 'volume', paths: [rig.root] } }],
    });
    expect(unknownSnapshot).toMatchObject({ status: 'failed', code: 'AE0468' });
    expect((unknownSnapshot as { message: string }).message).toMatch(/no snapshot cow-missing/);
    const otherPrefix = await rig.run('restore', {
      jobId: 'job-x',
      scenarioId: rig.scenario.id,
      repository: { ...repository(), prefix: 'repos/another-scenario' },
      sessionNumber: 101,
      directory: path.join(rig.base, 'never'),
    });
    expect(otherPrefix).toMatchObject({ status: 'failed', code: 'AE0468' });
    const notMine = await rig.run('snapshot', { scenarioId: 'sc-not-here', scenarioName: 'x', jobId: 'j' });
    expect(notMine).toMatchObject({ status: 'failed', code: 'AE0463' });
  });

  it('reports a session whose packs are in GLACIER as needing retrieval and writes nothing', async () => {
    const { moved } = await ageDataPacks(cloud.bucket, `repos/${rig.scenario.id}/packs/`);
    expect(moved).toBeGreaterThan(0);
    const cold = path.join(rig.base, 'cold');
    const restored = succeeded(await rig.run('restore', restoreArgs(102, cold)), RestoreOutput);
    expect(restored.needsRetrieval.length).toBeGreaterThan(0);
    expect(restored.files).toBe(0);
    await expect(readdir(cold)).rejects.toThrow(/ENOENT/);
  }, 60_000);
  // Changes that reach the apply path as more than one record (an append is grow + write; a rename
  // moves an inode the snapshot must not show under its new name), through the real replication stream.
  async function snapshotThenChange(
    number: number,
    change: () => Promise<void>,
  ): Promise<Record<string, string>> {
    const dir = path.join(rig.root, `case-${number}`);
    await mkdir(dir, { recursive: true });
    await writeFile(path.join(dir, 'log.txt'), 'first line\n');
    await writeFile(path.join(dir, 'old-name.txt'), 'stays put in the snapshot');
    await converged(rig.root, path.join(rig.replicaDir, rig.root));
    const before = digestUnder(await treeDigest(rig.root), `/case-${number}`);
    const ref = { scenarioId: rig.scenario.id, scenarioName: 'files', jobId: `job-${number}` };
    const { snapshotId: id } = succeeded(await rig.run('snapshot', ref), SnapshotOutput);
    await change();
    await converged(rig.root, path.join(rig.replicaDir, rig.root));
    const sessions = [{ number, entity: { name: `case-${number}`, kind: 'volume', paths: [dir] } }];
    succeeded(
      await rig.run('backup', {
        jobId: ref.jobId,
        scenario: rig.scenario,
        snapshotId: id,
        repository: repository(),
        sessions,
      }),
      BackupOutput,
    );
    const target = path.join(rig.base, `case-${number}`);
    succeeded(await rig.run('restore', restoreArgs(number, target)), RestoreOutput);
    expect(digestUnder(await treeDigest(path.join(target, rig.root)), `/case-${number}`)).toEqual(before);
    return before;
  }

  it('a snapshot keeps a file as it was before an append', async () => {
    await snapshotThenChange(201, () =>
      appendFile(path.join(rig.root, 'case-201', 'log.txt'), 'second line\n'),
    );
  }, 60_000);

  it('a snapshot keeps the old name of a file renamed after it', async () => {
    await snapshotThenChange(202, () =>
      rename(
        path.join(rig.root, 'case-202', 'old-name.txt'),
        path.join(rig.root, 'case-202', 'new-name.txt'),
      ),
    );
  }, 60_000);
});
