/**
 * The console's API client against a real HTTP server on loopback (the
 * console's own fetch is the browser's; Node's fetch is the same standard):
 * bearer header, JSON both ways, query strings, and errors as `{code, message, field}`.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiError, createApiClient, pathWith } from '../../web/src/api/client.js';
import { errorText } from '../../web/src/format.js';

interface Seen {
  method: string;
  url: string;
  authorization?: string;
  contentType?: string;
  body: string;
}

let server: Server;
let baseUrl: string;
const seen: Seen[] = [];

async function bodyOf(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

beforeAll(async () => {
  server = createServer(async (request, response) => {
    const body = await bodyOf(request);
    seen.push({
      method: request.method ?? '',
      url: request.url ?? '',
      authorization: request.headers.authorization,
      contentType: request.headers['content-type'],
      body,
    });
    const reply = (status: number, payload?: string) => {
      response.writeHead(status, { 'content-type': 'application/json' });
      response.end(payload);
    };
    if (request.headers.authorization !== 'Bearer tmo_good')
      return reply(401, '{"code":"Unauthorized","message":"missing or invalid credential"}');
    if (request.url?.startsWith('/hosts')) return reply(200, '{"hosts":[{"name":"a"}]}');
    if (request.url === '/jobs' && request.method === 'POST') {
      return reply(
        400,
        '{"code":"BadRequest","message":"must be an absolute path","field":"restore.destination"}',
      );
    }
    if (request.url === '/scenarios/s-1/run')
      return reply(409, '{"code":"AE0465","message":"scenario web is stopped"}');
    if (request.url === '/html') return reply(502, '<html>bad gateway</html>');
    if (request.url === '/empty') return reply(204);
    return reply(404, '{"code":"NotFound","message":"no route"}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

const client = (token = 'tmo_good') =>
  createApiClient({ baseUrl, token, fetch: (url, init) => fetch(url, init) });

describe('console API client', () => {
  it('GETs with the bearer token and the query parameters that are set', async () => {
    const page = await client().get<{ hosts: Array<{ name: string }> }>('/hosts', {
      limit: 500,
      next: undefined,
      scenario: '',
    });
    expect(page.hosts[0]?.name).toBe('a');
    const last = seen.at(-1);
    expect(last).toMatchObject({
      method: 'GET',
      url: '/hosts?limit=500',
      authorization: 'Bearer tmo_good',
      body: '',
    });
    expect(last?.contentType).toBeUndefined();
  });

  it('POSTs JSON and turns an API error into ApiError with code, status and field', async () => {
    const body = { kind: 'restore', scenarios: ['web'] };
    const error = await client()
      .post('/jobs', body)
      .catch((caught: unknown) => caught);
    expect(seen.at(-1)).toMatchObject({
      method: 'POST',
      contentType: 'application/json',
      body: JSON.stringify(body),
    });
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ code: 'BadRequest', status: 400, field: 'restore.destination' });
    expect(errorText(error)).toBe('BadRequest: must be an absolute path (field restore.destination)');
  });

  it('keeps catalogue codes: a 409 with AE0465 reads as `AE0465: message`', async () => {
    const error = await client()
      .post('/scenarios/s-1/run')
      .catch((caught: unknown) => caught);
    expect(errorText(error)).toBe('AE0465: scenario web is stopped');
  });

  it('reports 401 as status 401 (the console then asks for a token again)', async () => {
    const error = await client('tmo_revoked')
      .get('/hosts')
      .catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: 'Unauthorized', status: 401 });
  });

  it('says so when the body is not JSON, and accepts an empty body', async () => {
    await expect(client().get('/html')).rejects.toMatchObject({
      code: 'InternalError',
      message: 'the API answered 502 with a body that is not JSON',
    });
    await expect(client().get('/empty')).resolves.toEqual({});
  });

  it('says the API is unreachable when nothing listens', async () => {
    const closed = createApiClient({
      baseUrl: 'http://127.0.0.1:1',
      token: 'tmo_good',
      fetch: (url, init) => fetch(url, init),
    });
    await expect(closed.get('/hosts')).rejects.toMatchObject({ code: 'Unreachable', status: 0 });
  });

  it('builds paths with encoded query strings', () => {
    expect(pathWith('/restore/query', { pattern: '*.doc x', scenario: 'web 1' })).toBe(
      '/restore/query?pattern=*.doc+x&scenario=web+1',
    );
    expect(pathWith('/jobs')).toBe('/jobs');
  });
});
