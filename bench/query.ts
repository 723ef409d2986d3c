/**
 * `npm run bench -- query`: restore by query over 1,000,000 catalogued file
 * names. Brings up the local cloud (moto S3 and DynamoDB, the real API),
 * commits 20 sessions of 50,000 files each through the catalog
 * repositories (name indexes in S3), then times wildcard queries over HTTP
 * at GET /restore/query. Prints p50/p95; the last line is one JSON object.
 */
import { performance } from 'node:perf_hooks';
import { nextSessionNumber } from '../functions/repositories/counters.js';
import { writeNameIndex } from '../functions/repositories/file-index.js';
import { commitSession, recordSession } from '../functions/repositories/sessions.js';
import { startLocalCloud } from '../infra/local/local-cloud.js';

const SESSIONS = 20;
const FILES_PER_SESSION = 50_000;
const ROUNDS = 10;
const EXTENSIONS = ['doc', 'xlsx', 'pdf', 'txt', 'jpg', 'csv', 'log', 'bin'];
const WORDS = ['report', 'budget', 'invoice', 'photo', 'notes', 'draft', 'plan', 'data'];
const QUERIES = [
  'report-1234?.pdf',
  '*.xlsx',
  '/srv/share/dept3/*/*.doc',
  'budget-4999*',
  '*invoice*2024*',
  '?????-1.txt',
  'no-such-file-*.zip',
];

function filesOf(session: number): string[] {
  const files: string[] = [];
  for (let i = 0; i < FILES_PER_SESSION; i++) {
    const n = session * FILES_PER_SESSION + i;
    const word = WORDS[n % WORDS.length];
    const ext = EXTENSIONS[(n >> 3) % EXTENSIONS.length];
    const year = 2020 + (n % 6);
    files.push(`/srv/share/dept${n % 10}/project${(n >> 4) % 40}/${year}/${word}-${n}-${year}.${ext}`);
  }
  return files;
}

/** Heap in use after a full collection when the process allows one (--expose-gc). */
function heapUsed(): number {
  global.gc?.();
  return process.memoryUsage().heapUsed;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
}

export async function runQueryBenchmark(): Promise<void> {
  const cloud = await startLocalCloud({ log: () => {} });
  try {
    const bucket = process.env.TIDEMARK_MEDIA_BUCKET as string;
    const token = await cloud.mintOperatorToken('viewer', 'bench');
    const buildStarted = performance.now();
    for (let i = 1; i <= SESSIONS; i++) {
      const s = await nextSessionNumber();
      const media = { bucket, prefix: 'repos/bench', tier: 'STANDARD' as const };
      const files = filesOf(i);
      await recordSession({
        number: s,
        jobId: 'j-bench',
        scenarioId: 's-bench',
        scenarioName: 'bench',
        entity: 'volume /srv/share',
        masterHost: 'bench-master',
        masterPaths: ['/srv/share'],
        media,
        bytes: 0,
        files: files.length,
        directories: 0,
        startedAt: new Date().toISOString(),
        encryptionKeyId: 'bench-key',
        applicationConsistent: false,
      });
      const nameIndex = await writeNameIndex('s-bench', media, s, files);
      await commitSession(s, {
        endedAt: new Date().toISOString(),
        bytes: 0,
        files: files.length,
        directories: 0,
        nameIndex,
      });
    }
    const buildSeconds = (performance.now() - buildStarted) / 1000;
    console.log(
      `catalogued ${SESSIONS * FILES_PER_SESSION} file names in ${SESSIONS} sessions (${buildSeconds.toFixed(1)} s)`,
    );

    const query = async (pattern: string) => {
      const started = performance.now();
      const response = await fetch(
        `${cloud.apiUrl}/restore/query?pattern=${encodeURIComponent(pattern)}&limit=100`,
        {
          headers: { authorization: `Bearer ${token}` },
        },
      );
      const body = (await response.json()) as { total?: number; filesSearched?: number; message?: string };
      if (response.status !== 200)
        throw new Error(`query ${pattern} answered ${response.status}: ${body.message}`);
      return { ms: performance.now() - started, total: body.total ?? 0, searched: body.filesSearched ?? 0 };
    };

    // A refused pattern loads the authorizer and the route's module (a cold function start)
    // without reading any index, so the next query measures the cold index path on its own.
    const started = performance.now();
    const refused = await fetch(`${cloud.apiUrl}/restore/query?pattern=not%2Fabsolute`, {
      headers: { authorization: `Bearer ${token}` },
    });
    await refused.text();
    if (refused.status !== 400) throw new Error(`the warm-up query answered ${refused.status}, not 400`);
    const functionStartMs = performance.now() - started;
    console.log(
      `function start (authorizer and route module, no index read): ${functionStartMs.toFixed(0)} ms`,
    );

    // The first real query loads and decodes every index from S3: a cold index cache.
    const heapBefore = heapUsed();
    const cold = await query(QUERIES[0] as string);
    const indexHeapMb = (heapUsed() - heapBefore) / 2 ** 20;
    console.log(
      `cold query (loads ${SESSIONS} indexes from S3): ${cold.ms.toFixed(0)} ms over ${cold.searched} names; decoded indexes hold ${indexHeapMb.toFixed(0)} MB of heap${global.gc ? '' : ' (run with NODE_OPTIONS=--expose-gc for an exact figure)'}`,
    );
    const times: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      for (const pattern of QUERIES) {
        const result = await query(pattern);
        times.push(result.ms);
        if (round === 0)
          console.log(
            `  ${pattern.padEnd(28)} ${String(result.total).padStart(7)} matches ${result.ms.toFixed(0)} ms`,
          );
      }
    }
    times.sort((a, b) => a - b);
    const summary = {
      benchmark: 'query',
      files: SESSIONS * FILES_PER_SESSION,
      sessions: SESSIONS,
      queries: times.length,
      functionStartMs: Math.round(functionStartMs),
      coldMs: Math.round(cold.ms),
      indexHeapMb: Math.round(indexHeapMb),
      p50Ms: Math.round(percentile(times, 50)),
      p95Ms: Math.round(percentile(times, 95)),
      maxMs: Math.round(times[times.length - 1] ?? 0),
    };
    console.log(
      `warm queries: p50 ${summary.p50Ms} ms, p95 ${summary.p95Ms} ms (${times.length} queries over HTTP)`,
    );
    console.log(JSON.stringify(summary));
  } finally {
    await cloud.stop();
  }
}
