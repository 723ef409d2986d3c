/**
 * The control-plane client's retries and the event reporter's batching,
 * over real HTTP on loopback. The server here is a small scripted stand-in
 * for API routes that are still being built (`POST /agent/events`) and for
 * failures the local cloud cannot be made to produce on demand (503s, a
 * missing route); it records every request the agent makes.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ControlPlaneClient } from '../../../agent/daemon/control-plane-client.js';
import { EventReporter } from '../../../agent/daemon/event-reporter.js';
import { createLogger } from '../../../agent/daemon/logger.js';

interface Seen {
  method: string;
  url: string;
  authorization: string | undefined;
  body: unknown;
}

const CREDENTIAL = `tma_${'Q'.repeat(43)}`;
let server: Server | undefined;

async function scripted(answers: Array<[number, unknown?]>) {
  const seen: Seen[] = [];
  server = createServer((request: IncomingMessage, response) => {
    let text = '';
    request.on('data', (chunk: Buffer) => {
      text += chunk.toString();
    });
    request.on('end', () => {
      seen.push({
        method: request.method ?? '',
        url: request.url ?? '',
        authorization: request.headers.authorization,
        body: text ? JSON.parse(text) : undefined,
      });
      const [status, body] = answers.shift() ?? [200, {}];
      response.writeHead(status, { 'content-type': 'application/json' });
      response.end(body === undefined ? '' : JSON.stringify(body));
    });
  });
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const client = new ControlPlaneClient({
    apiUrl: `http://127.0.0.1:${port}/`,
    credential: CREDENTIAL,
    baseDelayMs: 5,
    maxDelayMs: 20,
    attempts: 4,
  });
  return { seen, client };
}

afterEach(async () => {
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
  server = undefined;
});

const event = (n: number) => ({
  scenarioId: 's-1',
  eventId: `SR0010${n}`,
  severity: 'info' as const,
  text: `event ${n}`,
  at: new Date().toISOString(),
});

describe('control-plane client', () => {
  it('retries 503s with back-off and sends the bearer credential', async () => {
    const { seen, client } = await scripted([[503, { code: 'InternalError' }], [503], [200, { ok: true }]]);
    expect(await client.postEvents({ events: [event(1)] })).toBe('delivered');
    expect(seen).toHaveLength(3);
    expect(seen.every((s) => s.authorization === `Bearer ${CREDENTIAL}` && s.url === '/agent/events')).toBe(
      true,
    );
  });

  it('does not retry a 400, and names the API code and message', async () => {
    const { seen, client } = await scripted([
      [400, { code: 'BadRequest', message: "body field 'x' is bad" }],
    ]);
    await expect(client.postStatus('s-1', { statistics: idle() })).rejects.toMatchObject({
      status: 400,
      code: 'BadRequest',
      message: "POST /agent/scenarios/s-1/status: 400 body field 'x' is bad",
    });
    expect(seen).toHaveLength(1);
  });

  it("treats 404 on the events and status routes as 'absent', and 204 on the poll as no command", async () => {
    const { client } = await scripted([[404, { code: 'NotFound' }], [404], [204]]);
    expect(await client.postEvents({ events: [] })).toBe('absent');
    expect(await client.postStatus('s-1', { statistics: idle() })).toBe('absent');
    expect(await client.pollCommand(0)).toBeUndefined();
  });

  it("answers 'late' for a 409 result (recorded, nobody waiting) instead of throwing", async () => {
    const { seen, client } = await scripted([[409, { code: 'Conflict', message: 'stopped waiting' }]]);
    expect(await client.postResult('c-1', { status: 'succeeded' })).toBe('late');
    expect(seen[0]).toMatchObject({ method: 'POST', url: '/agent/commands/c-1/result' });
  });
});

function idle() {
  return { scenarioId: 's-1', state: 'stopped' as const, roots: [], spoolBytes: 0, spoolThresholdPercent: 0 };
}

describe('event reporter', () => {
  it('batches events and alerts, keeps them through a failed delivery, and sends them later', async () => {
    const { seen, client } = await scripted([[503], [503], [503], [503], [200, {}]]);
    const lines: string[] = [];
    const reporter = new EventReporter({
      client,
      log: createLogger('warn', (l) => lines.push(l)),
      batchSize: 100,
    });
    reporter.event(event(1));
    reporter.event(event(2));
    reporter.alert('s-1', 'lost_connection', 'replica agent-b unreachable');
    await reporter.flush();
    expect(reporter.pending).toBe(3);
    expect(lines.join('\n')).toContain('could not deliver events; will retry');
    await reporter.flush();
    expect(reporter.pending).toBe(0);
    const delivered = seen.at(-1)?.body as { events: unknown[]; alerts: unknown[] };
    expect(delivered.events).toHaveLength(2);
    expect(delivered.alerts).toEqual([
      { scenarioId: 's-1', kind: 'lost_connection', text: 'replica agent-b unreachable' },
    ]);
  });

  it('drops a batch the control plane refuses (400) so it cannot block the events after it', async () => {
    const { seen, client } = await scripted([
      [400, { code: 'BadRequest', message: "body field 'events.0.eventId'" }],
    ]);
    const lines: string[] = [];
    const reporter = new EventReporter({ client, log: createLogger('warn', (l) => lines.push(l)) });
    reporter.event({ ...event(1), eventId: 'bad' });
    await reporter.flush();
    expect(reporter.pending).toBe(0);
    expect(lines.join('\n')).toContain('the control plane refused a batch of events; dropped');
    reporter.event(event(2));
    await reporter.flush();
    expect(seen.map((s) => (s.body as { events: Array<{ eventId: string }> }).events[0]?.eventId)).toEqual([
      'bad',
      'SR00102',
    ]);
  });

  it('splits a long queue into batches of at most 100 events', async () => {
    const { seen, client } = await scripted([]);
    const reporter = new EventReporter({ client, log: createLogger('error', () => {}), batchSize: 500 });
    for (let n = 0; n < 250; n++) reporter.event({ ...event(1), text: `event ${n}` });
    await reporter.stop();
    expect(seen.map((s) => (s.body as { events: unknown[] }).events.length)).toEqual([100, 100, 50]);
  });
});
