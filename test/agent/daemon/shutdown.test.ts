/**
 * Clean shutdown with a command still running: the control loop stops
 * polling, waits out its grace period, then fails the command with AE0472
 * so the workflow step waiting on it learns at once, and closes the engine.
 * The control plane is a small loopback HTTP stand-in that hands out one
 * command (the local cloud cannot be paused mid-command on demand); the
 * engine is a recording fake whose suspend never finishes.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, expect, it } from 'vitest';
import { ControlLoop } from '../../../agent/daemon/control-loop.js';
import { ControlPlaneClient } from '../../../agent/daemon/control-plane-client.js';
import { Dispatcher } from '../../../agent/daemon/dispatcher.js';
import { createLogger } from '../../../agent/daemon/logger.js';

let server: Server;
afterAll(() => new Promise((resolve) => server.close(resolve)));

it('fails the running command with AE0472 after the grace period, then closes the engine', async () => {
  const results: unknown[] = [];
  let handedOut = false;
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
      if (request.url === '/agent/heartbeat') {
        return json(200, {
          id: 'h-1',
          name: 'agent-a',
          addresses: [],
          enrolledAt: new Date().toISOString(),
          enrolledBy: 'test',
        });
      }
      if (request.url?.startsWith('/agent/commands?')) {
        if (handedOut) return setTimeout(() => json(204), 200);
        handedOut = true;
        const deadline = new Date(Date.now() + 60_000).toISOString();
        return json(200, {
          id: 'c-1',
          kind: 'suspend',
          args: { scenarioId: 's-1', scenarioName: 'files' },
          deadline,
        });
      }
      if (request.url === '/agent/commands/c-1/result') {
        results.push(JSON.parse(text));
        return json(200, { id: 'c-1' });
      }
      json(200, {});
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  let suspendCalled!: () => void;
  const suspended = new Promise<void>((resolve) => {
    suspendCalled = resolve;
  });
  let closed = false;
  const log = createLogger('error', () => {});
  const loop = new ControlLoop({
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
    dispatcher: new Dispatcher(
      {
        suspend: () => {
          suspendCalled();
          return new Promise(() => {}); // an engine call that never returns
        },
      },
      'agent-a',
      log,
    ),
    runtime: {
      close: async () => {
        closed = true;
      },
    },
    events: { start: () => {}, stop: async () => {} },
    status: { start: () => {}, stop: () => {} },
    log,
  });
  await loop.start();
  await suspended;
  const started = Date.now();
  await loop.stop('SIGTERM');
  expect(Date.now() - started).toBeGreaterThanOrEqual(290);
  expect(results).toEqual([
    {
      status: 'failed',
      code: 'AE0472',
      message:
        'Scenario files (s-1): the replication engine on agent-a reported an error: the agent shut down (SIGTERM) before the command finished.',
    },
  ]);
  expect(closed).toBe(true);
});
