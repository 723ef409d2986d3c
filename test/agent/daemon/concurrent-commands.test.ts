/**
 * One agent, several scenarios: a long backup of one scenario does not hold
 * up a `stop` of another, while two commands of the same scenario still run
 * in the order they came; each poll names the commands in hand, so the
 * control plane does not deliver them again. The control plane is a small
 * loopback HTTP stand-in handing out a fixed queue (the local cloud cannot
 * hold a backup open on demand); the handlers are recording fakes.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, expect, it } from 'vitest';
import { ControlLoop } from '../../../agent/daemon/control-loop.js';
import { ControlPlaneClient } from '../../../agent/daemon/control-plane-client.js';
import { Dispatcher } from '../../../agent/daemon/dispatcher.js';
import { createLogger } from '../../../agent/daemon/logger.js';

let server: Server | undefined;
let loop: ControlLoop | undefined;
afterEach(async () => {
  await loop?.stop('test end');
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
  server = undefined;
});

interface Queued {
  id: string;
  kind: string;
  args: Record<string, unknown>;
}

/** Hands out `queue` one command a poll, records each poll's `running` list and every result. */
async function fakeControlPlane(queue: Queued[]) {
  const results = new Map<string, unknown>();
  const runningLists: string[][] = [];
  server = createServer((request, response) => {
    let text = '';
    request.on('data', (chunk: Buffer) => {
      text += chunk.toString();
    });
    request.on('end', () => {
      const json = (status: number, body?: unknown) => {
        response.writeHead(status, { 'content-type': 'application/json' });
        response.end(body === undefined ? '' : JSON.stringify(body));
      };
      const url = new URL(request.url ?? '/', 'http://x');
      if (url.pathname === '/agent/heartbeat') {
        const enrolledAt = new Date().toISOString();
        return json(200, { id: 'h-1', name: 'agent-a', addresses: [], enrolledAt, enrolledBy: 'test' });
      }
      if (url.pathname === '/agent/commands') {
        const running = url.searchParams.get('running');
        runningLists.push(running ? running.split(',') : []);
        const next = queue.shift();
        if (!next) return setTimeout(() => json(204), 100);
        return json(200, { ...next, deadline: new Date(Date.now() + 60_000).toISOString() });
      }
      const result = /^\/agent\/commands\/([^/]+)\/result$/.exec(url.pathname);
      if (result) {
        results.set(result[1] as string, JSON.parse(text));
        return json(200, {});
      }
      json(200, {});
    });
  });
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
  return { results, runningLists, port: (server.address() as AddressInfo).port };
}

const until = async (what: string, check: () => boolean) => {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 25));
  expect(check(), what).toBe(true);
};

it('a long backup of one scenario does not block a stop of another; one scenario runs in order', async () => {
  const { results, runningLists, port } = await fakeControlPlane([
    { id: 'c-backup', kind: 'backup', args: { scenarioId: 's-1', scenarioName: 'big' } },
    { id: 'c-stop', kind: 'stop', args: { scenarioId: 's-2', scenarioName: 'other' } },
    { id: 'c-resume', kind: 'resume', args: { scenarioId: 's-1', scenarioName: 'big' } },
  ]);
  const order: string[] = [];
  let finishBackup!: () => void;
  const log = createLogger('error', () => {});
  const handlers = {
    backup: async () => {
      order.push('backup started');
      await new Promise<void>((resolve) => {
        finishBackup = resolve;
      });
      order.push('backup done');
    },
    stop: async () => {
      order.push('stop');
    },
    resume: async () => {
      order.push('resume');
    },
  };
  loop = new ControlLoop({
    self: 'agent-a',
    dataPort: 7070,
    agentVersion: 'test',
    heartbeatMs: 60_000,
    pollWaitSeconds: 1,
    shutdownGraceMs: 300,
    client: new ControlPlaneClient({
      apiUrl: `http://127.0.0.1:${port}`,
      credential: `tma_${'Z'.repeat(43)}`,
    }),
    dispatcher: new Dispatcher(handlers, 'agent-a', log),
    runtime: { close: async () => {} },
    events: { start: () => {}, stop: async () => {} },
    status: { start: () => {}, stop: () => {} },
    log,
  });
  await loop.start();

  // The other scenario's stop is done while the backup still runs.
  await until('the stop of s-2 to be delivered', () => results.has('c-stop'));
  expect(results.get('c-stop')).toEqual({ status: 'succeeded' });
  expect(results.has('c-backup')).toBe(false);
  // s-1's resume waits for s-1's backup, though it is in hand (and said so on every poll since).
  await until('the resume to be received', () => runningLists.some((l) => l.includes('c-resume')));
  expect(order).toEqual(['backup started', 'stop']);
  expect(runningLists.at(-1)).toEqual(expect.arrayContaining(['c-backup', 'c-resume']));

  finishBackup();
  await until('the resume to be delivered', () => results.has('c-resume'));
  expect(order).toEqual(['backup started', 'stop', 'backup done', 'resume']);
  expect(results.get('c-backup')).toEqual({ status: 'succeeded' });
});
