/**
 * Disk full under real engines (child processes over TLS on loopback): the
 * master's spool and the replica's target each live on a small tmpfs. When
 * the spool cannot be written the master alerts (disk_full, SR00141) and the
 * replica is resynchronized rather than fed a sequence with a gap; when the
 * replica cannot apply it alerts (disk_full, SR00143), shows no half-written
 * file, and catches up once space is freed. Both end with equal trees.
 */
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../../agent/free-port.js';
import { createCertificateAuthority, issueHostCertificate } from '../../../agent/tls/certificates.js';
import { replicaPathOf, type Scenario } from '../../../core/scenario.js';
import {
  canMount,
  mountSmallFilesystem,
  NEEDS_ROOT,
  type SmallFilesystem,
} from '../../support/small-filesystem.js';
import { bundleEngine, ChildEngine, type EngineLine, tlsFiles } from './child-engine.js';
import { converged, makeScenario } from './harness.js';

const MiB = 1024 * 1024;
let base: string;
let root: string;
let target: string;
let scenario: Scenario;
let master: ChildEngine;
let replica: ChildEngine;
let masterFs: SmallFilesystem;
let replicaFs: SmallFilesystem;

beforeAll(async () => {
  if (!canMount) return;
  base = await mkdtemp(join(tmpdir(), 'repl-full-'));
  masterFs = await mountSmallFilesystem(join(base, 'master-state'), 3 * MiB);
  replicaFs = await mountSmallFilesystem(join(base, 'replica-disk'), 16 * MiB);
  const script = await bundleEngine(base);
  const ca = await createCertificateAuthority(join(base, 'ca'));
  root = join(base, 'data', 'share');
  await mkdir(root, { recursive: true });
  const replicaDir = join(replicaFs.dir, 'target');
  scenario = await makeScenario(root, replicaDir);
  target = replicaPathOf({ host: 'replica-1', directory: replicaDir }, root);
  const port = await freePort();
  const tls = async (host: string) =>
    tlsFiles(await issueHostCertificate(ca, host, base), join(base, `tls-${host}`));
  replica = await ChildEngine.create(
    script,
    {
      self: 'replica-1',
      stateDir: join(base, 'replica-state'),
      tls: await tls('replica-1'),
      listen: { host: '127.0.0.1', port },
      scenarios: [scenario],
      peers: [],
    },
    join(base, 'replica.json'),
  );
  master = await ChildEngine.create(
    script,
    {
      self: 'master-1',
      stateDir: masterFs.dir,
      tls: await tls('master-1'),
      scenarios: [scenario],
      peers: [{ host: 'replica-1', address: '127.0.0.1', port }],
    },
    join(base, 'master.json'),
  );
  await replica.start();
  await master.start();
  await master.waitFor((l) => l.eventId === 'SR00111', 30_000);
}, 120_000);

afterAll(async () => {
  await master?.close();
  await replica?.close();
  await masterFs?.unmount();
  await replicaFs?.unmount();
  if (base) await rm(base, { recursive: true, force: true });
});

const alerts = (e: ChildEngine, kind: string) => e.lines.filter((l) => l.type === 'alert' && l.kind === kind);
const isEvent = (id: string) => (l: EngineLine) => l.type === 'event' && l.eventId === id;

/** `count` files of `bytes` each, distinct contents, under `root/<tag>`. */
async function writeFiles(tag: string, count: number, bytes: number): Promise<Map<string, Buffer>> {
  const dir = join(root, tag);
  await mkdir(dir, { recursive: true });
  const files = new Map<string, Buffer>();
  for (let i = 0; i < count; i++) {
    const content = Buffer.alloc(bytes, `${tag}-${i}-`);
    await writeFile(join(dir, `f${i}`), content);
    files.set(join(dir, `f${i}`), content);
  }
  return files;
}

describe.skipIf(!canMount)(`disk full (${canMount ? 'tmpfs' : NEEDS_ROOT})`, () => {
  it('a full master spool alerts and resynchronizes the replica instead of leaving a gap', async (ctx) => {
    ctx.onTestFailed(() => console.log(master.lines.filter((l) => l.type !== 'spooled').slice(-40)));
    // With the replica down the spool has to hold everything: 6 MiB on a 3 MiB disk.
    await replica.close();
    const failed = master.waitFor(isEvent('SR00141'), 60_000);
    await writeFiles('spool-full', 6, MiB);
    const alerted = master.waitFor((l) => l.type === 'alert' && l.kind === 'disk_full', 10_000);
    expect(String((await failed).text)).toContain('ENOSPC');
    expect(String((await alerted).text)).toContain('ENOSPC');

    const synced = master.waitFor(isEvent('SR00111'), 60_000);
    await replica.start();
    await synced;
    await converged(root, target, 60_000);
    // Writing works again once a write fits (here: as soon as a smaller record did), and says so once.
    const ids = master.eventIds();
    expect(ids.lastIndexOf('SR00142')).toBeGreaterThan(ids.indexOf('SR00141'));
    await writeFile(join(root, 'after-full.txt'), 'written once there was room\n');
    await converged(root, target, 30_000);
    // One alert per spell of refusals (a busy machine may see the spool fill a second time), not one per
    // refused change.
    const spells = master.eventIds().filter((id) => id === 'SR00141').length;
    expect(alerts(master, 'disk_full').length).toBe(spells);
  });

  it('a full replica disk alerts, shows no half-written file, and catches up once space is freed', async (ctx) => {
    ctx.onTestFailed(() => {
      console.log('replica', replica.lines.slice(-40));
      console.log('master', master.lines.filter((l) => l.type !== 'spooled').slice(-40));
    });
    const filler = join(replicaFs.dir, 'filler');
    await writeFile(filler, Buffer.alloc(Math.max(0, (await replicaFs.free()) - MiB)));
    const refused = replica.waitFor(isEvent('SR00143'), 20_000);
    const files = await writeFiles('replica-full', 8, 400_000);
    const alerted = replica.waitFor((l) => l.type === 'alert' && l.kind === 'disk_full', 20_000);
    expect(String((await refused).text)).toContain('ENOSPC');
    expect(String((await alerted).text)).toContain('ENOSPC');

    // What is visible on the replica is a state the master had: a file captured while the master was still
    // writing it is a prefix of it (later records were refused), never bytes the master did not hold.
    const copyDir = replicaPathOf(scenario.replicas[0] as never, join(root, 'replica-full'));
    for (const name of await readdir(copyDir).catch(() => [] as string[])) {
      const original = files.get(join(root, 'replica-full', name)) as Buffer;
      const copy = await readFile(join(copyDir, name));
      expect(copy.length, name).toBeGreaterThan(0);
      expect(original.subarray(0, copy.length).equals(copy), name).toBe(true);
    }
    expect((await readdir(copyDir).catch(() => [])).length).toBeLessThan(files.size);

    const applying = replica.waitFor(isEvent('SR00131'), 60_000);
    await rm(filler);
    await applying;
    await converged(root, target, 60_000);
  });
});
