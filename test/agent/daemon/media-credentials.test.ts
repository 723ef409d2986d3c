/**
 * Media credentials expiring mid-upload are renewed: a multipart upload
 * that outlasts its first set of credentials signs its later parts with a
 * renewed set, fetched from the control plane once, and completes. The S3
 * endpoint is a loopback stand-in that records which access key signed each
 * request and slows each part (moto neither expires credentials nor can be
 * slowed); the S3 client, lib-storage and the credential cache are the real
 * ones.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { S3Storage } from '../../../agent/backup/storage-s3.js';
import { createLogger } from '../../../agent/daemon/logger.js';
import { MediaCredentialCache } from '../../../agent/daemon/media-credentials.js';
import type { MediaCredentials } from '../../../core/agent-commands.js';

let server: Server;
const saved = { ...process.env };
const signedBy: Array<{ op: string; key: string }> = [];

beforeEach(async () => {
  signedBy.length = 0;
  server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://x');
    const key = /Credential=([^/]+)\//.exec(request.headers.authorization ?? '')?.[1] ?? '';
    request.resume();
    request.on('end', () => {
      if (request.method === 'POST' && url.searchParams.has('uploads')) {
        signedBy.push({ op: 'create', key });
        response.writeHead(200, { 'content-type': 'application/xml' });
        return response.end(
          '<InitiateMultipartUploadResult><Bucket>media</Bucket><Key>k</Key><UploadId>u-1</UploadId></InitiateMultipartUploadResult>',
        );
      }
      if (request.method === 'PUT' && url.searchParams.has('partNumber')) {
        signedBy.push({ op: `part ${url.searchParams.get('partNumber')}`, key });
        return setTimeout(() => {
          response.writeHead(200, { etag: `"p${url.searchParams.get('partNumber')}"` });
          response.end();
        }, 700);
      }
      if (request.method === 'POST' && url.searchParams.has('uploadId')) {
        signedBy.push({ op: 'complete', key });
        response.writeHead(200, { 'content-type': 'application/xml' });
        return response.end(
          '<CompleteMultipartUploadResult><Bucket>media</Bucket><Key>k</Key><ETag>"done"</ETag></CompleteMultipartUploadResult>',
        );
      }
      response.writeHead(400);
      response.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  process.env.AWS_ENDPOINT_URL_S3 = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterEach(async () => {
  process.env = { ...saved };
  await new Promise((resolve) => server.close(resolve));
});

it('renews media credentials that expire during a multipart upload, and the upload completes', async () => {
  let issued = 0;
  const source = {
    mediaCredentials: async (): Promise<MediaCredentials> => {
      issued++;
      return {
        accessKeyId: `ASIATEST${issued}`,
        secretAccessKey: 'secret',
        sessionToken: 'token',
        // Inside the SDK's five-minute renewal window 1.5 s from now: the first parts sign with these only.
        expiration: new Date(Date.now() + 5 * 60_000 + 1500).toISOString(),
        region: 'us-east-1',
        bucket: 'media',
        prefix: 'repos/s-1',
        kmsKeyId: 'key-1',
      };
    },
  };
  const cache = new MediaCredentialCache(
    source,
    createLogger('error', () => {}),
  );
  const location = { bucket: 'media', prefix: 'repos/s-1', kmsKeyId: 'key-1', cataloged: false };
  const access = await cache.access('s-1', 'backup', location);
  const storage = new S3Storage({
    bucket: 'media',
    repo: 's-1',
    client: access.s3,
    partSize: 5 * 1024 * 1024,
    queueSize: 1,
  });

  await storage.put('big', Buffer.alloc(20 * 1024 * 1024, 7));

  expect(signedBy.map((r) => r.op)).toEqual(['create', 'part 1', 'part 2', 'part 3', 'part 4', 'complete']);
  const keys = signedBy.map((r) => r.key);
  expect(keys[0]).toBe('ASIATEST1');
  // Renewed part-way, and every later request signs with a newer set than the first.
  expect(new Set(keys).size).toBeGreaterThan(1);
  expect(keys.at(-1)).not.toBe('ASIATEST1');
  expect(issued).toBe(new Set(keys).size);
  // The same scope asked again gets the same clients (renewing their credentials if need be).
  expect(await cache.access('s-1', 'backup', location)).toBe(access);
});
