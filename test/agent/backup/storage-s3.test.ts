import { createHash, randomBytes } from 'node:crypto';
import { S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { S3Storage } from '../../../agent/backup/storage-s3.js';
import { startTestCloud, type TestCloud } from './cloud.js';

let cloud: TestCloud;

beforeAll(async () => {
  cloud = await startTestCloud();
}, 120_000);

afterAll(async () => {
  await cloud?.moto.stop();
});

describe('S3Storage', () => {
  it('puts a pack whose SHA-256 is known in one signed request that carries the hash, and reads it back', async () => {
    const client = new S3Client({ endpoint: cloud.moto.url, region: 'us-east-1', forcePathStyle: true });
    const sent: Array<{ method: string; headers: Record<string, string> }> = [];
    // After signing: what actually leaves for S3.
    client.middlewareStack.add(
      (next) => (args) => {
        const request = args.request as { method: string; headers: Record<string, string> };
        sent.push({ method: request.method, headers: { ...request.headers } });
        return next(args);
      },
      { step: 'finalizeRequest', priority: 'low', name: 'recordRequest' },
    );
    const storage = new S3Storage({
      bucket: cloud.bucket,
      repo: 'put-hash',
      client,
      partSize: 5 * 1024 * 1024,
    });
    // Larger than a multipart part, backed by shared memory as the packer's slots are.
    const body = Buffer.from(new SharedArrayBuffer(12 * 1024 * 1024));
    randomBytes(body.length).copy(body);
    const sha256 = createHash('sha256').update(body).digest('hex');

    await storage.put('packs/one', body, { sha256 });

    expect(sent.map((r) => r.method)).toEqual(['PUT']);
    const headers = sent[0]?.headers ?? {};
    expect(headers['x-amz-checksum-sha256']).toBe(Buffer.from(sha256, 'hex').toString('base64'));
    expect(headers['x-amz-content-sha256']).toBe(sha256);
    expect(headers.authorization).toMatch(/^AWS4-HMAC-SHA256 /);
    expect(Object.keys(headers).filter((h) => h.startsWith('x-amz-checksum-'))).toEqual([
      'x-amz-checksum-sha256',
    ]);
    expect((await storage.get('packs/one')).equals(body)).toBe(true);

    // Without a known hash the object goes up in parts, as before.
    sent.length = 0;
    await storage.put('packs/two', body);
    expect(sent.filter((r) => r.method === 'PUT').length).toBeGreaterThan(1);
    expect((await storage.get('packs/two')).equals(body)).toBe(true);
  });
});
