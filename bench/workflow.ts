/**
 * `npm run bench -- workflow`: orchestration overhead of one backup job in
 * local mode. Brings up the local cloud, a replicating scenario with two
 * roots, and an agent loop over HTTP that answers every command at once
 * (its only work is writing the name index a real agent writes, timed and
 * subtracted). Measures submit → job done over the API, several rounds;
 * overhead = total minus agent work. Target < 2 s. Last line: one JSON object.
 */
import { performance } from 'node:perf_hooks';
import type { BackupArgs } from '../core/agent-commands.js';
import { writeNameIndex } from '../functions/repositories/file-index.js';
import { startLocalCloud } from '../infra/local/local-cloud.js';

const ROUNDS = 5;

export async function runWorkflowBenchmark(): Promise<void> {
  // The step handlers log every command at INFO; the figures are what this prints.
  process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
  const cloud = await startLocalCloud();
  try {
    const call = async (method: string, path: string, token: string, body?: unknown) => {
      const response = await fetch(`${cloud.apiUrl}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          ...(body ? { 'content-type': 'application/json' } : {}),
        },
        body: body ? JSON.stringify(body) : undefined,
      });
      const text = await response.text();
      return { status: response.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
    };
    const operator = await cloud.mintOperatorToken('operator');
    const admin = await cloud.mintOperatorToken('admin');
    const tokens: Record<string, string> = {};
    for (const [name, port] of [
      ['bench-master', 49401],
      ['bench-replica', 49402],
    ] as const) {
      const enrolled = await call('POST', '/hosts', admin, { name });
      tokens[name] = enrolled.body.agentToken as string;
      await call('POST', '/agent/heartbeat', tokens[name], { addresses: ['127.0.0.1'], dataPort: port });
    }
    const created = await call('POST', '/scenarios', admin, {
      name: 'bench-files',
      type: 'fileserver',
      master: 'bench-master',
      replicas: [{ host: 'bench-replica', directory: '/replica' }],
      roots: ['/srv/a', '/srv/b'],
      options: { mode: 'suspend', snapshotRetention: 3 },
    });
    const scenarioId = created.body.id as string;
    await call('POST', `/scenarios/${scenarioId}/run`, operator);
    const statistics = {
      scenarioId,
      state: 'replicating',
      roots: [],
      spoolBytes: 0,
      spoolThresholdPercent: 0,
    };
    await call('POST', `/agent/scenarios/${scenarioId}/status`, tokens['bench-master'] as string, {
      statistics,
    });

    const replica = tokens['bench-replica'] as string;
    const answer = async (kind: string, args: Record<string, unknown>): Promise<unknown> => {
      if (kind === 'snapshot') return { snapshotId: 'snap', takenAt: new Date().toISOString(), pauseMs: 0 };
      if (kind === 'release_snapshots') return { released: [], kept: 3 };
      if (kind !== 'backup') return undefined;
      const backup = args as unknown as BackupArgs;
      const now = new Date().toISOString();
      return {
        sessions: await Promise.all(
          backup.sessions.map(async (planned) => {
            const media = {
              bucket: backup.repository.bucket,
              prefix: backup.repository.prefix,
              tier: 'STANDARD' as const,
            };
            return {
              number: planned.number,
              entity: planned.entity.name,
              masterHost: backup.scenario.master,
              masterPaths: planned.entity.paths,
              media,
              bytes: 0,
              storedBytes: 0,
              files: 1,
              directories: 0,
              startedAt: now,
              endedAt: now,
              encryptionKeyId: 'k',
              nameIndex: await writeNameIndex(backup.scenario.id, media, planned.number, [
                `${planned.entity.paths[0]}/f`,
              ]),
            };
          }),
        ),
      };
    };

    const totals: number[] = [];
    const overheads: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const started = performance.now();
      const submitted = await call('POST', '/jobs', operator, { kind: 'backup', scenarios: ['bench-files'] });
      const jobId = submitted.body.id as string;
      let agentMs = 0;
      for (;;) {
        const poll = await call('GET', '/agent/commands?waitSeconds=1', replica);
        if (poll.status === 200) {
          const work = performance.now();
          const output = await answer(poll.body.kind as string, poll.body.args as Record<string, unknown>);
          agentMs += performance.now() - work;
          await call('POST', `/agent/commands/${poll.body.id}/result`, replica, {
            status: 'succeeded',
            output,
          });
          if (poll.body.kind !== 'release_snapshots') continue;
        }
        const job = await call('GET', `/jobs/${jobId}`, operator);
        if (job.body.status === 'done') {
          if (job.body.result !== 'completed')
            throw new Error(`job ${jobId} ended ${String(job.body.result)}`);
          break;
        }
      }
      const total = performance.now() - started;
      totals.push(total);
      overheads.push(total - agentMs);
      console.log(
        `round ${round + 1}: total ${total.toFixed(0)} ms, orchestration ${(total - agentMs).toFixed(0)} ms`,
      );
    }
    const sorted = [...overheads].sort((a, b) => a - b);
    const median = sorted[Math.floor(sorted.length / 2)] as number;
    console.log(
      JSON.stringify({
        benchmark: 'workflow',
        rounds: ROUNDS,
        medianTotalMs: Math.round([...totals].sort((a, b) => a - b)[Math.floor(totals.length / 2)] as number),
        medianOverheadMs: Math.round(median),
        maxOverheadMs: Math.round(sorted.at(-1) as number),
        targetMs: 2000,
        withinTarget: median < 2000,
      }),
    );
  } finally {
    await cloud.stop();
  }
}
