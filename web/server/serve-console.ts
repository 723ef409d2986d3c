/**
 * Serves the operator console's static files under /console/ for the local
 * API server. Only the names the build produced are served (nothing is read
 * from disk by request path), so a traversal attempt cannot reach a file; it
 * is refused outright so the refusal is visible. The files hold no data:
 * every API call the page makes carries the operator's token.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { buildConsoleAssets, type ConsoleAssets } from './console-bundle.js';

export const CONSOLE_PREFIX = '/console';

// The page talks to its own origin only and is never framed.
const SECURITY_HEADERS = {
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
};

/** True when a raw request target (before any normalization) is the console's. */
export function isConsoleRequest(rawUrl: string | undefined): boolean {
  const target = rawUrl ?? '/';
  return (
    target === CONSOLE_PREFIX ||
    target.startsWith(`${CONSOLE_PREFIX}/`) ||
    target.startsWith(`${CONSOLE_PREFIX}?`)
  );
}

/** Why a raw console path is refused (a `.` or `..` segment, raw or percent-encoded, or a backslash), or undefined. */
export function traversalIn(rawPath: string): string | undefined {
  let decoded: string;
  try {
    decoded = decodeURIComponent(rawPath);
  } catch {
    return 'the path is not valid percent-encoding';
  }
  if (decoded.includes('\\') || decoded.includes('\0')) return 'the path holds a backslash or NUL';
  if (decoded.split('/').some((segment) => segment === '.' || segment === '..')) {
    return 'the path holds a . or .. segment';
  }
  return undefined;
}

export function consoleServer() {
  let assets: Promise<ConsoleAssets> | undefined;
  const load = () => {
    assets ??= buildConsoleAssets().catch((error: unknown) => {
      assets = undefined; // let the next request try again after a fix
      throw error;
    });
    return assets;
  };

  return async function serveConsole(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const rawPath = (request.url ?? '/').split(/[?#]/)[0] as string;
    const method = request.method ?? 'GET';
    if (method !== 'GET' && method !== 'HEAD') {
      sendJson(response, 405, { code: 'BadRequest', message: `the console serves GET only, not ${method}` });
      return;
    }
    const refusal = traversalIn(rawPath);
    if (refusal) {
      sendJson(response, 400, { code: 'BadRequest', message: `refused console path: ${refusal}` });
      return;
    }
    if (rawPath === CONSOLE_PREFIX) {
      // The browser keeps the #token fragment across a redirect without one.
      response.writeHead(301, { location: `${CONSOLE_PREFIX}/`, ...SECURITY_HEADERS });
      response.end();
      return;
    }
    const name = rawPath.slice(CONSOLE_PREFIX.length + 1) || 'index.html';
    let built: ConsoleAssets;
    try {
      built = await load();
    } catch (error) {
      sendJson(response, 500, {
        code: 'InternalError',
        message: `the console could not be built: ${(error as Error).message}`,
      });
      return;
    }
    const asset = built.get(name);
    if (!asset) {
      sendJson(response, 404, { code: 'NotFound', message: `no console file ${name}` });
      return;
    }
    response.writeHead(200, {
      'content-type': asset.contentType,
      'content-length': asset.body.length,
      ...SECURITY_HEADERS,
    });
    response.end(method === 'HEAD' ? undefined : asset.body);
  };
}

function sendJson(response: ServerResponse, status: number, body: unknown) {
  response.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  response.end(JSON.stringify(body));
}
