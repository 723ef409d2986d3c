/**
 * Sessions and the three restore views over real HTTP against the local
 * cloud: sessions are recorded and committed through the catalog
 * repositories (the backup workflow's steps will call the same functions),
 * their name indexes written to moto S3, then read back through the API.
 */
import { GetBucketLifecycleConfigurationCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clients } from '../../core/aws-clients.js';
import { DATA_PACK_TAG } from '../../core/media-tiers.js';
import type { Session } from '../../core/session.js';
import { nextSessionNumber } from '../../functions/repositories/counters.js';
import { writeNameIndex } from '../../functions/repositories/file-index.js';
import { commitSession, recordSession } from '../../functions/repositories/sessions.js';
import { type LocalCloud, startLocalCloud } from '../../infra/local/local-cloud.js';
import { apiClient } from './api-client.js';

let cloud: LocalCloud;
let call: ReturnType<typeof apiClient>;
let admin: string;
let viewer: string;
let agent: string;
let scenarioId: string;
let otherScenarioId: string;
const committed: number[] = [];
let uncommitted: number;
let bucket: string;

async function scenario(name: string, master: string, replica: string, roots: string[]) {
  for (const host of [master, replica]) await call('POST', '/hosts', { token: admin, body: { name: host } });
  const created = await call('POST', '/scenarios', {
    token: admin,
    body: { name, type: 'fileserver', master, replicas: [{ host: replica, directory: '/replica' }], roots },
  });
  expect(created.status).toBe(201);
  return created.body.id as string;
}

async function backUp(id: string, name: string, files: string[], commit = true): Promise<Session> {
  const number = await nextSessionNumber();
  const media = { bucket, prefix: `repos/${id}`, tier: 'STANDARD' as const };
  const session = await recordSession({
    number,
    jobId: 'j-test',
    scenarioId: id,
    scenarioName: name,
    entity: 'volume /srv/share',
    masterHost: 'sess-master',
    masterPaths: ['/srv/share'],
    media,
    bytes: files.length * 1000,
    files: files.length,
    directories: 2,
    startedAt: new Date().toISOString(),
    encryptionKeyId: 'wrapped-key-1',
    applicationConsistent: false,
  });
  if (!commit) return session;
  const nameIndex = await writeNameIndex(id, media, number, files);
  return commitSession(number, {
    endedAt: new Date().toISOString(),
    bytes: session.bytes,
    files: files.length,
    directories: 2,
    nameIndex,
  });
}

beforeAll(async () => {
  cloud = await startLocalCloud();
  call = apiClient(cloud.apiUrl);
  admin = await cloud.mintOperatorToken('admin');
  viewer = await cloud.mintOperatorToken('viewer');
  bucket = process.env.TIDEMARK_MEDIA_BUCKET as string;
  scenarioId = await scenario('files', 'sess-master', 'sess-replica', ['/srv/share']);
  otherScenarioId = await scenario('other', 'other-master', 'other-replica', ['/srv/share']);
  const enrolled = await call('POST', '/hosts', { token: admin, body: { name: 'sess-agent' } });
  agent = enrolled.body.agentToken as string;

  committed.push(
    (await backUp(scenarioId, 'files', ['/srv/share/a.txt', '/srv/share/docs/report-1.doc'])).number,
  );
  committed.push(
    (
      await backUp(scenarioId, 'files', [
        '/srv/share/a.txt',
        '/srv/share/docs/report-2.doc',
        '/srv/share/b.txt',
      ])
    ).number,
  );
  committed.push((await backUp(otherScenarioId, 'other', ['/srv/share/docs/report-9.doc'])).number);
  uncommitted = (await backUp(scenarioId, 'files', ['/srv/share/docs/report-3.doc'], false)).number;
});
afterAll(async () => {
  await cloud?.stop();
});

describe('sessions', () => {
  it('lists committed sessions newest first, by scenario (id or name) and by media, never uncommitted ones', async () => {
    const all = await call('GET', '/sessions', { token: viewer });
    expect(all.status).toBe(200);
    const numbers = (all.body.sessions as Session[]).map((s) => s.number);
    expect(numbers).toEqual([...committed].sort((a, b) => b - a));
    expect(numbers).not.toContain(uncommitted);

    const byName = await call('GET', '/sessions?scenario=files', { token: viewer });
    expect((byName.body.sessions as Session[]).map((s) => s.number)).toEqual([committed[1], committed[0]]);
    const byId = await call('GET', `/sessions?scenario=${scenarioId}&limit=1`, { token: viewer });
    expect((byId.body.sessions as Session[]).map((s) => s.number)).toEqual([committed[1]]);
    expect(byId.body.next).toEqual(expect.any(String));

    const byMedia = await call(
      'GET',
      `/sessions?media=${encodeURIComponent(`s3://${bucket}/repos/${otherScenarioId}`)}`,
      {
        token: viewer,
      },
    );
    expect((byMedia.body.sessions as Session[]).map((s) => s.number)).toEqual([committed[2]]);
  });

  it('gets one committed session with its media, key reference and flags; 404 for an uncommitted one', async () => {
    const one = await call('GET', `/sessions/${committed[0]}`, { token: viewer });
    expect(one.status).toBe(200);
    expect(one.body).toMatchObject({
      number: committed[0],
      scenarioId,
      committed: true,
      applicationConsistent: false,
      encryptionKeyId: 'wrapped-key-1',
      media: { bucket, prefix: `repos/${scenarioId}`, tier: 'STANDARD' },
      files: 2,
    });
    const hidden = await call('GET', `/sessions/${uncommitted}`, { token: viewer });
    expect(hidden.status).toBe(404);
    expect(hidden.body.field).toBe('number');
  });

  it('refuses a second commit of the same session', async () => {
    const again = commitSession(committed[0] as number, {
      endedAt: new Date().toISOString(),
      bytes: 1,
      files: 1,
      directories: 1,
      nameIndex: { key: 'x', names: 1, sha256: '0'.repeat(64) },
    });
    await expect(again).rejects.toMatchObject({ code: 'Conflict', status: 409 });
  });

  it.each([
    ['/sessions?media=not-s3', 'media'],
    ['/sessions?limit=0', 'limit'],
    ['/sessions?colour=blue', 'colour'],
    [`/sessions?scenario=files&media=${encodeURIComponent(`s3://${'b'.repeat(5)}/x`)}`, 'media'],
    ['/sessions/abc', 'number'],
    ['/sessions?scenario=nope', 'scenario'],
  ])('answers 4xx naming the field for %s', async (path, field) => {
    const response = await call('GET', path, { token: viewer });
    expect([400, 404]).toContain(response.status);
    expect(response.body.field).toBe(field);
    expect(response.body.message).toEqual(expect.any(String));
  });
});

describe('restore views', () => {
  it('by session: the scenario’s committed sessions newest first', async () => {
    const view = await call('GET', '/restore/sessions?scenario=files', { token: viewer });
    expect(view.status).toBe(200);
    expect(view.body.scenarioId).toBe(scenarioId);
    expect((view.body.sessions as Session[]).map((s) => s.number)).toEqual([committed[1], committed[0]]);
  });

  it('by tree: recovery points of a path and its children at the newest or a chosen one', async () => {
    const newest = await call('GET', '/restore/tree?scenario=files&path=/srv/share/docs', { token: viewer });
    expect(newest.status).toBe(200);
    expect(newest.body).toMatchObject({ path: '/srv/share/docs', type: 'directory', session: committed[1] });
    expect((newest.body.recoveryPoints as Array<{ number: number }>).map((p) => p.number)).toEqual([
      committed[1],
      committed[0],
    ]);
    expect(newest.body.entries).toEqual([
      { name: 'report-2.doc', path: '/srv/share/docs/report-2.doc', type: 'file' },
    ]);

    const older = await call(
      'GET',
      `/restore/tree?scenario=files&path=/srv/share/docs&session=${committed[0]}`,
      {
        token: viewer,
      },
    );
    expect(older.body.entries).toEqual([
      { name: 'report-1.doc', path: '/srv/share/docs/report-1.doc', type: 'file' },
    ]);

    // Only the newer session holds b.txt; above the roots the tree still browses.
    const file = await call('GET', '/restore/tree?scenario=files&path=/srv/share/b.txt', { token: viewer });
    expect(file.body).toMatchObject({ type: 'file', entries: [] });
    expect((file.body.recoveryPoints as Array<{ number: number }>).map((p) => p.number)).toEqual([
      committed[1],
    ]);
    const root = await call('GET', '/restore/tree?scenario=files', { token: viewer });
    expect(root.body.entries).toEqual([{ name: 'srv', path: '/srv', type: 'directory' }]);
  });

  it('by tree: 404 naming the field for a path no session holds or a session that is no recovery point', async () => {
    const missing = await call('GET', '/restore/tree?scenario=files&path=/srv/share/nope', { token: viewer });
    expect(missing).toMatchObject({ status: 404, body: { code: 'NotFound', field: 'path' } });
    const wrong = await call('GET', `/restore/tree?scenario=files&path=/srv/share&session=${committed[2]}`, {
      token: viewer,
    });
    expect(wrong).toMatchObject({ status: 404, body: { field: 'session' } });
    const relative = await call('GET', '/restore/tree?scenario=files&path=srv', { token: viewer });
    expect(relative).toMatchObject({ status: 400, body: { code: 'BadRequest', field: 'path' } });
  });

  it('by query: wildcard names across all sessions or one scenario', async () => {
    const all = await call('GET', `/restore/query?pattern=${encodeURIComponent('report-?.doc')}`, {
      token: viewer,
    });
    expect(all.status).toBe(200);
    const paths = (all.body.matches as Array<{ sessionNumber: number; path: string }>).map(
      (m) => `${m.sessionNumber}:${m.path}`,
    );
    expect(paths.sort()).toEqual(
      [
        `${committed[0]}:/srv/share/docs/report-1.doc`,
        `${committed[1]}:/srv/share/docs/report-2.doc`,
        `${committed[2]}:/srv/share/docs/report-9.doc`,
      ].sort(),
    );
    expect(all.body).toMatchObject({ total: 3, truncated: false, sessionsSearched: 3, filesSearched: 6 });

    const scoped = await call(
      'GET',
      `/restore/query?scenario=other&pattern=${encodeURIComponent('/srv/*/docs/*')}`,
      {
        token: viewer,
      },
    );
    expect((scoped.body.matches as Array<{ path: string }>).map((m) => m.path)).toEqual([
      '/srv/share/docs/report-9.doc',
    ]);

    const limited = await call('GET', '/restore/query?pattern=*&limit=2', { token: viewer });
    expect(limited.body).toMatchObject({ total: 6, truncated: true });
    expect(limited.body.matches).toHaveLength(2);
  });

  it.each([
    ['/restore/query', 'pattern'],
    [`/restore/query?pattern=${encodeURIComponent('docs/*.doc')}`, 'pattern'],
    ['/restore/query?pattern=x&limit=99999', 'limit'],
    ['/restore/sessions', 'scenario'],
    ['/restore/tree?scenario=files&session=0', 'session'],
  ])('answers 400 naming the field for %s', async (path, field) => {
    const response = await call('GET', path, { token: viewer });
    expect(response).toMatchObject({ status: 400, body: { code: 'BadRequest', field } });
  });
});

describe('authentication and authorization', () => {
  it.each([
    '/sessions',
    '/sessions/1',
    '/restore/sessions?scenario=files',
    '/restore/tree?scenario=files',
    '/restore/query?pattern=*',
  ])('answers 401 without a credential and 403 to an agent for %s', async (path) => {
    expect((await call('GET', path)).status).toBe(401);
    const response = await call('GET', path, { token: agent });
    expect(response).toMatchObject({ status: 403, body: { code: 'Forbidden' } });
  });
});

describe('media bucket', () => {
  it('ages only tagged data packs into Glacier; manifests and pages stay in Standard', async () => {
    const { Rules } = await clients.s3().send(new GetBucketLifecycleConfigurationCommand({ Bucket: bucket }));
    const tiers = Rules?.find((rule) => rule.Transitions);
    expect(tiers?.Filter).toEqual({ Tag: { Key: DATA_PACK_TAG.key, Value: DATA_PACK_TAG.value } });
    expect(tiers?.Transitions?.map((t) => t.StorageClass)).toEqual(['GLACIER', 'DEEP_ARCHIVE']);
    const abort = Rules?.find((rule) => rule.AbortIncompleteMultipartUpload);
    expect(abort?.Filter).toEqual({ Prefix: '' });
  });
});
