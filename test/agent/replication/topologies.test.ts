/**
 * Topologies and options beyond one master and one replica: a master
 * feeding two replicas, a replica host holding two masters' scenarios,
 * `file` sync mode, a failing ReplicaWriteHook, and the bandwidth limit.
 * Every engine is real, on loopback with real mutual TLS.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, open, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ReplicaWriteHook } from '../../../agent/replica-write-hooks.js';
import { ReplicationEngine } from '../../../agent/replication/runtime.js';
import {
  type CertificateAuthority,
  createCertificateAuthority,
  issueHostCertificate,
} from '../../../agent/tls/certificates.js';
import { replicaPathOf, type Scenario, ScenarioOptions } from '../../../core/scenario.js';
import { converged, Recorder, treeDigest } from './harness.js';

interface Node {
  host: string;
  engine: ReplicationEngine;
  events: Recorder;
}

let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
});

async function world(): Promise<{ base: string; ca: CertificateAuthority }> {
  const base = await mkdtemp(join(tmpdir(), 'repl-topo-'));
  cleanup.push(() => rm(base, { recursive: true, force: true }));
  return { base, ca: await createCertificateAuthority(join(base, 'ca')) };
}

async function node(
  base: string,
  ca: CertificateAuthority,
  host: string,
  o: { listen?: boolean; hooks?: ReplicaWriteHook[] } = {},
): Promise<Node> {
  const events = new Recorder();
  const engine = await ReplicationEngine.create({
    stateDir: join(base, `state-${host}`),
    tls: await issueHostCertificate(ca, host, base),
    listen: o.listen ? { host: '127.0.0.1', port: 0 } : undefined,
    events,
    hooks: o.hooks,
  });
  cleanup.push(() => engine.close());
  return { host, engine, events };
}

function scenario(
  id: string,
  master: string,
  roots: string[],
  replicas: { host: string; directory: string }[],
  options: Partial<ScenarioOptions> = {},
): Scenario {
  const now = new Date().toISOString();
  return {
    id,
    name: id,
    type: 'fileserver',
    master,
    replicas,
    roots,
    options: ScenarioOptions.parse(options),
    state: 'replicating',
    entities: [],
    createdAt: now,
    updatedAt: now,
    version: 1,
  };
}

const peerOf = (n: Node) => ({ host: n.host, address: '127.0.0.1', port: n.engine.port as number });
const count = (n: Node, id: string) => n.events.ids().filter((i) => i === id).length;

async function startAll(s: Scenario, master: Node, replicas: Node[]): Promise<void> {
  for (const r of replicas) await r.engine.start({ scenario: s, self: r.host, peers: [] });
  await master.engine.start({ scenario: s, self: master.host, peers: replicas.map(peerOf) });
}

describe('replication topologies and options', () => {
  it('one master feeds two replicas: one spool each; a suspended replica does not hold the other back', async () => {
    const { base, ca } = await world();
    const root = join(base, 'share');
    await mkdir(root);
    await writeFile(join(root, 'before'), 'present at start');
    const [m, r1, r2] = [
      await node(base, ca, 'master-1'),
      await node(base, ca, 'replica-1', { listen: true }),
      await node(base, ca, 'replica-2', { listen: true }),
    ] as [Node, Node, Node];
    const specs = [
      { host: 'replica-1', directory: join(base, 'r1') },
      { host: 'replica-2', directory: join(base, 'r2') },
    ];
    const s = scenario('sc-fan', 'master-1', [root], specs);
    await startAll(s, m, [r1, r2]);
    const [t1, t2] = specs.map((spec) => replicaPathOf(spec, root)) as [string, string];
    await converged(root, t1);
    await converged(root, t2);
    const syncs = count(m, 'SR00110');
    await r2.engine.suspend(s.id);
    for (let i = 0; i < 10; i++) await writeFile(join(root, `while-r2-suspended-${i}`), randomBytes(20_000));
    await converged(root, t1); // replica-1 keeps up while replica-2 is held
    await m.engine.captureIdle(s.id);
    await expect(readFile(join(t2, 'while-r2-suspended-0'))).rejects.toThrow();
    // Acks trail the spool by one round trip: give replica-1's a moment to land.
    const caughtUp = () => {
      const a = m.engine.acknowledged(s.id)['replica-1'];
      return a !== undefined && a.acked === a.next - 1;
    };
    for (let i = 0; i < 100 && !caughtUp(); i++) await new Promise((r) => setTimeout(r, 50));
    const acks = m.engine.acknowledged(s.id);
    expect(Object.keys(acks).sort()).toEqual(['replica-1', 'replica-2']);
    expect(acks['replica-1']?.acked).toBe((acks['replica-1']?.next ?? 0) - 1);
    expect(acks['replica-2']?.acked).toBeLessThan((acks['replica-2']?.next ?? 0) - 1);
    // Each replica has its own spool directory under the scenario's state.
    expect(m.engine.statistics(s.id)?.spoolBytes).toBeGreaterThan(200_000);
    await r2.engine.resume(s.id);
    await converged(root, t2);
    expect(count(m, 'SR00110')).toBe(syncs);
  }, 60_000);

  it('one replica host holds two masters’ scenarios, each isolated in its own folder and stream', async () => {
    const { base, ca } = await world();
    const [ma, mb, r] = [
      await node(base, ca, 'branch-a'),
      await node(base, ca, 'branch-b'),
      await node(base, ca, 'central', { listen: true }),
    ] as [Node, Node, Node];
    // Both branches protect the same path: only the target folder keeps them apart.
    const rootA = join(base, 'a', 'srv');
    const rootB = join(base, 'b', 'srv');
    await mkdir(rootA, { recursive: true });
    await mkdir(rootB, { recursive: true });
    const sa = scenario(
      'sc-a',
      'branch-a',
      [rootA],
      [{ host: 'central', directory: join(base, 'central-a') }],
    );
    const sb = scenario(
      'sc-b',
      'branch-b',
      [rootB],
      [{ host: 'central', directory: join(base, 'central-b') }],
    );
    await startAll(sa, ma, [r]);
    await startAll(sb, mb, [r]);
    await writeFile(join(rootA, 'doc'), 'from branch a');
    await writeFile(join(rootB, 'doc'), 'from branch b');
    const ta = replicaPathOf(sa.replicas[0] as never, rootA);
    const tb = replicaPathOf(sb.replicas[0] as never, rootB);
    await converged(rootA, ta);
    await converged(rootB, tb);
    // Suspending one scenario does not hold the other.
    await r.engine.suspend(sa.id);
    await writeFile(join(rootA, 'held'), 'waits');
    await writeFile(join(rootB, 'flows'), 'arrives');
    await converged(rootB, tb);
    await expect(readFile(join(ta, 'held'))).rejects.toThrow();
    await r.engine.resume(sa.id);
    await converged(rootA, ta);
    expect(await readFile(join(ta, 'doc'), 'utf8')).toBe('from branch a');
    expect(await readFile(join(tb, 'doc'), 'utf8')).toBe('from branch b');
    // branch-b cannot write into branch-a's scenario: its certificate names another master.
    const intruder = await node(base, ca, 'branch-b-2');
    const forged = { ...sa, master: 'branch-b-2', version: 2 };
    await intruder.engine.start({ scenario: forged, self: 'branch-b-2', peers: [peerOf(r)] });
    for (let i = 0; i < 100 && !r.events.events.some((e) => e.eventId === 'SR00160'); i++)
      await new Promise((res) => setTimeout(res, 50));
    const refusal = r.events.events.find((e) => e.eventId === 'SR00160');
    expect(refusal?.scenarioId).toBe('sc-a');
    expect(refusal?.text).toMatch(/certificate for 'branch-b-2' is not the master \(branch-a\)/);
    // Separate state per scenario on the replica host.
    expect(await treeDigest(join(base, 'state-central', 'scenarios'))).toEqual(
      expect.objectContaining({ '/sc-a': expect.any(String), '/sc-b': expect.any(String) }),
    );
  }, 60_000);

  it('file sync mode resends a differing file whole; block mode sends only its changed block', async () => {
    const { base, ca } = await world();
    const root = join(base, 'share');
    await mkdir(root);
    const content = randomBytes(2 * 1024 * 1024);
    await writeFile(join(root, 'big'), content);
    const results: Record<string, number> = {};
    for (const mode of ['file', 'block'] as const) {
      const directory = join(base, `replica-${mode}`);
      // The replica already holds an older copy that differs in one 16 KiB block.
      const stale = Buffer.from(content);
      stale.fill(1, 1_000_000, 1_000_100);
      const target = replicaPathOf({ host: 'replica-1', directory }, root);
      await mkdir(target, { recursive: true });
      await writeFile(join(target, 'big'), stale);
      // Older, as a stale copy is: written in the same clock tick as the master's file, the two would
      // match on size and mtime, and the quick check (like rsync's) would rightly skip it.
      const hourAgo = Date.now() / 1000 - 3600;
      await utimes(join(target, 'big'), hourAgo, hourAgo);
      const m = await node(base, ca, `master-${mode}`);
      const r = await node(base, ca, 'replica-1', { listen: true });
      const s = scenario(`sc-${mode}`, `master-${mode}`, [root], [{ host: 'replica-1', directory }], {
        syncMode: mode,
      });
      await startAll(s, m, [r]);
      await converged(root, target);
      for (let i = 0; i < 100 && !m.engine.statistics(s.id)?.lastSync; i++)
        await new Promise((res) => setTimeout(res, 50));
      const last = m.engine.statistics(s.id)?.lastSync;
      expect(last?.filesCompared).toBe(1);
      results[mode] = last?.bytesSent ?? -1;
      expect(m.events.events.find((e) => e.eventId === 'SR00110')?.text).toContain(`${mode} mode`);
    }
    expect(results.file).toBeGreaterThanOrEqual(content.length);
    expect(results.block).toBeLessThanOrEqual(16 * 1024);
    expect(results.block).toBeGreaterThan(0);
  }, 60_000);

  it('a ReplicaWriteHook that throws leaves the record unapplied, and it is retried', async () => {
    const { base, ca } = await world();
    const root = join(base, 'share');
    await mkdir(root);
    await writeFile(join(root, 'doc'), Buffer.alloc(64 * 1024, 'a'));
    let failures = 3;
    let calls = 0;
    const hook: ReplicaWriteHook = {
      beforeOverwrite: async () => {
        calls++;
        if (failures-- > 0) throw new Error('snapshot area full (test hook)');
      },
      beforeTruncate: async () => undefined,
      beforeRemove: async () => undefined,
      beforeAttributes: async () => undefined,
    };
    const m = await node(base, ca, 'master-1');
    const r = await node(base, ca, 'replica-1', { listen: true, hooks: [hook] });
    const directory = join(base, 'replica');
    const s = scenario('sc-hook', 'master-1', [root], [{ host: 'replica-1', directory }]);
    await startAll(s, m, [r]);
    const target = replicaPathOf({ host: 'replica-1', directory }, root);
    await converged(root, target);
    const fd = await open(join(root, 'doc'), 'r+');
    await fd.write(Buffer.from('CHANGED'), 0, 7, 40_000);
    await fd.close();
    for (let i = 0; i < 200 && calls === 0; i++) await new Promise((res) => setTimeout(res, 25));
    // The refused record changed nothing: the replica still holds the old bytes.
    expect((await readFile(join(target, 'doc'))).subarray(40_000, 40_007).toString()).toBe('aaaaaaa');
    await converged(root, target);
    expect(calls).toBeGreaterThanOrEqual(4); // three refusals, then the retry that passed
    expect(r.events.events.filter((e) => e.eventId === 'SR00160').map((e) => e.text)).toEqual(
      expect.arrayContaining([expect.stringContaining('snapshot area full (test hook)')]),
    );
    expect((await readFile(join(target, 'doc'))).subarray(40_000, 40_007).toString()).toBe('CHANGED');
  }, 60_000);

  it('the bandwidth limit holds throughput near the bytes/s configured for the current hour', async () => {
    const { base, ca } = await world();
    const root = join(base, 'share');
    await mkdir(root);
    const rate = 512 * 1024;
    const m = await node(base, ca, 'master-1');
    const r = await node(base, ca, 'replica-1', { listen: true });
    const directory = join(base, 'replica');
    const s = scenario('sc-bw', 'master-1', [root], [{ host: 'replica-1', directory }], {
      bandwidth: [{ fromHour: 0, toHour: 24, bytesPerSecond: rate }],
    });
    await startAll(s, m, [r]);
    const target = replicaPathOf({ host: 'replica-1', directory }, root);
    await converged(root, target);
    const bytes = 2 * 1024 * 1024;
    const started = Date.now();
    await writeFile(join(root, 'payload'), randomBytes(bytes));
    await converged(root, target, 30_000);
    const seconds = (Date.now() - started) / 1000;
    const throughput = bytes / seconds;
    // The bucket holds at most one second of tokens, so 2 MiB at 512 KiB/s needs at least ~3 s.
    expect(throughput).toBeLessThanOrEqual(rate * 1.35);
    expect(throughput).toBeGreaterThan(rate * 0.5);
  }, 60_000);
});
