/**
 * A hostile (or compromised) master against a real replica engine, over
 * real TLS with a valid master certificate: it sends well-formed records
 * that plant symlinks in the replica's copy and then write, truncate, chmod,
 * create, mkdir, rename and delete through them, or name paths with `..`.
 * Each must be refused with AE0468 naming the path, and nothing outside the
 * replica's folder may change — checked byte for byte and mode for mode.
 */
import { chmod, lstat, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeFrame, FrameType } from '../../../agent/replication/frames.js';
import { encodeRecord, type JournalRecord } from '../../../agent/replication/records.js';
import { ReplicationEngine } from '../../../agent/replication/runtime.js';
import {
  createCertificateAuthority,
  issueHostCertificate,
  type TlsMaterial,
} from '../../../agent/tls/certificates.js';
import type { Scenario } from '../../../core/scenario.js';
import { makeScenario, Recorder, talk } from './harness.js';

let base: string;
let outside: string;
let replicaDir: string;
let root: string;
let scenario: Scenario;
let replica: ReplicationEngine;
let masterTls: TlsMaterial;
let seq = 0;

beforeAll(async () => {
  base = await mkdtemp(join(tmpdir(), 'hostile-'));
  outside = join(base, 'outside');
  await mkdir(outside);
  await writeFile(join(outside, 'secret'), 'secret');
  await chmod(join(outside, 'secret'), 0o600);
  await chmod(outside, 0o700);
  const ca = await createCertificateAuthority(join(base, 'ca'));
  masterTls = await issueHostCertificate(ca, 'master-1', base);
  const replicaTls = await issueHostCertificate(ca, 'replica-1', base);
  root = '/srv/share';
  replicaDir = join(base, 'replica-target');
  scenario = await makeScenario(root, replicaDir);
  replica = await ReplicationEngine.create({
    stateDir: join(base, 'replica-state'),
    tls: replicaTls,
    listen: { host: '127.0.0.1', port: 0 },
    events: new Recorder(),
  });
  await replica.start({ scenario, self: 'replica-1', peers: [] });
}, 30_000);

afterAll(async () => {
  await replica?.close();
  await rm(base, { recursive: true, force: true });
});

type Unsequenced = JournalRecord extends infer R ? (R extends JournalRecord ? Omit<R, 'seq'> : never) : never;

/** One master session: hello, then the records in order; answers what the replica said. */
async function send(...records: Unsequenced[]): Promise<string> {
  const frames = records.map((r) =>
    encodeFrame(FrameType.record, encodeRecord({ ...r, seq: ++seq } as JournalRecord)),
  );
  return talk(
    replica.port as number,
    masterTls,
    [encodeFrame(FrameType.hello, { scenarioId: scenario.id }), ...frames],
    1000,
  );
}

async function outsideUnchanged(): Promise<void> {
  expect((await readdir(outside)).sort()).toEqual(['secret']);
  expect(await readFile(join(outside, 'secret'), 'utf8')).toBe('secret');
  expect((await stat(join(outside, 'secret'))).mode & 0o7777).toBe(0o600);
  expect((await stat(outside)).mode & 0o7777).toBe(0o700);
}

const inReplica = (masterPath: string) => join(replicaDir, masterPath);

describe('a hostile master', () => {
  it('cannot write or truncate through a symlink it planted as the file', async () => {
    const planted = await send({ kind: 'symlink', path: `${root}/leaf`, target: join(outside, 'secret') });
    expect(planted).not.toMatch(/AE0468/);
    expect((await lstat(inReplica(`${root}/leaf`))).isSymbolicLink()).toBe(true);
    const write = await send({ kind: 'write', path: `${root}/leaf`, offset: 0, data: Buffer.from('pwned!') });
    expect(write).toMatch(
      /AE0468.*record path '\/srv\/share\/leaf' refused on the replica: .*leaf is a symlink/,
    );
    const truncate = await send({ kind: 'truncate', path: `${root}/leaf`, size: 0 });
    expect(truncate).toMatch(/AE0468.*leaf is a symlink/);
    await outsideUnchanged();
  });

  it('cannot change the mode or owner of what its symlink points at', async () => {
    const answer = await send({
      kind: 'attrs',
      path: `${root}/leaf`,
      mode: 0o100777,
      uid: 0,
      gid: 0,
      mtimeMs: 5_000,
    });
    expect(answer).not.toMatch(/error/);
    // The link itself took the time; its target kept everything.
    expect((await lstat(inReplica(`${root}/leaf`))).mtimeMs).toBe(5_000);
    await outsideUnchanged();
  });

  it('cannot create, mkdir, rename, link or delete through a symlinked directory', async () => {
    expect(await send({ kind: 'symlink', path: `${root}/dir`, target: outside })).not.toMatch(/AE0468/);
    const created = await send(
      { kind: 'create', path: `${root}/dir/new`, mode: 0o100644 },
      { kind: 'write', path: `${root}/dir/new`, offset: 0, data: Buffer.from('planted') },
      { kind: 'attrs', path: `${root}/dir/new`, mode: 0o104755, uid: 0, gid: 0, mtimeMs: 1 },
    );
    expect(created).toMatch(
      /AE0468.*'\/srv\/share\/dir\/new'.*dir is a symlink, where a directory is needed/,
    );
    expect(await send({ kind: 'mkdir', path: `${root}/dir/sub`, mode: 0o40777 })).toMatch(
      /AE0468.*dir is a symlink/,
    );
    expect(
      await send({ kind: 'write', path: `${root}/dir/secret`, offset: 0, data: Buffer.from('x') }),
    ).toMatch(/AE0468.*dir is a symlink/);
    expect(await send({ kind: 'delete', path: `${root}/dir/secret` })).toMatch(/AE0468.*dir is a symlink/);
    expect(await send({ kind: 'symlink', path: `${root}/dir/link`, target: '/' })).toMatch(
      /AE0468.*dir is a symlink/,
    );
    expect(
      await send(
        { kind: 'create', path: `${root}/mine`, mode: 0o100644 },
        { kind: 'attrs', path: `${root}/mine`, mode: 0o100644, uid: 0, gid: 0, mtimeMs: 1 },
        { kind: 'rename', path: `${root}/mine`, to: `${root}/dir/mine` },
      ),
    ).toMatch(/AE0468.*dir is a symlink/);
    await outsideUnchanged();
    // The file that was not moved out is still in the copy.
    expect((await lstat(inReplica(`${root}/mine`))).isFile()).toBe(true);
  });

  it('cannot name paths with .. or odd components', async () => {
    for (const path of [`${root}/../../..${outside}/secret`, `${root}/./x`, `${root}//x`]) {
      expect(await send({ kind: 'write', path, offset: 0, data: Buffer.from('x') })).toMatch(
        /AE0468.*has an empty, .*component/,
      );
    }
    await outsideUnchanged();
  });

  it('learns nothing of files outside through synchronization requests', async () => {
    const hashes = await talk(replica.port as number, masterTls, [
      encodeFrame(FrameType.hello, { scenarioId: scenario.id }),
      encodeFrame(FrameType.syncHashes, { path: `${root}/dir/secret` }),
      encodeFrame(FrameType.syncHashes, { path: `${root}/leaf` }),
      encodeFrame(FrameType.syncList, { root }),
    ]);
    const replies = hashes.split('\n');
    // Both hash requests answered with nothing (type syncHashesReply, empty payload).
    expect(replies.filter((r) => r === `${FrameType.syncHashesReply}:`)).toHaveLength(2);
    const list = replies.find((r) => r.startsWith(`${FrameType.syncListReply}:`)) ?? '';
    const listed = JSON.parse(list.slice(list.indexOf(':') + 1)) as { path: string; kind: string }[];
    expect(listed.map((e) => e.path).sort()).toEqual([
      `${root}`,
      `${root}/dir`,
      `${root}/leaf`,
      `${root}/mine`,
    ]);
    expect(listed.find((e) => e.path === `${root}/dir`)?.kind).toBe('symlink');
  });
});
