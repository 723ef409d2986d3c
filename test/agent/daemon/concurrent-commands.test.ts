/**
 * One agent, several scenarios: a long backup of one scenario does not hold
 * up a `stop` of another, while two commands of the same scenario still run
 * in the order they came; each poll names the commands in hand, so the
 * control plane does not deliver them again. The control plane is a small
 * loopback HTTP stand-in handing out a fixed queue (fake-control-plane.ts);
 * the handlers are recording fakes.
 */
import { afterEach, expect, it } from 'vitest';
import { ControlLoop } from '../../../agent/daemon/control-loop.js';
import { ControlPlaneClient } from '../../../agent/daemon/control-plane-client.js';
import { Dispatcher } from '../../../agent/daemon/dispatcher.js';
import { createLogger } from '../../../agent/daemon/logger.js';
import { type FakeControlPlane, fakeControlPlane } from '../../support/fake-control-plane.js';

let plane: FakeControlPlane | undefined;
let loop: ControlLoop | undefined;
afterEach(async () => {
  await loop?.stop('test end');
  await plane?.close();
  plane = undefined;
});

const until = async (what: string, check: () => boolean) => {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 25));
  expect(check(), what).toBe(true);
};

it('a long backup of one scenario does not block a stop of another; one scenario runs in order', async () => {
  plane = await fakeControlPlane([
    { id: 'c-backup', kind: 'backup', args: { scenarioId: 's-1', scenarioName: 'big' } },
    { id: 'c-stop', kind: 'stop', args: { scenarioId: 's-2', scenarioName: 'other' } },
    { id: 'c-resume', kind: 'resume', args: { scenarioId: 's-1', scenarioName: 'big' } },
  ]);
  const { results, runningLists } = plane;
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
      apiUrl: plane.url,
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
