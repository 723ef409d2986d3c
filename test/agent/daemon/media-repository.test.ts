/**
 * Opening a scenario's repository on media, attacked against moto over HTTP:
 * a repository config moved from one scenario's prefix to another's must not
 * open (the data key is bound to its scenario by the KMS encryption context,
 * which moto binds as associated data, as KMS does), and a config that has
 * vanished while the catalog holds sessions must stop the backup rather than
 * start a new, empty repository over the old sessions.
 */
import { CopyObjectCommand, DeleteObjectCommand, HeadObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openMediaRepository } from '../../../agent/daemon/media-repository.js';
import { type RepositoryLocation, repositoryPrefixOf } from '../../../core/agent-commands.js';
import { clients } from '../../../core/aws-clients.js';
import { startTestCloud, type TestCloud } from '../backup/cloud.js';

let cloud: TestCloud;
const access = () => ({ s3: clients.s3(), kms: clients.kms() });
const locationOf = (scenarioId: string, cataloged = false): RepositoryLocation => ({
  bucket: cloud.bucket,
  prefix: repositoryPrefixOf(scenarioId),
  kmsKeyId: cloud.kmsKeyId,
  cataloged,
});
const configOf = (scenarioId: string) => `${repositoryPrefixOf(scenarioId)}/config`;

beforeAll(async () => {
  cloud = await startTestCloud();
}, 120_000);

afterAll(async () => {
  await cloud?.moto.stop();
});

describe('media repository', () => {
  it("creates a scenario's repository on first backup and opens it again", async () => {
    const created = await openMediaRepository('sc-first', locationOf('sc-first'), { create: true }, access());
    const opened = await openMediaRepository(
      'sc-first',
      locationOf('sc-first', true),
      { session: 1 },
      access(),
    );
    expect(opened.config.id).toBe(created.config.id);
  });

  it("refuses another scenario's repository config copied into its prefix", async () => {
    await openMediaRepository('sc-victim', locationOf('sc-victim'), { create: true }, access());
    await clients.s3().send(
      new CopyObjectCommand({
        Bucket: cloud.bucket,
        CopySource: `${cloud.bucket}/${configOf('sc-victim')}`,
        Key: configOf('sc-thief'),
      }),
    );
    await expect(
      openMediaRepository('sc-thief', locationOf('sc-thief', true), { create: true }, access()),
    ).rejects.toMatchObject({ code: 'Forbidden', message: expect.stringContaining('cannot unwrap the key') });
  });

  it('stops a backup when the config is gone but the catalog holds sessions, and writes nothing', async () => {
    await openMediaRepository('sc-lost', locationOf('sc-lost'), { create: true }, access());
    await clients.s3().send(new DeleteObjectCommand({ Bucket: cloud.bucket, Key: configOf('sc-lost') }));
    await expect(
      openMediaRepository('sc-lost', locationOf('sc-lost', true), { create: true }, access()),
    ).rejects.toMatchObject({
      code: 'AE0458',
      message: expect.stringContaining('no new repository was created'),
    });
    await expect(
      clients.s3().send(new HeadObjectCommand({ Bucket: cloud.bucket, Key: configOf('sc-lost') })),
    ).rejects.toMatchObject({ name: 'NotFound' });
  });
});
