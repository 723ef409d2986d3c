/**
 * Throttling of the AWS services the control plane and the agent call — KMS
 * (data keys), DynamoDB (catalog, commands) and STS (media credentials) — is
 * retried with back-off by the clients `core/aws-clients.ts` makes, and
 * surfaces as the service's own error once the attempts are spent. The
 * endpoint is a loopback stand-in answering each service's throttling error
 * in its own protocol (moto cannot throttle on demand); the clients are the
 * real ones.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { GenerateDataKeyCommand } from '@aws-sdk/client-kms';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { clients, scopedClients } from '../../core/aws-clients.js';

let server: Server;
const saved = { ...process.env };
/** How many of the next requests to throttle, and when each request arrived. */
let throttleNext = 0;
let arrivals: number[] = [];

function throttled(target: string, service: string): { status: number; type: string; body: string } {
  if (service === 'sts')
    return {
      status: 400,
      type: 'text/xml',
      body: '<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded</Message></Error><RequestId>r</RequestId></ErrorResponse>',
    };
  const type = target.startsWith('DynamoDB')
    ? 'com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException'
    : 'ThrottlingException';
  return {
    status: 400,
    type: 'application/x-amz-json-1.1',
    body: JSON.stringify({ __type: type, message: 'Rate exceeded' }),
  };
}

function answer(target: string, service: string): { type: string; body: string } {
  if (service === 'sts')
    return {
      type: 'text/xml',
      body: '<GetCallerIdentityResponse><GetCallerIdentityResult><Arn>arn:aws:iam::123456789012:user/t</Arn><UserId>U</UserId><Account>123456789012</Account></GetCallerIdentityResult></GetCallerIdentityResponse>',
    };
  if (target.startsWith('DynamoDB')) return { type: 'application/x-amz-json-1.0', body: '{}' };
  const blob = Buffer.alloc(32, 1).toString('base64');
  return {
    type: 'application/x-amz-json-1.1',
    body: JSON.stringify({ CiphertextBlob: blob, Plaintext: blob, KeyId: 'k' }),
  };
}

beforeAll(async () => {
  server = createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      arrivals.push(Date.now());
      const target = String(request.headers['x-amz-target'] ?? '');
      const service =
        /Credential=[^/]+\/\d+\/[^/]+\/([^/]+)\//.exec(request.headers.authorization ?? '')?.[1] ?? '';
      if (throttleNext > 0) {
        throttleNext--;
        const { status, type, body } = throttled(target, service);
        response.writeHead(status, { 'content-type': type });
        return response.end(body);
      }
      const { type, body } = answer(target, service);
      response.writeHead(200, { 'content-type': type });
      response.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  // A fresh endpoint: `clients` caches per endpoint, so these are new clients pointed here.
  process.env.AWS_ENDPOINT_URL = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  for (const service of ['DYNAMODB', 'KMS', 'STS']) delete process.env[`AWS_ENDPOINT_URL_${service}`];
  process.env.AWS_ACCESS_KEY_ID = 'test';
  process.env.AWS_SECRET_ACCESS_KEY = 'test';
  process.env.AWS_REGION = 'us-east-1';
});
afterAll(async () => {
  process.env = { ...saved };
  await new Promise((resolve) => server.close(resolve));
});
beforeEach(() => {
  arrivals = [];
});

const media = () =>
  scopedClients('us-east-1', async () => ({
    accessKeyId: 'ASIA',
    secretAccessKey: 's',
    sessionToken: 't',
    expiration: new Date(Date.now() + 3_600_000),
  }));

const calls = {
  'KMS (the agent’s media client)': () =>
    media().kms.send(new GenerateDataKeyCommand({ KeyId: 'k', NumberOfBytes: 32 })),
  'DynamoDB (the catalog)': () =>
    clients.dynamo().send(new GetItemCommand({ TableName: 't', Key: { PK: { S: 'a' }, SK: { S: 'b' } } })),
  'STS (media credentials)': () => clients.sts().send(new GetCallerIdentityCommand({})),
};

describe('AWS throttling', () => {
  for (const [name, call] of Object.entries(calls)) {
    it(`${name}: three throttled answers are retried after back-off pauses, then the call succeeds`, async () => {
      throttleNext = 3;
      await expect(call()).resolves.toBeDefined();
      expect(arrivals).toHaveLength(4);
      // Backed off, not hammered: throttling retries wait from a 500 ms base (jittered).
      expect((arrivals.at(-1) ?? 0) - (arrivals[0] ?? 0)).toBeGreaterThan(100);
    });

    it(`${name}: throttled past the attempts, the service's own throttling error surfaces`, async () => {
      throttleNext = 10;
      await expect(call()).rejects.toThrow(/Rate exceeded/);
      expect(arrivals).toHaveLength(4);
      throttleNext = 0;
    });
  }
});
