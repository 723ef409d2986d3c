/**
 * The command channel delivers at least once and queues once, against the
 * local cloud (moto DynamoDB and the API over HTTP): a dispatch Lambda run
 * twice for one task token (as a retried invocation is) writes one command,
 * and a long-poll response lost on its way leaves the command claimed for the
 * host but never heartbeated, so a poll after the redelivery wait — saying
 * what the agent runs — gets it again, and only its own host's agent does.
 * A command a poll of the agent's previous process claimed (its poll still
 * open when it was killed) comes back to the next process at once.
 * The wait (30 s by default) is cut to 400 ms here; the API runs in this
 * process, so the variable reaches it.
 */
import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getStoredCommand } from '../../functions/repositories/commands.js';
import { handler as dispatch } from '../../functions/steps/dispatch-command.js';
import { type LocalCloud, startLocalCloud } from '../../infra/local/local-cloud.js';
import { apiClient } from './api-client.js';

const REDELIVER_AFTER_MS = 400;
let cloud: LocalCloud;
let call: ReturnType<typeof apiClient>;
let admin: string;

beforeAll(async () => {
  process.env.TIDEMARK_REDELIVER_AFTER_MS = String(REDELIVER_AFTER_MS);
  cloud = await startLocalCloud();
  call = apiClient(cloud.apiUrl);
  admin = await cloud.mintOperatorToken('admin');
}, 120_000);
afterAll(async () => {
  delete process.env.TIDEMARK_REDELIVER_AFTER_MS;
  await cloud?.stop();
});

async function enroll(name: string): Promise<{ hostId: string; token: string }> {
  const response = await call('POST', '/hosts', { token: admin, body: { name } });
  expect(response.status).toBe(201);
  return { hostId: (response.body.host as { id: string }).id, token: response.body.agentToken as string };
}

const context = { functionName: 'dispatch-command', awsRequestId: 'test' } as Context;

async function dispatchFor(hostId: string, taskToken: string): Promise<string> {
  const request = { hostId, kind: 'suspend', args: { scenarioId: 's-1' }, taskToken, timeoutSeconds: 120 };
  return ((await dispatch(request, context)) as { commandId: string }).commandId;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const poll = (token: string, running = '', run = '') =>
  call(
    'GET',
    `/agent/commands?waitSeconds=0${running ? `&running=${running}` : ''}${run ? `&run=${run}` : ''}`,
    {
      token,
    },
  );

describe('command channel: at least once, queued once', () => {
  it('a dispatch retried with the same task token queues one command', async () => {
    const host = await enroll('alo-dispatch');
    const first = await dispatchFor(host.hostId, 'token-retried');
    const again = await dispatchFor(host.hostId, 'token-retried');
    expect(again).toBe(first);
    const delivered = await poll(host.token);
    expect(delivered.status).toBe(200);
    expect(delivered.body.id).toBe(first);
    // Nothing else queued: the agent, running it, hears of nothing more.
    expect((await poll(host.token, first)).status).toBe(204);
    // A different step (another token) is another command.
    expect(await dispatchFor(host.hostId, 'token-other')).not.toBe(first);
  });

  it('a lost poll response: the next poll delivers the claimed command again, once, to its own host only', async () => {
    const host = await enroll('alo-lost');
    const other = await enroll('alo-other');
    const id = await dispatchFor(host.hostId, 'token-lost');
    // The response is claimed for the host, then lost on the way: the agent never saw it.
    const lost = await poll(host.token);
    expect(lost.body.id).toBe(id);
    expect((await getStoredCommand(id))?.status).toBe('running');

    // Not at once: a response may still be on its way.
    expect((await poll(host.token)).status).toBe(204);
    await sleep(REDELIVER_AFTER_MS + 100);
    // Another host's agent never gets it.
    expect((await poll(other.token)).status).toBe(204);
    // The agent runs nothing and says so: the command comes back.
    const again = await poll(host.token);
    expect(again.status).toBe(200);
    expect(again.body).toEqual(lost.body);
    expect((await getStoredCommand(id))?.redeliveries).toBe(1);
    // Now it runs it: no third delivery, neither while it says so nor, once it heartbeats, when it forgets.
    expect((await poll(host.token, id)).status).toBe(204);
    const beat = await call('POST', `/agent/commands/${id}/heartbeat`, { token: host.token, body: {} });
    // 409: no state machine waits on this made-up token; the heartbeat is recorded all the same.
    expect(beat.status).toBe(409);
    await sleep(REDELIVER_AFTER_MS + 100);
    expect((await poll(host.token)).status).toBe(204);

    const result = await call('POST', `/agent/commands/${id}/result`, {
      token: host.token,
      body: { status: 'failed', code: 'AE0472', message: 'ran once' },
    });
    // No state machine waits on this token; what counts is the command leaving 'running'.
    expect([200, 409]).toContain(result.status);
    expect((await getStoredCommand(id))?.status).not.toBe('running');
    expect((await poll(host.token)).status).toBe(204);
  });

  it("a command claimed by a poll of the agent's previous process comes back at once to its next one, even heartbeated", async () => {
    const host = await enroll('alo-restarted');
    const before = 'a'.repeat(16);
    const after = 'b'.repeat(16);
    const id = await dispatchFor(host.hostId, 'token-restarted');
    // The killed process's poll, still held open by the API, claims the command for a dead socket.
    expect((await poll(host.token, '', before)).body.id).toBe(id);
    await call('POST', `/agent/commands/${id}/heartbeat`, { token: host.token, body: {} });
    // The same run polling again is still running it (or its response is on the way): not sent again.
    expect((await poll(host.token, '', before)).status).toBe(204);
    // The new process runs nothing: no redelivery wait, the command is its.
    const again = await poll(host.token, '', after);
    expect(again.status).toBe(200);
    expect(again.body.id).toBe(id);
    expect(await getStoredCommand(id)).toMatchObject({ claimedByRun: after, redeliveries: 1 });
    expect((await poll(host.token, id, after)).status).toBe(204);
    expect((await poll(host.token, '', 'not-hex')).status).toBe(400);
  });

  it('a malformed running list is refused naming the parameter', async () => {
    const host = await enroll('alo-bad');
    const response = await poll(host.token, 'not-an-id');
    expect(response.status).toBe(400);
    expect(JSON.stringify(response.body)).toContain('running');
  });
});
