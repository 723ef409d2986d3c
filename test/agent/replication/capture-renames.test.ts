/**
 * Renames in one watcher batch, in the orders @parcel/watcher may report
 * them. The real Capture spools records from real files; a real Applier
 * applies them to a replica folder; the trees must then be equal. The batch
 * is handed to capture directly so each event order is tried every run
 * (through the watcher the order is whatever inotify and timing give, and
 * the randomized workload in replication.test.ts hit the bad one about one
 * run in fifteen on a busy machine).
 */
import { mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Applier } from '../../../agent/replication/applier.js';
import { Capture } from '../../../agent/replication/capture.js';
import { MasterFiles } from '../../../agent/replication/master-files.js';
import { decodeRecord } from '../../../agent/replication/records.js';
import { SignatureStore } from '../../../agent/replication/signature-store.js';
import { Spool } from '../../../agent/replication/spool.js';
import { UndoJournal } from '../../../agent/replication/undo-journal.js';

type WatchEvent = { path: string; type: 'create' | 'update' | 'delete' };

let base: string;
let root: string;
let replica: string;
let files: MasterFiles;
let spool: Spool;
let capture: Capture;
let applier: Applier;
let applied = 0;

beforeEach(async () => {
  base = await mkdtemp(join(tmpdir(), 'capture-renames-'));
  root = join(base, 'share');
  replica = join(base, 'replica');
  await mkdir(root);
  files = await MasterFiles.open([root]);
  spool = await Spool.open(join(base, 'spool'));
  const sigs = new SignatureStore(join(base, 'sigs'));
  await sigs.open();
  capture = new Capture(
    [root],
    files,
    [{ spool, sigs }],
    new Map(),
    async () => undefined,
    (e) => {
      throw e;
    },
  );
  const undo = new UndoJournal(join(base, 'undo'), 'scenario-1');
  await undo.open();
  applier = new Applier({
    roots: [root],
    directory: replica,
    stateDir: join(base, 'state'),
    hooks: [],
    undo,
  });
  await applier.open();
  applied = 0;
});

afterEach(async () => {
  await capture.close();
  await applier.close();
  await spool.close();
  files.close();
  await rm(base, { recursive: true, force: true });
});

/** Hands one watcher batch to capture (private: the watcher is what calls it), then applies what it spooled. */
async function batch(events: WatchEvent[]): Promise<void> {
  const withBatch = capture as unknown as { processBatch(e: WatchEvent[]): Promise<void> };
  await withBatch.processBatch(events);
  await capture.idle();
  for (const encoded of (await spool.read(applied + 1, 64 * 1024 * 1024)).records) {
    const record = decodeRecord(encoded);
    await applier.apply(record);
    applied = record.seq;
  }
  await applier.flush();
}

const onReplica = (name: string) => readFile(join(replica, root, name), 'utf8');
const event = (name: string, type: WatchEvent['type'] = 'update'): WatchEvent => ({
  path: join(root, name),
  type,
});

describe('capture of renames within one batch', () => {
  for (const order of ['new file first', 'rename target first']) {
    it(`a file renamed away and its name reused: ${order}`, async () => {
      await writeFile(join(root, 'plain'), 'the first file, which moves');
      await batch([event('plain', 'create')]);
      expect(await onReplica('plain')).toBe('the first file, which moves');

      await rename(join(root, 'plain'), join(root, 'renamed-1'));
      await writeFile(join(root, 'plain'), 'a new file under the old name');
      const events = [event('plain'), event('renamed-1', 'create')];
      await batch(order === 'new file first' ? events : events.reverse());

      expect(await onReplica('renamed-1')).toBe('the first file, which moves');
      expect(await onReplica('plain')).toBe('a new file under the old name');
    });
  }

  it('two files that swap names', async () => {
    await writeFile(join(root, 'a'), 'content of a');
    await writeFile(join(root, 'b'), 'content of b');
    await batch([event('a', 'create'), event('b', 'create')]);

    await rename(join(root, 'a'), join(root, 'tmp'));
    await rename(join(root, 'b'), join(root, 'a'));
    await rename(join(root, 'tmp'), join(root, 'b'));
    await batch([event('a'), event('b')]);

    expect(await onReplica('a')).toBe('content of b');
    expect(await onReplica('b')).toBe('content of a');
  });
});
