/**
 * Clean shutdown. With a command still running, the control loop waits out
 * its grace period, then fails the command with AE0472 so the workflow step
 * waiting on it learns at once, and closes the engine. A command the server
 * claimed for a poll that was in flight when shutdown began is failed, not
 * dropped. The control plane is a small loopback HTTP stand-in that hands
 * out one command (the local cloud cannot be paused mid-command on
 * demand); the engine is a recording fake.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, expect, it } from 'vitest';
import { ControlLoop } from '../../../agent/daemon/control-loop.js';
import { ControlPlaneClient } from '../../../agent/daemon/control-plane-client.js';
import { type CommandHandler, Dispatcher } from '../../../agent/daemon/dispatcher.js';
import { createLogger } from '../../../agent/daemon/logger.js';

let server: Server | undefined;
afterEach(async () => {
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
  server = undefined;
});

/** Answers heartbeats, hands out one `suspend` command after `pollDelayMs`, records results. */
async function fakeControlPlane(pollDelayMs: number, deadlineInMs = 60_000) {
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
        const enrolledAt = new Date().toISOString();
        return json(200, { id: 'h-1', name: 'agent-a', addresses: [], enrolledAt, enrolledBy: 'test' });
      }
      if (request.url?.startsWith('/agent/commands?')) {
        if (handedOut) return setTimeout(() => json(204), 200);
        handedOut = true;
        const deadline = new Date(Date.now() + deadlineInMs).toISOString();
        const command = {
          id: 'c-1',
          kind: 'suspend',
          args: { scenarioId: 's-1', scenarioName: 'files' },
          deadline,
        };
        return setTimeout(() => json(200, command), pollDelayMs);
      }
      if (request.url === '/agent/commands/c-1/result') {
        results.push(JSON.parse(text));
        return json(200, { id: 'c-1' });
      }
      json(200, {});
    });
  });
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
  return { results, port: (server.address() as AddressInfo).port };
}

function controlLoop(port: number, suspend: CommandHandler) {
  const engine = { closed: false };
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
    dispatcher: new Dispatcher({ suspend }, 'agent-a', log),
    runtime: {
      close: async () => {
        engine.closed = true;
      },
    },
    events: { start: () => {}, stop: async () => {} },
    status: { start: () => {}, stop: () => {} },
    log,
  });
  return { loop, engine };
}

it('fails the running command with AE0472 after the grace period, then closes the engine', async () => {
  const { results, port } = await fakeControlPlane(0);
  let suspendCalled!: () => void;
  const suspended = new Promise<void>((resolve) => {
    suspendCalled = resolve;
  });
  const { loop, engine } = controlLoop(port, () => {
    suspendCalled();
    return new Promise(() => {}); // an engine call that never returns
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
  expect(engine.closed).toBe(true);
});

it('fails, without running it, a command that arrives on a poll in flight when shutdown begins', async () => {
  const { results, port } = await fakeControlPlane(400);
  const ran: string[] = [];
  const { loop, engine } = controlLoop(port, async (args) => {
    ran.push(String(args.scenarioId));
  });
  await loop.start();
  await new Promise((resolve) => setTimeout(resolve, 100)); // the poll is now waiting on the server
  await loop.stop('SIGTERM');
  expect(ran).toEqual([]);
  expect(results).toEqual([
    {
      status: 'failed',
      code: 'AE0472',
      message:
        'Scenario files (s-1): the replication engine on agent-a reported an error: the agent is shutting down; command not run.',
    },
  ]);
  expect(engine.closed).toBe(true);
});

it('refuses, without running it, a command whose deadline passed before the agent could start it', async () => {
  // The deadline passes while the poll's answer is on its way, as for an agent frozen after the claim.
  const { results, port } = await fakeControlPlane(300, 100);
  const ran: string[] = [];
  const { loop } = controlLoop(port, async (args) => {
    ran.push(String(args.scenarioId));
  });
  await loop.start();
  for (let i = 0; i < 50 && results.length === 0; i++)
    await new Promise((resolve) => setTimeout(resolve, 100));
  await loop.stop('SIGTERM');
  expect(ran).toEqual([]);
  expect(results).toHaveLength(1);
  expect(results[0]).toMatchObject({ status: 'failed', code: 'AE0472' });
  expect((results[0] as { message: string }).message).toMatch(
    /^Scenario files \(s-1\): .* its deadline \S+ passed before this agent could start it; command not run\.$/,
  );
});
