/**
 * What the end-to-end workflow tests share: a local cloud with an enrolled
 * master and replica (heartbeats with data ports), an HTTP subscriber of the
 * alert topic, replicating scenarios made the way agents make them, and the
 * in-test agent loop over real HTTP. The loop stands in for the agent
 * program (built separately against core/agent-commands.ts): it answers with
 * outputs of the contract's shape and writes the name index a real agent
 * writes; it moves no file data.
 */
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SubscribeCommand } from '@aws-sdk/client-sns';
import { expect } from 'vitest';
import type { BackedUpSession, BackupArgs } from '../../core/agent-commands.js';
import { clients } from '../../core/aws-clients.js';
import { ENV } from '../../core/environment.js';
import { writeNameIndex } from '../../functions/repositories/file-index.js';
import { startLocalCloud } from '../../infra/local/local-cloud.js';
import { apiClient } from './api-client.js';

export type Answer =
  | { status: 'succeeded'; output?: unknown }
  | { status: 'failed'; code: string; message: string };

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The sessions a backup agent reports for its planned sessions, name indexes really written to S3. */
export async function backedUpSessions(args: BackupArgs): Promise<{ sessions: BackedUpSession[] }> {
  const sessions: BackedUpSession[] = [];
  for (const planned of args.sessions) {
    const media = {
      bucket: args.repository.bucket,
      prefix: args.repository.prefix,
      tier: 'STANDARD' as const,
    };
    const root = planned.entity.paths[0] as string;
    const now = new Date().toISOString();
    sessions.push({
      number: planned.number,
      entity: planned.entity.name,
      masterHost: args.scenario.master,
      masterPaths: planned.entity.paths,
      media,
      bytes: 4096,
      storedBytes: 2048,
      files: 2,
      directories: 1,
      startedAt: now,
      endedAt: now,
      encryptionKeyId: 'wrapped-key-1',
      nameIndex: await writeNameIndex(
        args.scenario.id,
        media,
        planned.number,
        [`${root}/a.txt`, `${root}/sub/b.txt`],
        [`${root}/sub`],
      ),
    });
  }
  return { sessions };
}

/** Contract-shaped success outputs for the kinds that have one. */
async function defaultOutput(kind: string, args: Record<string, unknown>): Promise<unknown> {
  if (kind === 'snapshot') return { snapshotId: 'snap-7', takenAt: new Date().toISOString(), pauseMs: 2 };
  if (kind === 'backup') return backedUpSessions(args as unknown as BackupArgs);
  if (kind === 'release_snapshots') return { released: ['snap-1'], kept: 2 };
  return undefined;
}

export async function startWorkflowWorld(prefix: string, ports: [number, number]) {
  const cloud = await startLocalCloud();
  const call = apiClient(cloud.apiUrl);
  const operator = await cloud.mintOperatorToken('operator');
  const admin = await cloud.mintOperatorToken('admin');
  const master = `${prefix}-master`;
  const replica = `${prefix}-replica`;
  const agents: Record<string, string> = {};
  /** Per host, commands it was given and never answered ('never'). */
  const held = new Map<string, string[]>();
  for (const [name, port] of [
    [master, ports[0]],
    [replica, ports[1]],
  ] as const) {
    const enrolled = await call('POST', '/hosts', { token: admin, body: { name } });
    agents[name] = enrolled.body.agentToken as string;
    await call('POST', '/agent/heartbeat', {
      token: agents[name],
      body: { addresses: ['127.0.0.1'], dataPort: port },
    });
  }
  // Every alert moto SNS delivers lands here.
  const alerts: Array<Record<string, unknown>> = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      response.end();
      alerts.push(JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>);
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  await clients.sns().send(
    new SubscribeCommand({
      TopicArn: process.env[ENV.alertsTopicArn],
      Protocol: 'http',
      Endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}/alerts`,
    }),
  );

  const jobOf = async (id: string) => (await call('GET', `/jobs/${id}`, { token: operator })).body;
  const jobDone = (id: string) => async () => (await jobOf(id)).status === 'done';

  return {
    cloud,
    call,
    operator,
    admin,
    agents,
    master,
    replica,
    jobOf,
    jobDone,

    /** The alert published for a job, once delivered. */
    async alertOf(jobId: string): Promise<Record<string, unknown>> {
      for (let i = 0; i < 50 && !alerts.some((a) => String(a.Message).includes(jobId)); i++) await sleep(100);
      return JSON.parse(String(alerts.find((a) => String(a.Message).includes(jobId))?.Message ?? '{}'));
    },

    /** A replicating scenario, brought there the way agents do (run, then the master's status report). */
    async replicatingScenario(name: string): Promise<string> {
      const created = await call('POST', '/scenarios', {
        token: admin,
        body: {
          name,
          type: 'fileserver',
          master,
          replicas: [{ host: replica, directory: '/var/replica' }],
          roots: ['/srv/data', '/srv/home'],
          options: { mode: 'suspend', agentTimeoutSeconds: 10, snapshotRetention: 2 },
        },
      });
      const id = created.body.id as string;
      expect((await call('POST', `/scenarios/${id}/run`, { token: operator })).status).toBe(202);
      const statistics = {
        scenarioId: id,
        state: 'replicating',
        roots: [],
        spoolBytes: 0,
        spoolThresholdPercent: 0,
      };
      await call('POST', `/agent/scenarios/${id}/status`, { token: agents[master], body: { statistics } });
      return id;
    },

    /** The poll's `running` parameter for `host`: the commands it was given and never answered. */
    running(host: string): string {
      const ids = held.get(host) ?? [];
      return ids.length > 0 ? `&running=${ids.join(',')}` : '';
    },

    /** The agent loop: polls as `host` until `done()`, answering each command; returns the kinds seen. */
    async serve(
      host: string,
      done: () => Promise<boolean>,
      answer?: (
        kind: string,
        args: Record<string, unknown>,
      ) => Answer | 'never' | undefined | Promise<Answer | undefined>,
      seen?: (args: Record<string, unknown>) => void,
    ): Promise<string[]> {
      const kinds: string[] = [];
      while (!(await done())) {
        const poll = await call('GET', `/agent/commands?waitSeconds=1${this.running(host)}`, {
          token: agents[host],
        });
        if (poll.status !== 200) continue;
        const kind = poll.body.kind as string;
        const args = poll.body.args as Record<string, unknown>;
        // The run route's own start commands: no workflow waits on them.
        if (kind !== 'start') {
          kinds.push(kind);
          seen?.(args);
        }
        let result: Answer | 'never' = (await answer?.(kind, args)) ?? { status: 'succeeded' };
        if (result !== 'never' && result.status === 'succeeded' && result.output === undefined) {
          result = { status: 'succeeded', output: await defaultOutput(kind, args) };
        }
        if (result === 'never') {
          // Held, as a hung agent holds it: its polls say it runs it, so it is not delivered again.
          held.set(host, [...(held.get(host) ?? []), poll.body.id as string]);
          continue;
        }
        const posted = await call('POST', `/agent/commands/${poll.body.id}/result`, {
          token: agents[host],
          body: result,
        });
        expect(posted.status).toBe(200);
      }
      return kinds;
    },

    async stop() {
      server.close();
      await cloud.stop();
    },
  };
}

export type WorkflowWorld = Awaited<ReturnType<typeof startWorkflowWorld>>;
