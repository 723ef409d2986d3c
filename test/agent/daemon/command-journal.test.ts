/**
 * The command journal: what a killed agent leaves is answered at its next
 * start. A command received and never answered is failed with AE0474 before
 * the first poll, its staging paths are removed and nothing else is; a
 * command answered normally leaves nothing behind; the journal never holds a
 * command's arguments (they carry credentials) and refuses to note anything
 * but a staging name for clean-up. The control plane is the loopback
 * stand-in (fake-control-plane.ts); the kill itself is in the end-to-end
 * suite (test/e2e/backup-restore.test.ts).
 */
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { CommandJournal } from '../../../agent/daemon/command-journal.js';
import { ControlLoop } from '../../../agent/daemon/control-loop.js';
import { ControlPlaneClient } from '../../../agent/daemon/control-plane-client.js';
import { type CommandHandlers, Dispatcher } from '../../../agent/daemon/dispatcher.js';
import { createLogger } from '../../../agent/daemon/logger.js';
import { type FakeControlPlane, fakeControlPlane, type Queued } from '../../support/fake-control-plane.js';

let work: string;
let plane: FakeControlPlane | undefined;
let loop: ControlLoop | undefined;
beforeEach(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'tidemark-journal-'));
});
afterEach(async () => {
  await loop?.stop('test end');
  await plane?.close();
  plane = undefined;
  loop = undefined;
  await rm(work, { recursive: true, force: true });
});

const until = async (what: string, check: () => boolean) => {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 25));
  expect(check(), what).toBe(true);
};

async function startLoop(queue: Queued[], journal: CommandJournal, handlers: CommandHandlers = {}) {
  plane = await fakeControlPlane(queue);
  const log = createLogger('error', () => {});
  loop = new ControlLoop({
    self: 'agent-a',
    dataPort: 7070,
    agentVersion: 'test',
    heartbeatMs: 60_000,
    pollWaitSeconds: 1,
    shutdownGraceMs: 300,
    client: new ControlPlaneClient({ apiUrl: plane.url, credential: `tma_${'Z'.repeat(43)}` }),
    dispatcher: new Dispatcher(handlers, 'agent-a', log, journal),
    runtime: { close: async () => {} },
    events: { start: () => {}, stop: async () => {} },
    status: { start: () => {}, stop: () => {} },
    journal,
    log,
  });
  await loop.start();
  return plane;
}

const deadline = () => new Date(Date.now() + 60_000).toISOString();

it('fails a command the last run never answered with AE0474 before polling, and removes only its staging', async () => {
  const journalDir = path.join(work, 'state', 'commands');
  const dest = path.join(work, 'dest');
  const stagedFolder = path.join(dest, '.restored.tidemark-0123456789ab0');
  const stagedFile = path.join(dest, '.keep.txt.tidemark-0123456789ab1');
  await mkdir(path.join(stagedFolder, 'deep'), { recursive: true });
  await writeFile(path.join(stagedFolder, 'deep', 'half.bin'), 'half written');
  await writeFile(stagedFile, 'new content, not yet renamed');
  await writeFile(path.join(dest, 'keep.txt'), 'the operator file');

  // What the killed run left: the record at receipt, the staging noted before the first write.
  const before = new CommandJournal(journalDir);
  const args = { scenarioId: 's-1', scenarioName: 'files', repository: { secretAccessKey: 'SECRET-abc' } };
  await before.record({ id: 'c-restore1', kind: 'restore', deadline: deadline(), args });
  await before.noteScratch('c-restore1', [stagedFolder, stagedFile]);
  const kept = await readdir(journalDir);
  for (const name of kept)
    expect(await readFile(path.join(journalDir, name), 'utf8')).not.toContain('SECRET');

  const { results, runningLists } = await startLoop([], new CommandJournal(journalDir));
  await until('the interrupted command to be answered', () => results.has('c-restore1'));
  const answer = results.get('c-restore1') as { status: string; code: string; message: string };
  expect(answer).toMatchObject({ status: 'failed', code: 'AE0474' });
  expect(answer.message).toContain('Scenario files (s-1): the agent on agent-a stopped');
  expect(answer.message).toContain('restore command c-restore1');
  expect(answer.message).toContain('2 staged path(s) removed');
  expect(runningLists.length, 'answered before the first poll').toBeLessThanOrEqual(1);
  expect((await readdir(dest)).sort()).toEqual(['keep.txt']);
  expect(await readFile(path.join(dest, 'keep.txt'), 'utf8')).toBe('the operator file');
  expect(await readdir(journalDir)).toEqual([]);
});

it('keeps a running command and its staging noted until its outcome is delivered, then forgets it', async () => {
  const journalDir = path.join(work, 'state', 'commands');
  const staged = path.join(work, 'dest', '.tree.tidemark-abcdefabcdef0');
  let seenWhileRunning: string[] = [];
  const handlers: CommandHandlers = {
    restore: async (_args, { noteScratch }) => {
      await noteScratch([staged]);
      seenWhileRunning = (await readdir(journalDir)).sort();
      return { files: 0 };
    },
  };
  const { results } = await startLoop(
    [{ id: 'c-run1', kind: 'restore', args: { scenarioId: 's-1' } }],
    new CommandJournal(journalDir),
    handlers,
  );
  await until('the command to be answered', () => results.has('c-run1'));
  expect(results.get('c-run1')).toEqual({ status: 'succeeded', output: { files: 0 } });
  expect(seenWhileRunning).toEqual(['c-run1.json', 'c-run1.scratch']);
  // Forgotten just after the outcome was posted.
  let left = await readdir(journalDir);
  for (let i = 0; i < 100 && left.length > 0; i++) {
    await new Promise((r) => setTimeout(r, 25));
    left = await readdir(journalDir);
  }
  expect(left).toEqual([]);
});

it('refuses to note anything but an absolute staging name, and drops a torn record', async () => {
  const journalDir = path.join(work, 'commands');
  const journal = new CommandJournal(journalDir);
  await expect(journal.noteScratch('c-1', [path.join(work, 'keep.txt')])).rejects.toThrow(
    /is not an absolute staging path/,
  );
  await expect(journal.noteScratch('c-1', ['relative/.x.tidemark-0123456789ab0'])).rejects.toThrow(
    /is not an absolute staging path/,
  );
  await expect(journal.noteScratch('../escape', [])).rejects.toThrow(/unexpected command id/);
  await writeFile(path.join(journalDir, 'c-torn.json'), '{"id":"c-torn","kind":');
  await expect(journal.interrupted()).resolves.toEqual([]);
  expect(await readdir(journalDir)).toEqual([]);
});
