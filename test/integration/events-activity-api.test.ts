/**
 * Events and activity over real HTTP against the local cloud: agents post
 * events (403 for a scenario their host is not part of) and alerts, which
 * an HTTP subscriber of the alert topic receives from moto's SNS; operators
 * read events newest first and a job's activity log in time order.
 */
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SubscribeCommand } from '@aws-sdk/client-sns';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clients } from '../../core/aws-clients.js';
import { appendActivity } from '../../functions/repositories/activity.js';
import { putNewJob } from '../../functions/repositories/jobs.js';
import { type LocalCloud, startLocalCloud } from '../../infra/local/local-cloud.js';
import { apiClient } from './api-client.js';

let cloud: LocalCloud;
let call: ReturnType<typeof apiClient>;
let admin: string;
let viewer: string;
const agents: Record<string, string> = {};
let scenarioId: string;

beforeAll(async () => {
  cloud = await startLocalCloud();
  call = apiClient(cloud.apiUrl);
  admin = await cloud.mintOperatorToken('admin');
  viewer = await cloud.mintOperatorToken('viewer');
  for (const name of ['ev-master', 'ev-replica', 'ev-stranger']) {
    const enrolled = await call('POST', '/hosts', { token: admin, body: { name } });
    agents[name] = enrolled.body.agentToken as string;
  }
  const created = await call('POST', '/scenarios', {
    token: admin,
    body: {
      name: 'events',
      type: 'fileserver',
      master: 'ev-master',
      replicas: [{ host: 'ev-replica', directory: '/replica' }],
      roots: ['/srv'],
    },
  });
  scenarioId = created.body.id as string;
});
afterAll(async () => {
  await cloud?.stop();
});

/** An SNS HTTP endpoint on loopback: moto POSTs each notification to it as JSON. */
async function startSubscriber() {
  const received: Array<Record<string, unknown>> = [];
  const waiting: Array<(message: Record<string, unknown>) => void> = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      response.end();
      const message = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
      const waiter = waiting.shift();
      if (waiter) waiter(message);
      else received.push(message);
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/alerts`,
    next: () =>
      new Promise<Record<string, unknown>>((resolve, reject) => {
        const ready = received.shift();
        if (ready) return resolve(ready);
        const timer = setTimeout(() => reject(new Error('no notification within 10 s')), 10_000);
        waiting.push((message) => {
          clearTimeout(timer);
          resolve(message);
        });
      }),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const event = (eventId: string, text: string, severity = 'info') => ({
  scenarioId,
  eventId,
  severity,
  text,
  at: new Date().toISOString(),
});

describe('events', () => {
  it('stores events from master and replica with increasing sequence numbers and lists them newest first', async () => {
    const first = await call('POST', '/agent/events', {
      token: agents['ev-master'],
      body: { events: [event('SR00104', 'connected'), event('SR00201', 'sync started')] },
    });
    expect(first.status).toBe(201);
    expect((first.body.events as Array<{ sequence: number }>).map((e) => e.sequence)).toEqual([1, 2]);
    const second = await call('POST', '/agent/events', {
      token: agents['ev-replica'],
      body: { events: [event('SR00301', 'apply failed', 'error')] },
    });
    expect(second.body.events).toEqual([
      expect.objectContaining({ sequence: 3, host: 'ev-replica', scenarioId }),
    ]);

    const list = await call('GET', `/scenarios/${scenarioId}/events`, { token: viewer });
    expect(list.status).toBe(200);
    expect((list.body.events as Array<{ eventId: string }>).map((e) => e.eventId)).toEqual([
      'SR00301',
      'SR00201',
      'SR00104',
    ]);
    const byName = await call('GET', '/scenarios/events/events?limit=1', { token: viewer });
    expect((byName.body.events as Array<{ sequence: number }>).map((e) => e.sequence)).toEqual([3]);
    expect(byName.body.next).toEqual(expect.any(String));
  });

  it('publishes alerts to the alert topic: an HTTP subscriber on loopback receives them from moto SNS', async () => {
    const subscriber = await startSubscriber();
    try {
      const topicArn = process.env.TIDEMARK_ALERTS_TOPIC_ARN as string;
      await clients
        .sns()
        .send(new SubscribeCommand({ TopicArn: topicArn, Protocol: 'http', Endpoint: subscriber.url }));
      const response = await call('POST', '/agent/events', {
        token: agents['ev-master'],
        body: {
          events: [],
          alerts: [{ scenarioId, kind: 'queue_overflow', text: 'spool passed 80% of its threshold' }],
        },
      });
      expect(response).toMatchObject({ status: 201, body: { alertsPublished: 1 } });
      const delivered = await subscriber.next();
      expect(delivered).toMatchObject({
        Type: 'Notification',
        TopicArn: topicArn,
        Subject: 'Tidemark queue overflow: events',
      });
      expect(JSON.parse(delivered.Message as string)).toMatchObject({
        kind: 'queue_overflow',
        text: 'spool passed 80% of its threshold',
        scenarioId,
        hostId: expect.stringMatching(/\S/),
      });
    } finally {
      await subscriber.close();
    }
  });

  it('answers 403 naming the field when the agent’s host is not part of the scenario', async () => {
    const response = await call('POST', '/agent/events', {
      token: agents['ev-stranger'],
      body: { events: [event('SR00104', 'connected')] },
    });
    expect(response).toMatchObject({
      status: 403,
      body: { code: 'Forbidden', field: 'events.0.scenarioId' },
    });
    const alert = await call('POST', '/agent/events', {
      token: agents['ev-stranger'],
      body: { events: [], alerts: [{ scenarioId, kind: 'lost_connection', text: 'x' }] },
    });
    expect(alert).toMatchObject({ status: 403, body: { field: 'alerts.0.scenarioId' } });
  });

  it.each([
    [{ events: [{ ...event('SR104', 'x'), scenarioId: 's-x' }] }, 'events.0.eventId'],
    [{ events: [{ ...event('SR00104', 'x'), scenarioId: 's-x', severity: 'fatal' }] }, 'events.0.severity'],
    [{ events: [], alerts: [{ scenarioId: 's', kind: 'job_failed', text: 'x' }] }, 'alerts.0.kind'],
    [{}, 'events'],
  ])('answers 400 naming the field for %j', async (body, field) => {
    const response = await call('POST', '/agent/events', { token: agents['ev-master'], body });
    expect(response).toMatchObject({ status: 400, body: { code: 'BadRequest', field } });
  });

  it('answers 401 without a credential, 403 to operators posting and to agents reading', async () => {
    expect((await call('POST', '/agent/events', { body: { events: [] } })).status).toBe(401);
    expect((await call('GET', `/scenarios/${scenarioId}/events`)).status).toBe(401);
    expect((await call('POST', '/agent/events', { token: admin, body: { events: [] } })).status).toBe(403);
    expect(
      (await call('GET', `/scenarios/${scenarioId}/events`, { token: agents['ev-master'] })).status,
    ).toBe(403);
    const bad = await call('GET', `/scenarios/${scenarioId}/events?limit=0`, { token: viewer });
    expect(bad).toMatchObject({ status: 400, body: { field: 'limit' } });
  });
});

describe('activity log', () => {
  it('lists a job’s entries in time order; 404 for an unknown job, 400 for a bad limit, 401/403', async () => {
    const now = Date.now();
    await putNewJob({
      id: 'j-activity',
      kind: 'backup',
      scenarios: [{ scenarioId, scenarioName: 'events', status: 'done', result: 'completed' }],
      status: 'done',
      result: 'completed',
      createdAt: new Date(now).toISOString(),
      submittedBy: 'operator:test',
    });
    await appendActivity([
      {
        jobId: 'j-activity',
        time: new Date(now + 2000).toISOString(),
        severity: 'warning',
        code: 'AE0461',
        message: 'snapshot kept',
      },
      { jobId: 'j-activity', time: new Date(now).toISOString(), severity: 'info', message: 'job started' },
      {
        jobId: 'j-activity',
        time: new Date(now + 1000).toISOString(),
        severity: 'info',
        message: 'session 1 committed',
        sessionNumber: 1,
      },
    ]);
    const list = await call('GET', '/jobs/j-activity/activity', { token: viewer });
    expect(list.status).toBe(200);
    expect((list.body.entries as Array<{ message: string }>).map((e) => e.message)).toEqual([
      'job started',
      'session 1 committed',
      'snapshot kept',
    ]);
    expect((list.body.entries as Array<{ code?: string }>)[2]?.code).toBe('AE0461');

    expect(await call('GET', '/jobs/j-nope/activity', { token: viewer })).toMatchObject({
      status: 404,
      body: { field: 'jobId' },
    });
    expect(await call('GET', '/jobs/j-activity/activity?limit=5000', { token: viewer })).toMatchObject({
      status: 400,
      body: { field: 'limit' },
    });
    expect((await call('GET', '/jobs/j-activity/activity')).status).toBe(401);
    expect((await call('GET', '/jobs/j-activity/activity', { token: agents['ev-master'] })).status).toBe(403);
  });
});
