/**
 * Builds the console in memory with esbuild: one JavaScript bundle and one
 * stylesheet from web/src, plus the static index.html. Built once per
 * process, on the first request, so `npm start` needs no separate build step.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export interface ConsoleAsset {
  contentType: string;
  body: Buffer;
}

/** The only files the console serves, by name under /console/. */
export type ConsoleAssets = ReadonlyMap<string, ConsoleAsset>;

const WEB_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export async function buildConsoleAssets(): Promise<ConsoleAssets> {
  // esbuild is a dev dependency: the console is served only by the local API, never by a Lambda.
  const { build } = await import('esbuild');
  const result = await build({
    entryPoints: { app: path.join(WEB_ROOT, 'src', 'main.tsx') },
    bundle: true,
    write: false,
    outdir: '/console',
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    jsx: 'automatic',
    minify: true,
    legalComments: 'none',
    define: { 'process.env.NODE_ENV': '"production"' },
    logLevel: 'silent',
  });
  const assets = new Map<string, ConsoleAsset>();
  for (const file of result.outputFiles) {
    const name = path.basename(file.path);
    if (name.endsWith('.js'))
      assets.set(name, { contentType: 'text/javascript; charset=utf-8', body: Buffer.from(file.contents) });
    else if (name.endsWith('.css'))
      assets.set(name, { contentType: 'text/css; charset=utf-8', body: Buffer.from(file.contents) });
  }
  if (!assets.has('app.js')) throw new Error('the console bundle produced no app.js');
  const html = await readFile(path.join(WEB_ROOT, 'index.html'));
  assets.set('index.html', { contentType: 'text/html; charset=utf-8', body: html });
  return assets;
}
