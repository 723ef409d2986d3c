/**
 * The catalog's guards under concurrency, against moto's DynamoDB over HTTP:
 * the scenario lock (one winner, AE0470 for the other, lease takeover, only
 * the holder renews or releases), the session-number counter, and the
 * unique scenario name through the API.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TidemarkError } from '../../core/error-catalogue.js';
import { nextSessionNumber } from '../../functions/repositories/counters.js';
import { acquireLock, releaseLock, renewLock } from '../../functions/repositories/locks.js';
import { type LocalCloud, startLocalCloud } from '../../infra/local/local-cloud.js';
import { apiClient } from './api-client.js';

let cloud: LocalCloud;

beforeAll(async () => {
  cloud = await startLocalCloud();
});
afterAll(async () => {
  await cloud?.stop();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('scenario lock', () => {
  it('lets exactly one of two concurrent takers win; the other gets AE0470 naming the holder', async () => {
    for (let round = 0; round < 10; round++) {
      const scenarioId = `s-race-${round}`;
      const outcomes = await Promise.allSettled([
        acquireLock(scenarioId, 'j-first', 60, 'Race'),
        acquireLock(scenarioId, 'j-second', 60, 'Race'),
      ]);
      const won = outcomes.filter((o) => o.status === 'fulfilled');
      const lost = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
      expect(won).toHaveLength(1);
      expect(lost).toHaveLength(1);
      const error = lost[0]?.reason as TidemarkError;
      expect(error).toBeInstanceOf(TidemarkError);
      expect(error.code).toBe('AE0470');
      expect(error.status).toBe(409);
      const winner = (won[0] as PromiseFulfilledResult<{ holder: string }>).value.holder;
      expect(error.message).toBe(`Scenario Race (${scenarioId}) is already held by job ${winner}.`);
    }
  });

  it('lets the next job take over an expired lease, and the old holder can no longer renew', async () => {
    await acquireLock('s-expiring', 'j-old', 0.3);
    await expect(acquireLock('s-expiring', 'j-new', 60)).rejects.toMatchObject({ code: 'AE0470' });
    await sleep(400);
    const taken = await acquireLock('s-expiring', 'j-new', 60);
    expect(taken.holder).toBe('j-new');
    await expect(renewLock('s-expiring', 'j-old', 60)).rejects.toMatchObject({ code: 'AE0470' });
    await expect(releaseLock('s-expiring', 'j-old')).rejects.toMatchObject({ code: 'Conflict', status: 409 });
  });

  it('renews for the holder (re-acquiring is a renewal too) and releases only for the holder', async () => {
    const first = await acquireLock('s-renew', 'j-holder', 1);
    const renewed = await renewLock('s-renew', 'j-holder', 120);
    expect(renewed.leaseUntil).toBeGreaterThan(first.leaseUntil);
    const again = await acquireLock('s-renew', 'j-holder', 120);
    expect(again.holder).toBe('j-holder');
    await sleep(1100);
    // The renewed lease still holds after the first one would have run out.
    await expect(acquireLock('s-renew', 'j-other', 60)).rejects.toMatchObject({ code: 'AE0470' });

    await releaseLock('s-renew', 'j-holder');
    // Releasing twice is harmless, and the lock is free for the next job.
    await releaseLock('s-renew', 'j-holder');
    expect((await acquireLock('s-renew', 'j-other', 60)).holder).toBe('j-other');
  });
});

describe('session numbers', () => {
  it('hands 50 concurrent callers 50 distinct, consecutive numbers', async () => {
    const numbers = await Promise.all(Array.from({ length: 50 }, () => nextSessionNumber()));
    expect(new Set(numbers).size).toBe(50);
    const lowest = Math.min(...numbers);
    const highest = Math.max(...numbers);
    expect(highest - lowest).toBe(49);
    expect(await nextSessionNumber()).toBe(highest + 1);
  });
});

describe('scenario names', () => {
  it('creates exactly one of five concurrent scenarios with the same name', async () => {
    const call = apiClient(cloud.apiUrl);
    const admin = await cloud.mintOperatorToken('admin');
    for (const name of ['cc-master', 'cc-replica']) {
      expect((await call('POST', '/hosts', { token: admin, body: { name } })).status).toBe(201);
    }
    const body = {
      name: 'Contended',
      type: 'fileserver',
      master: 'cc-master',
      replicas: [{ host: 'cc-replica', directory: '/r' }],
      roots: ['/data'],
    };
    const responses = await Promise.all(
      Array.from({ length: 5 }, () => call('POST', '/scenarios', { token: admin, body })),
    );
    expect(responses.map((r) => r.status).sort()).toEqual([201, 409, 409, 409, 409]);
    const list = await call('GET', '/scenarios', { token: admin });
    expect(
      (list.body.scenarios as Array<{ name: string }>).filter((s) => s.name === 'Contended'),
    ).toHaveLength(1);
  });
});
