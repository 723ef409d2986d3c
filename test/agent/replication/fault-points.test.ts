/**
 * Power-loss ordering, checked by dying between two durability steps: an
 * engine armed with a fault point (agent/fault-points.ts)
 * SIGKILLs itself there, restarts on the same state, and the trees converge
 * with every acknowledged change in place. Plus the one ordering a crash
 * cannot show: a replica whose applied sequence is past the master's durable
 * end is resynchronized, not fed reused numbers it would skip.
 */
import { mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../../agent/free-port.js';
import { createCertificateAuthority, issueHostCertificate } from '../../../agent/tls/certificates.js';
import { replicaPathOf, type Scenario } from '../../../core/scenario.js';
import { bundleEngine, ChildEngine, type EngineLine, tlsFiles } from './child-engine.js';
import { converged, makeScenario } from './harness.js';

let base: string;
let root: string;
let target: string;
let scenario: Scenario;
let master: ChildEngine;
let replica: ChildEngine;

beforeAll(async () => {
  base = await mkdtemp(join(tmpdir(), 'repl-fault-'));
  const script = await bundleEngine(base);
  const ca = await createCertificateAuthority(join(base, 'ca'));
  root = join(base, 'data', 'share');
  await mkdir(root, { recursive: true });
  const replicaDir = join(base, 'replica-target');
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
      stateDir: join(base, 'master-state'),
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
  if (base) await rm(base, { recursive: true, force: true });
});

/** New small and large files, a rename and a removal: every record kind a replay must survive twice. */
async function workload(tag: string): Promise<Map<string, Buffer>> {
  const files = new Map<string, Buffer>();
  const dir = join(root, tag);
  await mkdir(dir, { recursive: true });
  for (let k = 0; k < 40; k++) {
    const content = Buffer.alloc(k % 10 === 0 ? 300_000 : 2000, `${tag}-${k}`);
    await writeFile(join(dir, `f${k}`), content);
    files.set(join(dir, `f${k}`), content);
    if (k % 8 === 7) await new Promise((r) => setTimeout(r, 20));
  }
  await rename(join(dir, 'f1'), join(dir, 'f1-renamed'));
  files.set(join(dir, 'f1-renamed'), files.get(join(dir, 'f1')) as Buffer);
  files.delete(join(dir, 'f1'));
  await rm(join(dir, 'f2'));
  files.delete(join(dir, 'f2'));
  return files;
}

/**
 * Passes of a fault point count records or flushes, and a loaded box puts
 * more records in a flush: keep writing rounds until the armed engine dies.
 */
async function workloadUntilDead(engine: ChildEngine, tag: string): Promise<Map<string, Buffer>> {
  const files = new Map<string, Buffer>();
  for (let round = 0; engine.running && round < 20; round++) {
    for (const [p, c] of await workload(`${tag}-${round}`)) files.set(p, c);
  }
  await engine.exit();
  return files;
}

const spooled = (lines: EngineLine[]) =>
  new Map(lines.filter((l) => l.type === 'spooled').map((l) => [String(l.path), Number(l.size)]));

/** Every file the master acknowledged as durable is on the replica byte for byte. */
async function expectAcknowledged(files: Map<string, Buffer>, lines: EngineLine[]): Promise<number> {
  const acked = spooled(lines);
  let checked = 0;
  for (const [path, content] of files) {
    if (acked.get(path) !== content.length) continue;
    const copy = await readFile(replicaPathOf(scenario.replicas[0] as never, path));
    expect(copy.equals(content), path).toBe(true);
    checked++;
  }
  return checked;
}

describe('crash between durability steps (fault points)', () => {
  for (const point of ['applier.before-applied-seq', 'applier.before-seq-sync']) {
    it(`replica killed at ${point}: restarts, replays the record in flight, converges`, async () => {
      await replica.close();
      await replica.start({ TIDEMARK_FAULT_POINT: point, TIDEMARK_FAULT_AFTER: '3' });
      const files = await workloadUntilDead(replica, point);
      await replica.start();
      await converged(root, target, 30_000);
      expect(await expectAcknowledged(files, master.lines)).toBeGreaterThan(30);
    });
  }

  it('master killed after a spool write, before its fdatasync: nothing acknowledged is lost or renumbered', async () => {
    await master.close();
    const linesBefore = master.lines.length;
    await master.start({ TIDEMARK_FAULT_POINT: 'spool.before-datasync', TIDEMARK_FAULT_AFTER: '5' });
    const files = await workloadUntilDead(master, 'spool');
    // What it acknowledged before it died is what counts.
    const acked = master.lines.slice(linesBefore);
    const synced = master.waitFor((l) => l.eventId === 'SR00111', 30_000);
    await master.start();
    await synced;
    await converged(root, target, 30_000);
    expect(await expectAcknowledged(files, acked)).toBeGreaterThan(0);
  });

  it("a replica ahead of the master's durable end is resynchronized, and new changes arrive", async () => {
    await replica.close();
    // As if the master's state had been restored from an older copy: the replica applied numbers it never made durable.
    const seq = Buffer.alloc(8);
    seq.writeBigUInt64LE(10_000_000n);
    await writeFile(join(base, 'replica-state', 'scenarios', scenario.id, 'replica', 'applied-seq'), seq);
    const synced = master.waitFor((l) => l.eventId === 'SR00110', 30_000);
    await replica.start();
    expect(String((await synced).text)).toContain("past the spool's durable end");
    await writeFile(join(root, 'after-ahead.txt'), 'arrives\n');
    await converged(root, target, 30_000);
  });
});
