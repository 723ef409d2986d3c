/**
 * Copy-on-write snapshots driven the way the replica's apply path drives
 * them. The apply path itself belongs to agent/replication; this suite uses
 * a tiny apply simulator instead (a stand-in, said plainly): it applies
 * random writes, truncates, removes, creates and mode changes to a real
 * directory, calls the hooks before each change, honours the ApplyGate, and
 * keeps an in-memory model of the tree. A snapshot taken while it runs must
 * show exactly the model as it was at the pause.
 */
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, mkdtemp, open, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBackup } from '../../../agent/backup/backup.js';
import { DirectoryView } from '../../../agent/backup/directory-view.js';
import { RepoKey } from '../../../agent/backup/repo-key.js';
import { DEFAULT_CHUNKER, Repository } from '../../../agent/backup/repository.js';
import type { SnapshotView } from '../../../agent/backup/snapshot-view.js';
import { LocalDirectoryStorage } from '../../../agent/backup/storage-local.js';
import type { ApplyGate, ReplicaWriteHook } from '../../../agent/replica-write-hooks.js';
import { runRestore } from '../../../agent/restore/restore.js';
import { CowSnapshots } from '../../../agent/snapshots/cow-snapshots.js';

type ModelEntry = { type: 'file'; data: Buffer; mode: number } | { type: 'directory'; mode: number };
type Model = Map<string, ModelEntry>;

/** The apply simulator: one record at a time, hooks first, gate honoured. */
class ApplySimulator implements ApplyGate {
  readonly model: Model = new Map();
  modelAtPause?: Model;
  private active?: Promise<void>;
  private paused?: Promise<void>;
  private counter = 0;

  constructor(
    private readonly root: string,
    private readonly hook: () => ReplicaWriteHook,
  ) {}

  async pause(): Promise<{ release(): void }> {
    while (this.paused) await this.paused;
    let release = () => {};
    this.paused = new Promise<void>((resolve) => {
      release = resolve;
    });
    await this.active;
    this.modelAtPause = new Map(
      [...this.model].map(([k, v]) => [
        k,
        v.type === 'file' ? { ...v, data: Buffer.from(v.data) } : { ...v },
      ]),
    );
    return {
      release: () => {
        this.paused = undefined;
        release();
      },
    };
  }

  async step(): Promise<void> {
    while (this.paused) await this.paused;
    let done = () => {};
    this.active = new Promise<void>((resolve) => {
      done = resolve;
    });
    try {
      await this.applyRandom();
    } finally {
      this.active = undefined;
      done();
    }
  }

  async create(rel: string, data: Buffer, mode = 0o644): Promise<void> {
    const full = path.join(this.root, rel);
    await mkdir(path.dirname(full), { recursive: true });
    await writeFile(full, data);
    await chmod(full, mode);
    this.model.set(rel, { type: 'file', data: Buffer.from(data), mode });
  }

  private async applyRandom(): Promise<void> {
    const files = [...this.model].filter(([, e]) => e.type === 'file').map(([k]) => k);
    const pick = files[Math.floor(Math.random() * files.length)];
    const roll = Math.random();
    const hook = this.hook();
    if (!pick || roll < 0.15) {
      await this.create(`new/f-${this.counter++}.bin`, randomBytes(Math.floor(Math.random() * 200_000)));
      if (!this.model.has('new')) this.model.set('new', { type: 'directory', mode: 0o755 });
      return;
    }
    const full = path.join(this.root, pick);
    const entry = this.model.get(pick) as Extract<ModelEntry, { type: 'file' }>;
    if (roll < 0.6) {
      const offset = Math.floor(Math.random() * (entry.data.length + 50_000));
      const data = randomBytes(1 + Math.floor(Math.random() * 150_000));
      await hook.beforeOverwrite(full, offset, data.length);
      const handle = await open(full, 'r+');
      await handle.write(data, 0, data.length, offset);
      await handle.close();
      const next = Buffer.alloc(Math.max(entry.data.length, offset + data.length));
      entry.data.copy(next);
      data.copy(next, offset);
      entry.data = next;
    } else if (roll < 0.75) {
      const size = Math.floor(Math.random() * entry.data.length);
      await hook.beforeTruncate(full, size);
      await truncate(full, size);
      entry.data = entry.data.subarray(0, size);
    } else if (roll < 0.85) {
      await hook.beforeRemove(full);
      await rm(full);
      this.model.delete(pick);
    } else {
      const mode = entry.mode === 0o644 ? 0o600 : 0o644;
      await hook.beforeAttributes(full);
      await chmod(full, mode);
      entry.mode = mode;
    }
  }
}

async function readView(view: SnapshotView, root: string): Promise<Model> {
  const out: Model = new Map();
  const walk = async (dir: string) => {
    for (const name of await view.readdir(dir)) {
      const full = path.join(dir, name);
      const rel = path.relative(root, full);
      const stat = await view.lstat(full);
      if (stat.type === 'directory') {
        out.set(rel, { type: 'directory', mode: stat.mode });
        await walk(full);
      } else {
        const data = Buffer.alloc(stat.size);
        let done = 0;
        while (done < stat.size) {
          const n = await view.read(full, data.subarray(done), done, stat.size - done);
          if (n === 0) break;
          done += n;
        }
        out.set(rel, { type: 'file', data, mode: stat.mode });
      }
    }
  };
  await walk(root);
  return out;
}

function summarize(model: Model): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of [...model].sort(([a], [b]) => a.localeCompare(b)))
    out[k] =
      v.type === 'file'
        ? `file ${v.mode.toString(8)} ${v.data.length} ${v.data.toString('base64').slice(0, 0)}`
        : 'dir';
  return out;
}

function sameContent(view: Model, expected: Model): string[] {
  const diffs: string[] = [];
  for (const [k, v] of expected) {
    const got = view.get(k);
    if (v.type === 'file' && got?.type === 'file' && !got.data.equals(v.data))
      diffs.push(`${k}: content differs`);
  }
  return diffs;
}

let work: string;
let live: string;
let simulator: ApplySimulator;
let snapshots: CowSnapshots;

beforeAll(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'tm-cow-'));
  live = path.join(work, 'replica');
  snapshots = new CowSnapshots({
    liveRoot: live,
    diffRoot: path.join(work, 'diff'),
    gate: { pause: () => simulator.pause() },
  });
  simulator = new ApplySimulator(live, () => snapshots);
  await mkdir(live, { recursive: true });
  for (let i = 0; i < 30; i++)
    await simulator.create(`dir-${i % 4}/file-${i}.bin`, randomBytes(50_000 + i * 9_000));
  for (let i = 0; i < 4; i++) simulator.model.set(`dir-${i}`, { type: 'directory', mode: 0o755 });
});
afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

describe('copy-on-write snapshots', () => {
  it('keep their point-in-time content exactly while apply keeps writing, with a pause of at most 50 ms', async () => {
    let running = true;
    let steps = 0;
    const writer = (async () => {
      while (running) {
        await simulator.step();
        steps++;
      }
    })();
    const waitSteps = async (n: number) => {
      const target = steps + n;
      while (steps < target) await new Promise((r) => setTimeout(r, 5));
    };

    await waitSteps(40);
    const first = await snapshots.take('scn-1', 'first');
    const expectedFirst = simulator.modelAtPause as Model;
    await waitSteps(150);
    const second = await snapshots.take('scn-1', 'second');
    const expectedSecond = simulator.modelAtPause as Model;
    await waitSteps(150);
    running = false;
    await writer;
    console.log(
      `cow: apply paused ${first.pauseMs?.toFixed(2)} ms and ${second.pauseMs?.toFixed(2)} ms to take snapshots; ${steps} records applied`,
    );
    expect(first.pauseMs).toBeLessThanOrEqual(50);
    expect(second.pauseMs).toBeLessThanOrEqual(50);
    expect(second.generation).toBe((first.generation as number) + 1);

    for (const [info, expected] of [
      [first, expectedFirst],
      [second, expectedSecond],
    ] as const) {
      const seen = await readView(await snapshots.view(info.id), live);
      expect(summarize(seen)).toEqual(summarize(expected));
      expect(sameContent(seen, expected)).toEqual([]);
    }
    // And the live tree moved on.
    expect(summarize(await readView(new DirectoryView(), live))).toEqual(summarize(simulator.model));

    // A backup read from the first snapshot restores to exactly its point in time.
    // The repository key is made locally here: KMS wrapping is covered by the backup suites.
    const repo = new Repository(
      new LocalDirectoryStorage(path.join(work, 'repo')),
      {
        version: 1,
        id: 'cow-test',
        createdAt: new Date().toISOString(),
        kmsKeyId: 'none',
        wrappedKey: '',
        keyCheck: '',
        compression: 'brotli-1',
        chunker: DEFAULT_CHUNKER,
      },
      new RepoKey(randomBytes(32)),
    );
    const backup = await runBackup({
      repo,
      view: await snapshots.view(first.id),
      sources: [{ viewPath: live, masterPath: '/data' }],
      masterHost: 'master-1',
    });
    const dest = path.join(work, 'restored');
    await runRestore({ repo, session: backup.session, destination: dest, stripPrefix: '/data' });
    const restored = await readView(new DirectoryView(), dest);
    expect(summarize(restored)).toEqual(summarize(expectedFirst));
    expect(sameContent(restored, expectedFirst)).toEqual([]);
  });

  it('lists, prunes to keep N, and releases difference areas', async () => {
    const before = await snapshots.list('scn-1');
    const third = await snapshots.take('scn-1', 'third');
    const released = await snapshots.prune('scn-1', 1);
    expect(released).toEqual(before.map((s) => s.id));
    expect((await snapshots.list('scn-1')).map((s) => s.id)).toEqual([third.id]);
    await snapshots.release(third.id);
    expect(await snapshots.list('scn-1')).toEqual([]);
  });
});
