/**
 * `npm run bench -- backup`: Tidemark's backup engine against restic on the
 * same generated ≈1 GB dataset (compressible logs, random binaries, many
 * small files, a few large files), both into a local directory repository
 * (and both into moto S3 with BENCH_BACKUP_S3=1). Both tools run as child
 * processes under `/usr/bin/time`, so wall time and peak memory (max RSS)
 * are measured the same way; ours runs from an esbuild bundle under plain
 * node, as the agent would ship. Measures: full backup throughput,
 * unchanged re-backup time, repository growth after ~1% of files are
 * edited, restore throughput, CPU time (user + system) of the full backup
 * and the restore, peak memory. Each restore goes to a fresh ext4 volume of
 * its own (restore-volume.ts); restic leaves its restored files in the
 * page cache, ours makes them durable before it exits, so a second restore
 * figure adds a timed `sync -f` of restic's target. The machine is small
 * and shared, so every measure is repeated (BENCH_BACKUP_RUNS, default 4:
 * the tools take turns going first, and on this VM whichever touches
 * freshly freed memory first pays for it) and the median reported. Ours
 * runs with the systemd unit's environment (agentEnvironment). The last
 * line is one JSON array, one object per measure, `ratio` = ours / peer.
 *
 * restic runs with repository format 2 (compression auto, i.e. zstd), its
 * fair counterpart: format 1 does not compress at all.
 */
import { execFile, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, open, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { runBackup } from '../agent/backup/backup.js';
import { DirectoryView } from '../agent/backup/directory-view.js';
import { KmsKeyWrapper } from '../agent/backup/key-wrapper.js';
import { initRepository, openRepository } from '../agent/backup/repository.js';
import type { StorageBackend } from '../agent/backup/storage.js';
import { LocalDirectoryStorage } from '../agent/backup/storage-local.js';
import { S3Storage } from '../agent/backup/storage-s3.js';
import { runRestore } from '../agent/restore/restore.js';
import { clients } from '../core/aws-clients.js';
import { restoreVolume, restoreVolumeFallback, unmountLeftovers } from './restore-volume.js';

const MiB = 1024 * 1024;
const CHILD_FLAG = '--tidemark-backup-child';
const RESTIC_PASSWORD = 'bench-only-password';

// ---------------------------------------------------------------- child side

type StorageSpec = { kind: 'local'; dir: string } | { kind: 's3'; bucket: string; repo: string };
interface ChildArgs {
  op: 'init' | 'backup' | 'restore';
  storage: StorageSpec;
  kmsKeyId: string;
  source?: string;
  target?: string;
}

function storageOf(spec: StorageSpec): StorageBackend {
  return spec.kind === 'local'
    ? new LocalDirectoryStorage(spec.dir)
    : new S3Storage({ bucket: spec.bucket, repo: spec.repo });
}

async function childMain(args: ChildArgs): Promise<void> {
  const storage = storageOf(args.storage);
  const wrapper = new KmsKeyWrapper(args.kmsKeyId);
  if (args.op === 'init') {
    await initRepository(storage, wrapper);
    return;
  }
  const repo = await openRepository(storage, wrapper);
  if (args.op === 'backup') {
    const { manifest } = await runBackup({
      repo,
      view: new DirectoryView(),
      sources: [{ viewPath: args.source as string, masterPath: '/data' }],
      masterHost: 'bench',
    });
    console.log(JSON.stringify(manifest.stats));
  } else {
    const result = await runRestore({
      repo,
      session: (await latestSession(storage)) as string,
      destination: args.target as string,
      stripPrefix: '/data',
    });
    console.log(JSON.stringify({ entries: result.entries, bytes: result.bytes }));
  }
}

async function latestSession(storage: StorageBackend): Promise<string | undefined> {
  const sessions = (await storage.list('sessions/'))
    .filter((o) => o.key.endsWith('/manifest'))
    .sort((a, b) => a.modified.getTime() - b.modified.getTime());
  return sessions.at(-1)?.key.split('/')[1];
}

// --------------------------------------------------------------- the dataset

/** A pseudo-random stream that is cheap to make: log lines with varying fields compress ≈5–8×. */
function logText(bytes: number, seed: number): Buffer {
  const lines: string[] = [];
  let size = 0;
  let n = seed * 7919;
  const paths = ['/api/v1/items', '/api/v1/users', '/healthz', '/api/v2/orders', '/static/app.js'];
  while (size < bytes) {
    n = (n * 1103515245 + 12345) >>> 0;
    const line = `2026-0${1 + (n % 9)}-${10 + (n % 18)}T${String(n % 24).padStart(2, '0')}:${String((n >> 5) % 60).padStart(2, '0')}:${String((n >> 11) % 60).padStart(2, '0')}.${n % 1000}Z host-${n % 37} svc[${n % 30000}]: GET ${paths[n % paths.length]}/${n % 100000} ${n % 13 === 0 ? 500 : 200} ${n % 900}ms user=u${(n >> 3) % 50000} trace=${n.toString(16)}\n`;
    lines.push(line);
    size += line.length;
  }
  return Buffer.from(lines.join('')).subarray(0, bytes);
}

interface DatasetSpec {
  logs: number;
  binaries: number;
  small: number;
  scale: number;
}

/** Writes the dataset once; a marker with its spec lets later runs reuse it. */
async function ensureDataset(root: string, spec: DatasetSpec): Promise<void> {
  const marker = path.join(root, '..', 'dataset.json');
  const wanted = JSON.stringify(spec);
  if ((await readFile(marker, 'utf8').catch(() => '')) === wanted) return;
  await rm(root, { recursive: true, force: true });
  const s = spec.scale;
  await mkdir(path.join(root, 'logs'), { recursive: true });
  for (let i = 0; i < spec.logs; i++)
    await writeFile(path.join(root, 'logs', `app-${i}.log`), logText(Math.round(6 * MiB * s), i));
  await mkdir(path.join(root, 'bin'), { recursive: true });
  for (let i = 0; i < spec.binaries; i++)
    await writeFile(
      path.join(root, 'bin', `blob-${i}.bin`),
      randomBytes(Math.round((1 + (i % 8)) * MiB * s)),
    );
  for (let i = 0; i < spec.small; i++) {
    const dir = path.join(root, 'small', `d${String(Math.floor(i / 100)).padStart(3, '0')}`);
    if (i % 100 === 0) await mkdir(dir, { recursive: true });
    const size = 512 + ((i * 2654435761) % (24 * 1024));
    await writeFile(
      path.join(dir, `f${i}.${i % 2 ? 'dat' : 'txt'}`),
      i % 2 ? randomBytes(size) : logText(size, i),
    );
  }
  await mkdir(path.join(root, 'large'), { recursive: true });
  await writeFile(path.join(root, 'large', 'random.img'), randomBytes(Math.round(128 * MiB * s)));
  await writeFile(path.join(root, 'large', 'text.db'), logText(Math.round(128 * MiB * s), 99));
  const mixed = await open(path.join(root, 'large', 'mixed.vmdk'), 'w');
  for (let i = 0; i < Math.round(100 * s); i++)
    await mixed.write(i % 3 === 0 ? randomBytes(MiB) : logText(MiB, 1000 + i));
  await mixed.close();
  await writeFile(marker, wanted);
}

async function listFiles(root: string): Promise<string[]> {
  const names = await readdir(root, { recursive: true, withFileTypes: true });
  return names
    .filter((d) => d.isFile())
    .map((d) => path.join(d.parentPath, d.name))
    .sort();
}

async function treeBytes(root: string): Promise<number> {
  let total = 0;
  for (const file of await listFiles(root)) total += (await stat(file)).size;
  return total;
}

/** Edits ~1% of the files in place (every 100th, shifted per run): 4 KiB or a quarter of the file, mid-file. */
async function editOnePercent(files: string[], run: number): Promise<number> {
  let edited = 0;
  for (let i = run % 100; i < files.length; i += 100) {
    const file = files[i] as string;
    const size = (await stat(file)).size;
    const length = Math.max(1, Math.min(4096, Math.floor(size / 4)));
    const handle = await open(file, 'r+');
    await handle.write(randomBytes(length), 0, length, Math.floor(size / 2));
    await handle.close();
    edited++;
  }
  return edited;
}

/** path → sha256 of every file under root, for the restore check. */
async function digestTree(root: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const file of await listFiles(root))
    out.set(
      path.relative(root, file),
      createHash('sha256')
        .update(await readFile(file))
        .digest('hex'),
    );
  return out;
}

// -------------------------------------------------------------- measuring

interface Timed {
  seconds: number;
  maxRssMiB: number;
  /** User + system CPU seconds of the process and its threads: steadier than wall time on a shared machine. */
  cpuSeconds: number;
  stdout: string;
  /** For a restore that leaves its files unflushed: how long a `sync -f` of its target took after it. */
  flushSeconds?: number;
}

/** Runs a command under /usr/bin/time: wall time from here, peak RSS and CPU time from the kernel's rusage. */
async function timed(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<Timed> {
  const rssFile = path.join(tmpdir(), `tm-bench-time-${process.pid}`);
  // Untimed: no step inherits the last one's dirty pages (our restore ends with a syncfs, which
  // would otherwise also flush the gigabyte restic's restore left unwritten).
  await promisify(execFile)('sync');
  const started = performance.now();
  const stdout = await new Promise<string>((resolve, reject) => {
    const child = spawn('/usr/bin/time', ['-f', '%M %U %S', '-o', rssFile, command, ...args], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d;
    });
    child.stderr.on('data', (d: Buffer) => {
      err += d;
    });
    child.once('error', reject);
    child.once('exit', (code) =>
      code === 0
        ? resolve(out)
        : reject(new Error(`${command} ${args[0]} exited ${code}: ${err.slice(-2000)}`)),
    );
  });
  const seconds = (performance.now() - started) / 1000;
  const [maxRssKiB, user, sys] = ((await readFile(rssFile, 'utf8')).trim().split('\n').at(-1) ?? '')
    .split(' ')
    .map(Number);
  await rm(rssFile, { force: true });
  return {
    seconds,
    maxRssMiB: (maxRssKiB ?? Number.NaN) / 1024,
    cpuSeconds: (user ?? Number.NaN) + (sys ?? Number.NaN),
    stdout,
  };
}

interface Tool {
  name: 'ours' | 'restic';
  init(): Promise<void>;
  backup(): Promise<Timed>;
  restore(target: string): Promise<Timed>;
  /** Repository bytes (a local directory's files, or the objects under the S3 prefix). */
  size(): Promise<number | undefined>;
}

/** BENCH_BACKUP_CPU_PROF=<dir>: our children write V8 CPU profiles there (one per thread, workers too). */
function profiling(op: string): string[] {
  const dir = process.env.BENCH_BACKUP_CPU_PROF;
  return dir && op !== 'init' ? ['--cpu-prof', '--cpu-prof-dir', path.join(dir, op)] : [];
}

/** The environment the agent's systemd unit gives it (its `Environment=` lines), so ours runs as deployed. */
async function agentEnvironment(repoRoot: string): Promise<Record<string, string>> {
  const unit = await readFile(path.join(repoRoot, 'deploy/systemd/tidemark-agent.service'), 'utf8');
  return Object.fromEntries(
    [...unit.matchAll(/^Environment=([A-Z_]+)=(.*)$/gm)].map(([, name, value]) => [
      name as string,
      value as string,
    ]),
  );
}

function oursTool(
  bundle: string,
  storage: StorageSpec,
  kmsKeyId: string,
  source: string,
  agentEnv: Record<string, string>,
): Tool {
  const run = (args: Omit<ChildArgs, 'storage' | 'kmsKeyId'>) =>
    timed(
      process.execPath,
      [...profiling(args.op), bundle, CHILD_FLAG, JSON.stringify({ ...args, storage, kmsKeyId })],
      { ...process.env, ...agentEnv },
    );
  return {
    name: 'ours',
    init: async () => {
      await run({ op: 'init' });
    },
    backup: () => run({ op: 'backup', source }),
    restore: (target) => run({ op: 'restore', target }),
    size: async () =>
      storage.kind === 'local'
        ? treeBytes(storage.dir)
        : prefixBytes(storage.bucket, `repos/${storage.repo}/`),
  };
}

function resticTool(
  repo: string,
  cacheDir: string,
  source: string,
  s3?: { bucket: string; prefix: string },
): Tool {
  const env = { ...process.env, RESTIC_PASSWORD, RESTIC_REPOSITORY: repo };
  const common = ['--cache-dir', cacheDir, ...(s3 ? ['-o', 's3.region=us-east-1'] : [])];
  return {
    name: 'restic',
    init: async () => {
      await promisify(execFile)('restic', ['init', '--repository-version', '2', ...common], { env });
    },
    backup: () => timed('restic', ['backup', source, '--host', 'bench', '-q', ...common], env),
    restore: async (target) => {
      const t = await timed('restic', ['restore', 'latest', '--target', target, ...common], env);
      // restic exits with its files still in the page cache; ours makes them durable (a syncfs) before
      // it exits. Timed apart, the flush gives the durable comparison.
      const started = performance.now();
      await promisify(execFile)('sync', ['-f', target]);
      return { ...t, flushSeconds: (performance.now() - started) / 1000 };
    },
    size: async () => (s3 ? prefixBytes(s3.bucket, s3.prefix) : treeBytes(repo)),
  };
}

/** Bytes stored under an S3 prefix (moto), for the repository sizes of the S3 variant. */
async function prefixBytes(bucket: string, prefix: string): Promise<number> {
  let total = 0;
  let token: string | undefined;
  do {
    const page = await clients
      .s3()
      .send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
    for (const object of page.Contents ?? []) total += object.Size ?? 0;
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return total;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

type Measure =
  | 'full'
  | 'unchanged'
  | 'growth'
  | 'restore'
  | 'restoreDurable'
  | 'cpuBackup'
  | 'cpuRestore'
  | 'rssBackup'
  | 'rssRestore'
  | 'stored';

function emptyResults(): Record<Measure, number[]> {
  return {
    full: [],
    unchanged: [],
    growth: [],
    restore: [],
    restoreDurable: [],
    cpuBackup: [],
    cpuRestore: [],
    rssBackup: [],
    rssRestore: [],
    stored: [],
  };
}

async function bundleChild(root: string): Promise<string> {
  const { build } = await import('esbuild');
  const outfile = path.join(
    root,
    'node_modules',
    '.cache',
    'tidemark-bench',
    `backup-child-${process.pid}.mjs`,
  );
  // The CPU worker is its own entry, named as agent/backup/cpu-pool.ts looks for it beside the bundle.
  await build({
    entryPoints: [path.join(root, 'agent/backup/cpu-worker.ts')],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    outfile: path.join(path.dirname(outfile), 'cpu-worker.js'),
    // A native addon: loaded from node_modules at run time, as an installed agent would.
    external: ['@mongodb-js/zstd'],
    logLevel: 'error',
  });
  await build({
    entryPoints: [fileURLToPath(import.meta.url)],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    // Everything in one file, ESM builds of the SDK preferred so unused clients are shaken out: that is
    // how an agent ships, and it keeps module loading out of the figures.
    mainFields: ['module', 'main'],
    banner: {
      // Aliased: bundled modules import createRequire themselves.
      js: "import { createRequire as benchCreateRequire } from 'node:module'; const require = benchCreateRequire(import.meta.url);",
    },
    external: ['esbuild', '@mongodb-js/zstd', '*/test/agent/backup/cloud.js'],
    outfile,
    logLevel: 'error',
  });
  return outfile;
}

export async function runBackupBenchmark(): Promise<void> {
  const { startTestCloud } = await import('../test/agent/backup/cloud.js');
  const runs = Number(process.env.BENCH_BACKUP_RUNS ?? 4);
  const scale = Number(process.env.BENCH_BACKUP_SCALE ?? 1);
  const useS3 = process.env.BENCH_BACKUP_S3 === '1';
  const base = process.env.BENCH_BACKUP_DIR ?? path.join(tmpdir(), 'tidemark-bench-backup');
  const source = path.join(base, 'data');
  const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

  const generated = performance.now();
  await ensureDataset(source, { logs: 40, binaries: 60, small: Math.round(12_000 * scale), scale });
  const files = await listFiles(source);
  const datasetBytes = await treeBytes(source);
  console.log(
    `dataset ${source}: ${files.length} files, ${(datasetBytes / MiB).toFixed(0)} MiB (ready in ${((performance.now() - generated) / 1000).toFixed(1)} s)`,
  );
  const bundle = await bundleChild(repoRoot);
  const agentEnv = await agentEnvironment(repoRoot);
  console.log(`ours runs with the agent unit's environment: ${JSON.stringify(agentEnv)}`);
  const cloud = await startTestCloud();
  const restores = path.join(base, 'restores');
  const volumes = path.join(base, 'volumes');
  await unmountLeftovers(volumes);
  const scratch = async () => [
    restores,
    volumes,
    ...(await readdir(base)).filter((n) => /^run-\d+$/.test(n)).map((n) => path.join(base, n)),
  ];
  await removeTrees(base, await scratch(), restores);
  await waitForDeletionsToAge(base);
  const results: Record<'ours' | 'restic', Record<Measure, number[]>> = {
    ours: emptyResults(),
    restic: emptyResults(),
  };
  try {
    for (let run = 0; run < runs; run++) {
      const work = path.join(base, `run-${run}`);
      await mkdir(work, { recursive: true });
      const resticUrl = useS3
        ? `s3:${cloud.moto.url}/${cloud.bucket}/restic-${run}`
        : path.join(work, 'restic-repo');
      const tools = [
        oursTool(
          bundle,
          useS3
            ? { kind: 's3', bucket: cloud.bucket, repo: `ours-${run}` }
            : { kind: 'local', dir: path.join(work, 'ours-repo') },
          cloud.kmsKeyId,
          source,
          agentEnv,
        ),
        resticTool(
          resticUrl,
          path.join(work, 'restic-cache'),
          source,
          useS3 ? { bucket: cloud.bucket, prefix: `restic-${run}/` } : undefined,
        ),
      ];
      // Interleaved, so both tools see the same data and the same background load; the order flips
      // every run, so neither always goes first.
      if (run % 2 === 1) tools.reverse();
      for (const tool of tools) await tool.init();
      for (const tool of tools) {
        const t = await tool.backup();
        results[tool.name].full.push(datasetBytes / MiB / t.seconds);
        results[tool.name].rssBackup.push(t.maxRssMiB);
        results[tool.name].cpuBackup.push(t.cpuSeconds);
        results[tool.name].stored.push(((await tool.size()) ?? Number.NaN) / MiB);
        console.log(
          `run ${run} ${tool.name} full backup: ${t.seconds.toFixed(2)} s, CPU ${t.cpuSeconds.toFixed(2)} s, max RSS ${t.maxRssMiB.toFixed(0)} MiB`,
        );
      }
      for (const tool of tools) {
        const t = await tool.backup();
        results[tool.name].unchanged.push(t.seconds);
        console.log(`run ${run} ${tool.name} unchanged re-backup: ${t.seconds.toFixed(2)} s`);
      }
      const edited = await editOnePercent(files, run);
      for (const tool of tools) {
        const before = (await tool.size()) ?? Number.NaN;
        const t = await tool.backup();
        const growth = (((await tool.size()) ?? Number.NaN) - before) / MiB;
        results[tool.name].growth.push(growth);
        console.log(
          `run ${run} ${tool.name} after editing ${edited} files: +${growth.toFixed(2)} MiB in ${t.seconds.toFixed(2)} s`,
        );
      }
      const expected = run === 0 ? await digestTree(source) : undefined;
      for (const tool of tools) {
        const volume = await restoreVolume(
          volumes,
          restores,
          `run-${run}-${tool.name}`,
          Math.ceil(datasetBytes * 1.5) + 256 * MiB,
        );
        try {
          const target = volume.dir;
          const t = await tool.restore(target);
          results[tool.name].restore.push(datasetBytes / MiB / t.seconds);
          results[tool.name].restoreDurable.push(datasetBytes / MiB / (t.seconds + (t.flushSeconds ?? 0)));
          results[tool.name].rssRestore.push(t.maxRssMiB);
          results[tool.name].cpuRestore.push(t.cpuSeconds);
          console.log(
            `run ${run} ${tool.name} restore: ${t.seconds.toFixed(2)} s, CPU ${t.cpuSeconds.toFixed(2)} s, max RSS ${t.maxRssMiB.toFixed(0)} MiB${t.flushSeconds === undefined ? '' : `, then sync -f ${t.flushSeconds.toFixed(2)} s`}`,
          );
          if (expected) {
            // restic restores the absolute source path under the target.
            const restored = await digestTree(tool.name === 'ours' ? target : path.join(target, source));
            const wrong = [...expected].filter(([p, d]) => restored.get(p) !== d).length;
            if (wrong > 0 || restored.size !== expected.size)
              throw new Error(
                `${tool.name} restored ${restored.size} files, ${wrong} of ${expected.size} differ`,
              );
            console.log(`run ${run} ${tool.name} restore verified: ${restored.size} files byte-for-byte`);
          }
        } finally {
          await volume.release();
        }
      }
      // The run's repositories stay until the end, for the same reason as restored trees in folders (removeTrees).
    }
  } finally {
    await cloud.moto.stop();
    await rm(bundle, { force: true });
    await removeTrees(base, await scratch(), restores);
  }

  const fallback = restoreVolumeFallback();
  console.log(
    fallback
      ? `restored into folders beside the dataset (${fallback})`
      : 'restored onto a fresh ext4 volume each (restore-volume.ts)',
  );
  const target = useS3 ? 'moto S3' : 'local directory';
  const rows: Array<{ measure: string; key: Measure; unit: string }> = [
    { measure: `full backup throughput (${target})`, key: 'full', unit: 'MiB/s' },
    { measure: `unchanged re-backup time (${target})`, key: 'unchanged', unit: 's' },
    { measure: `repository growth after editing 1% of files (${target})`, key: 'growth', unit: 'MiB' },
    { measure: `restore throughput (${target})`, key: 'restore', unit: 'MiB/s' },
    {
      measure: `restore throughput to durable files: restic's time plus a sync -f of its target (${target})`,
      key: 'restoreDurable',
      unit: 'MiB/s',
    },
    { measure: `full backup CPU time, user + system (${target})`, key: 'cpuBackup', unit: 's' },
    { measure: `restore CPU time, user + system (${target})`, key: 'cpuRestore', unit: 's' },
    { measure: 'peak memory, full backup (max RSS)', key: 'rssBackup', unit: 'MiB' },
    { measure: 'peak memory, restore (max RSS)', key: 'rssRestore', unit: 'MiB' },
    { measure: `repository size after full backup (${target})`, key: 'stored', unit: 'MiB' },
  ];
  const out = rows
    .map(({ measure, key, unit }) => {
      const ours = median(results.ours[key]);
      const peer = median(results.restic[key]);
      return {
        measure: `${measure}, median of ${runs}`,
        ours: round(ours),
        peer: round(peer),
        ratio: round(ours / peer),
        unit,
      };
    })
    .filter((row) => Number.isFinite(row.ours));
  console.log(JSON.stringify(out));
}

/**
 * Restores that fell back to folders (see restore-volume.ts) are slow to create files within a minute
 * of many deletions on this machine's root file system, for whichever tool restored first. So trees are
 * deleted at the start and end of a benchmark only, and when restored trees were among them the time
 * is kept for the next benchmark to wait out.
 */
async function removeTrees(base: string, trees: string[], restored: string): Promise<void> {
  let removedRestores = false;
  for (const tree of trees) {
    if (!(await stat(tree).catch(() => undefined))) continue;
    await rm(tree, { recursive: true, force: true });
    if (tree === restored) removedRestores = true;
  }
  if (removedRestores) await writeFile(path.join(base, 'deleted-at'), String(Date.now()));
}

const DELETION_AGE_MS = 61_000;

async function waitForDeletionsToAge(base: string): Promise<void> {
  const at = Number(await readFile(path.join(base, 'deleted-at'), 'utf8').catch(() => '0'));
  const wait = at + DELETION_AGE_MS - Date.now();
  // Flushed first, so the inode tables are clean and the 60 s window applies, not the 360 s one.
  await promisify(execFile)('sync');
  if (wait <= 0) return;
  console.log(
    `waiting ${(wait / 1000).toFixed(0)} s for the last deletion of bench trees to age (see removeTrees)`,
  );
  await new Promise((resolve) => setTimeout(resolve, wait));
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}

if (process.argv[2] === CHILD_FLAG) await childMain(JSON.parse(process.argv[3] as string) as ChildArgs);
