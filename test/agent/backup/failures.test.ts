/**
 * Failure paths against moto S3 over HTTP: a backup process killed with
 * SIGKILL mid-upload leaves no session and no catalog commit, and the next
 * backup succeeds (and the same into a local directory, whose packs are
 * written with direct I/O: every pack it left is whole); 5% of S3 requests failing with 500/503/SlowDown (injected
 * by a small HTTP proxy in front of moto) still lets a backup and restore
 * complete.
 */
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBackup } from '../../../agent/backup/backup.js';
import { DirectoryView } from '../../../agent/backup/directory-view.js';
import { KmsKeyWrapper } from '../../../agent/backup/key-wrapper.js';
import { listSessions } from '../../../agent/backup/manifest.js';
import { initRepository, openRepository } from '../../../agent/backup/repository.js';
import type { StorageBackend } from '../../../agent/backup/storage.js';
import { LocalDirectoryStorage } from '../../../agent/backup/storage-local.js';
import { S3Storage } from '../../../agent/backup/storage-s3.js';
import { runRestore } from '../../../agent/restore/restore.js';
import { REPO_ROOT } from '../../../infra/local/local-cloud.js';
import { startTestCloud, type TestCloud } from './cloud.js';

let cloud: TestCloud;
let work: string;
let source: string;

beforeAll(async () => {
  cloud = await startTestCloud();
  work = await mkdtemp(path.join(tmpdir(), 'tm-failures-'));
  source = path.join(work, 'data');
  await mkdir(source, { recursive: true });
  for (let i = 0; i < 6; i++) await writeFile(path.join(source, `f${i}.bin`), randomBytes(6 * 1024 * 1024));
});
afterAll(async () => {
  await cloud?.moto.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

describe('backup failures', () => {
  it('kill -9 mid-upload leaves no visible session, and the next backup succeeds', async () => {
    const storage = () => new S3Storage({ bucket: cloud.bucket, repo: 'killed' });
    await killMidBackupThenRecover(storage, cloud.bucket, 'killed');
  });

  it('kill -9 mid-backup into a local directory: every stored pack is whole, no session shows, the next backup succeeds', async () => {
    const dir = path.join(work, 'killed-local');
    const storage = () => new LocalDirectoryStorage(dir);
    const repo = await killMidBackupThenRecover(storage, `file:${dir}`, 'killed-local');
    // Packs are written with direct I/O, then fsynced and renamed: a pack under its name is whole,
    // the SHA-256 of its bytes; a write the kill cut short can only be a temp file, which is skipped.
    const packs = await repo.storage.list('packs/');
    expect(packs.length).toBeGreaterThan(1);
    for (const { key } of packs) {
      const id = key.slice('packs/'.length);
      expect(
        createHash('sha256')
          .update(await repo.storage.get(key))
          .digest('hex'),
      ).toBe(id);
    }
  });

  /** Starts a backup child, kills it after its first pack, checks nothing shows, then backs up and restores. */
  async function killMidBackupThenRecover(storage: () => StorageBackend, target: string, repoName: string) {
    const wrapper = new KmsKeyWrapper(cloud.kmsKeyId);
    const repo = await initRepository(storage(), wrapper);
    const marker = path.join(work, `committed-${repoName}`);
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        path.join(REPO_ROOT, 'test/agent/backup/backup-child.ts'),
        target,
        repoName,
        cloud.kmsKeyId,
        source,
        marker,
      ],
      { cwd: REPO_ROOT, env: process.env, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const exited = new Promise<NodeJS.Signals | null>((resolve) =>
      child.once('exit', (_, signal) => resolve(signal)),
    );
    await new Promise<void>((resolve, reject) => {
      createInterface({ input: child.stdout }).on('line', (line) => {
        if (line.startsWith('PACK ')) resolve();
      });
      child.once('exit', () => reject(new Error('the backup child ended before its first pack')));
    });
    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');

    expect((await repo.storage.list('packs/')).length).toBeGreaterThan(0); // it did get somewhere
    expect(await listSessions(repo)).toEqual([]);
    expect(existsSync(marker)).toBe(false);

    const reopened = await openRepository(storage(), wrapper);
    const next = await runBackup({
      repo: reopened,
      view: new DirectoryView(),
      sources: [{ viewPath: source, masterPath: '/data' }],
      masterHost: 'master-1',
    });
    expect(await listSessions(reopened)).toEqual([next.session]);
    const dest = path.join(work, `after-kill-${repoName}`);
    await runRestore({ repo: reopened, session: next.session, destination: dest });
    expect(
      (await readFile(path.join(dest, 'data', 'f4.bin'))).equals(await readFile(path.join(source, 'f4.bin'))),
    ).toBe(true);
    return reopened;
  }

  it('completes a backup and a restore while 5% of S3 requests fail with 500, 503 or SlowDown', async () => {
    const target = new URL(cloud.moto.url);
    let requests = 0;
    let injected = 0;
    const faults = [
      [500, 'InternalError', 'We encountered an internal error. Please try again.'],
      [503, 'ServiceUnavailable', 'Service is unable to handle request.'],
      [503, 'SlowDown', 'Please reduce your request rate.'],
    ] as const;
    const proxy = http.createServer((req, res) => {
      requests++;
      // Every 20th request (exactly 5%), so the run is repeatable and never injects nothing.
      if (requests % 20 === 7) {
        injected++;
        const [status, code, message] = faults[injected % faults.length] as (typeof faults)[number];
        req.resume();
        req.on('end', () => {
          res.writeHead(status, { 'content-type': 'application/xml' });
          res.end(
            `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>${message}</Message></Error>`,
          );
        });
        return;
      }
      const upstream = http.request(
        { host: target.hostname, port: target.port, path: req.url, method: req.method, headers: req.headers },
        (reply) => {
          res.writeHead(reply.statusCode ?? 502, reply.headers);
          reply.pipe(res);
        },
      );
      upstream.on('error', () => res.destroy());
      req.pipe(upstream);
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    process.env.AWS_ENDPOINT_URL_S3 = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
    try {
      const wrapper = new KmsKeyWrapper(cloud.kmsKeyId);
      const storage = () => new S3Storage({ bucket: cloud.bucket, repo: 'flaky', partSize: 5 * 1024 * 1024 });
      await initRepository(storage(), wrapper);
      const repo = await openRepository(storage(), wrapper);
      const backup = await runBackup({
        repo,
        view: new DirectoryView(),
        sources: [{ viewPath: source, masterPath: '/data' }],
        masterHost: 'master-1',
        packSize: 12 * 1024 * 1024,
      });
      const dest = path.join(work, 'after-faults');
      await runRestore({ repo, session: backup.session, destination: dest });
      for (let i = 0; i < 6; i++)
        expect(
          (await readFile(path.join(dest, 'data', `f${i}.bin`))).equals(
            await readFile(path.join(source, `f${i}.bin`)),
          ),
        ).toBe(true);
      console.log(`fault injection: ${injected} of ${requests} S3 requests failed on purpose`);
      expect(injected).toBeGreaterThan(0);
    } finally {
      delete process.env.AWS_ENDPOINT_URL_S3;
      await new Promise((resolve) => proxy.close(resolve));
    }
  });
});
