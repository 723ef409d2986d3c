/**
 * The operator console as the local API serves it, over real HTTP against
 * the local cloud: the page and its bundle, the headers that keep them
 * uncached and unframed, traversal attempts refused (sent raw, since fetch
 * would normalize `..` away before it left the client), and the API still
 * closed to anyone without a token. Where Debian's chromium is installed, a
 * headless browser loads the console and renders views from the real API;
 * elsewhere that part is skipped, with a warning that says so.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalCloud, startLocalCloud } from '../../infra/local/local-cloud.js';
import { apiClient } from './api-client.js';

let cloud: LocalCloud;

beforeAll(async () => {
  cloud = await startLocalCloud();
});
afterAll(async () => {
  await cloud?.stop();
});

/** One request with the path exactly as written: no URL normalization on the way. */
function rawGet(
  path: string,
  method = 'GET',
): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  const { hostname, port } = new URL(cloud.apiUrl);
  return new Promise((resolve, reject) => {
    const call = request({ host: hostname, port, path, method }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () =>
        resolve({
          status: response.statusCode ?? 0,
          headers: response.headers,
          body: Buffer.concat(chunks).toString('utf8'),
        }),
      );
    });
    call.on('error', reject);
    call.end();
  });
}

describe('console static files', () => {
  it('serves /console/ as HTML that loads the bundle and its stylesheet, uncached', async () => {
    const page = await rawGet('/console/');
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(page.headers['cache-control']).toBe('no-store');
    expect(page.headers['content-security-policy']).toContain("frame-ancestors 'none'");
    expect(page.body).toContain('<script type="module" src="/console/app.js"></script>');
    expect(page.body).toContain('href="/console/app.css"');
    expect(page.body).toContain('<div id="root">');
  });

  it('serves the bundle as non-empty JavaScript that holds the app, and the stylesheet as CSS', async () => {
    const bundle = await rawGet('/console/app.js');
    expect(bundle.status).toBe(200);
    expect(bundle.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(bundle.headers['cache-control']).toBe('no-store');
    expect(bundle.headers['x-content-type-options']).toBe('nosniff');
    expect(Number(bundle.headers['content-length'])).toBe(Buffer.byteLength(bundle.body));
    // More than a stub: React is in it, and the app's own strings (the token key, the routes it calls).
    expect(bundle.body.length).toBeGreaterThan(50_000);
    expect(bundle.body).toContain('tidemark.operatorToken');
    expect(bundle.body).toContain('/restore/tree');
    expect(bundle.body).toContain('Bearer ');
    const css = await rawGet('/console/app.css');
    expect(css.status).toBe(200);
    expect(css.headers['content-type']).toBe('text/css; charset=utf-8');
    expect(css.body).toContain('table');
  });

  it('redirects /console to /console/ and answers HEAD without a body', async () => {
    const bare = await rawGet('/console');
    expect(bare.status).toBe(301);
    expect(bare.headers.location).toBe('/console/');
    const head = await rawGet('/console/app.js', 'HEAD');
    expect(head.status).toBe(200);
    expect(head.body).toBe('');
  });

  it.each([
    '/console/../package.json',
    '/console/%2e%2e/package.json',
    '/console/%2E%2E%2Fpackage.json',
    '/console/..%2fpackage.json',
    '/console/..%5cpackage.json',
    '/console/./app.js',
  ])('refuses the traversal attempt %s with 400 and no file content', async (path) => {
    const refused = await rawGet(path);
    expect(refused.status).toBe(400);
    expect(JSON.parse(refused.body)).toMatchObject({ code: 'BadRequest' });
    expect(refused.body).not.toContain('"devDependencies"');
  });

  it('serves nothing but the built files: unknown names are 404, other methods 405', async () => {
    for (const path of [
      '/console/package.json',
      '/console/src/main.tsx',
      '/console/server/serve-console.ts',
    ]) {
      const missing = await rawGet(path);
      expect(missing.status, path).toBe(404);
      expect(JSON.parse(missing.body)).toMatchObject({ code: 'NotFound' });
    }
    const posted = await rawGet('/console/', 'POST');
    expect(posted.status).toBe(405);
  });
});

describe('the API beside the console', () => {
  it('still answers 401 without a token, and 200 with one', async () => {
    const call = apiClient(cloud.apiUrl);
    const anonymous = await call('GET', '/hosts');
    expect(anonymous.status).toBe(401);
    expect(anonymous.body).toMatchObject({ code: 'Unauthorized' });
    // A path that merely starts like the console's is not the console's: the route table answers it.
    const lookalike = await rawGet('/consoles');
    expect(lookalike.status).toBe(404);
    expect(JSON.parse(lookalike.body)).toMatchObject({ code: 'NotFound' });
    const viewer = await cloud.mintOperatorToken('viewer');
    expect((await call('GET', '/hosts', { token: viewer })).status).toBe(200);
  });
});

const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((file) => existsSync(file));
if (!CHROMIUM)
  console.warn('console: no Chromium at /usr/bin/chromium; the headless-browser tests are skipped');

/** The DOM after the page ran for a few seconds of virtual time (network waits do not count). */
async function renderedText(url: string): Promise<string> {
  const profile = await mkdtemp(path.join(tmpdir(), 'tidemark-console-chromium-'));
  try {
    const { stdout } = await promisify(execFile)(
      CHROMIUM as string,
      // --no-sandbox: these machines run tests as root, where chromium's sandbox refuses to start.
      [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        `--user-data-dir=${profile}`,
        '--virtual-time-budget=4000',
        '--dump-dom',
        url,
      ],
      { timeout: 45_000, maxBuffer: 16 * 1024 * 1024 },
    );
    return stdout.replace(/<[^>]*>/g, ' ').replace(/\s+/g, ' ');
  } finally {
    await rm(profile, { recursive: true, force: true });
  }
}

describe.skipIf(!CHROMIUM)('console in a headless browser', () => {
  it('renders the hosts view from the API with a token taken from the fragment', async () => {
    const call = apiClient(cloud.apiUrl);
    const admin = await cloud.mintOperatorToken('admin');
    const enrolled = await call('POST', '/hosts', {
      token: admin,
      body: { name: 'console-smoke-1', addresses: ['10.9.8.7'], os: 'linux' },
    });
    expect(enrolled.status).toBe(201);
    const viewer = await cloud.mintOperatorToken('viewer');
    const text = await renderedText(`${cloud.apiUrl}/console/#token=${viewer}&/hosts`);
    expect(text).toContain('Sign out');
    expect(text).toContain('console-smoke-1');
    expect(text).toContain('10.9.8.7');
    expect(text).toContain('never'); // no heartbeat yet
    expect(text).not.toContain('Operator token');
  });

  it('shows the API refusal and the token form for a token the API does not know', async () => {
    const text = await renderedText(`${cloud.apiUrl}/console/#token=tmo_${'x'.repeat(43)}&/hosts`);
    expect(text).toContain('Unauthorized: missing or invalid credential');
    expect(text).toContain('Operator token');
    expect(text).not.toContain('console-smoke-1');
  });

  it('asks for a token when the tab has none, with no error shown', async () => {
    const text = await renderedText(`${cloud.apiUrl}/console/#/hosts`);
    expect(text).toContain('Operator token');
    expect(text).not.toContain('Unauthorized');
    expect(text).not.toContain('Sign out');
  });
});
