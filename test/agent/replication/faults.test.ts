import { writeFile } from 'node:fs/promises';
import { createServer, connect as netConnect, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeFrame, FrameType } from '../../../agent/replication/frames.js';
import { encodeRecord } from '../../../agent/replication/records.js';
import { ReplicationEngine } from '../../../agent/replication/runtime.js';
import { createCertificateAuthority, issueHostCertificate } from '../../../agent/tls/certificates.js';
import { replicaPathOf } from '../../../core/scenario.js';
import { converged, makeScenario, type Pair, Recorder, startPair, talk } from './harness.js';

let pair: Pair | undefined;
let proxy: Server | undefined;
afterEach(async () => {
  proxy?.close();
  proxy = undefined;
  await pair?.close();
  pair = undefined;
});

/** A TCP proxy we control: cutting it drops the master↔replica link mid-stream. */
function startProxy(port: number): Promise<{ port: number; cut(): void }> {
  const sockets = new Set<Socket>();
  proxy = createServer((client) => {
    const upstream = netConnect(port, '127.0.0.1');
    sockets.add(client);
    sockets.add(upstream);
    client.pipe(upstream).pipe(client);
    const drop = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', drop);
    upstream.on('error', drop);
    client.on('close', drop);
    upstream.on('close', drop);
  });
  return new Promise((resolve) =>
    proxy?.listen(0, '127.0.0.1', () => {
      const a = proxy?.address();
      resolve({
        port: typeof a === 'object' && a ? a.port : 0,
        cut: () => {
          for (const s of sockets) s.destroy();
          sockets.clear();
        },
      });
    }),
  );
}

describe('replication under faults', () => {
  it('a cut link raises lost_connection, then the master catches up from the spool', async () => {
    pair = await startPair();
    const { root, scenario, replicaDir } = pair;
    // Re-point the master at the replica through the proxy.
    const target = replicaPathOf({ host: 'replica-1', directory: replicaDir }, root);
    await converged(root, target);
    await pair.master.stop(scenario.id);
    const link = await startProxy(pair.replica.port as number);
    await pair.master.start({
      scenario: { ...scenario, version: 2 },
      self: 'master-1',
      peers: [{ host: 'replica-1', address: '127.0.0.1', port: link.port }],
    });
    await writeFile(join(root, 'before'), 'one');
    await converged(root, target).catch((e) => {
      throw new Error(`${e.message} events=${pair?.masterEvents.ids()}`);
    });
    const syncs = pair.masterEvents.ids().filter((i) => i === 'SR00110').length;
    link.cut();
    for (let i = 0; i < 20; i++) await writeFile(join(root, `during-${i}`), `written while cut ${i}`);
    link.cut();
    await converged(root, target);
    expect(pair.masterEvents.alerts.map((a) => a.kind)).toContain('lost_connection');
    expect(pair.masterEvents.ids()).toEqual(expect.arrayContaining(['SR00130', 'SR00131']));
    // Catch-up came from the spool: no new synchronization.
    expect(pair.masterEvents.ids().filter((i) => i === 'SR00110').length).toBe(syncs);
  }, 40_000);

  it('a spool past its threshold raises queue_overflow, then resynchronizes only what differs', async () => {
    pair = await startPair({ spoolThresholdBytes: 1024 * 1024 });
    const { root, scenario, replicaDir } = pair;
    const target = replicaPathOf({ host: 'replica-1', directory: replicaDir }, root);
    for (let i = 0; i < 20; i++) await writeFile(join(root, `steady-${i}`), Buffer.alloc(100_000, i));
    await converged(root, target);
    await pair.replica.suspend(scenario.id);
    await writeFile(join(root, 'big-while-suspended'), Buffer.alloc(3 * 1024 * 1024, 7));
    await pair.master.captureIdle(scenario.id);
    const finished = () => pair?.masterEvents.ids().filter((i) => i === 'SR00111').length ?? 0;
    const syncsBefore = finished();
    await pair.replica.resume(scenario.id);
    await converged(root, target);
    // The trees can match before the resynchronization reports its statistics.
    for (let i = 0; i < 100 && finished() === syncsBefore; i++) await new Promise((r) => setTimeout(r, 50));
    expect(pair.masterEvents.alerts.map((a) => a.kind)).toContain('queue_overflow');
    expect(pair.masterEvents.ids()).toContain('SR00140');
    const last = pair.master.statistics(scenario.id)?.lastSync;
    expect(last?.filesCompared).toBe(21);
    // Only the new file travelled; the 20 unchanged ones were compared by size and time.
    expect(last?.bytesSent).toBeLessThan(3.2 * 1024 * 1024);
    expect(last?.bytesSent).toBeGreaterThan(0);
  }, 40_000);

  it('refuses a master whose certificate names another host, and one from a foreign CA', async () => {
    pair = await startPair();
    const intruder = await issueHostCertificate(pair.tls.ca, 'intruder', pair.base);
    const hello = encodeFrame(FrameType.hello, { scenarioId: pair.scenario.id });
    const answer = await talk(pair.replica.port as number, intruder, [hello]);
    expect(answer).toMatch(/certificate for 'intruder' is not the master \(master-1\)/);
    const foreignCa = await createCertificateAuthority(join(pair.base, 'foreign-ca'));
    const foreign = await issueHostCertificate(foreignCa, 'master-1', pair.base);
    const refused = await talk(pair.replica.port as number, { ...foreign, ca: pair.tls.ca.cert }, [hello]);
    // The handshake fails on the replica's side: no welcome (frame type 2) ever comes back.
    expect(refused).not.toMatch(/^2:/m);
  }, 30_000);

  it('refuses a malformed or truncated record with a clear message and applies nothing', async () => {
    // Borrow the pair's directory and CA tooling only: close its engines so no file handle is left to the GC.
    const borrowed = await startPair();
    const base = borrowed.base;
    await borrowed.master.close();
    await borrowed.replica.close();
    pair = undefined;
    const events = new Recorder();
    const ca = await createCertificateAuthority(join(base, 'ca2'));
    const replicaTls = await issueHostCertificate(ca, 'replica-1', base);
    const masterTls = await issueHostCertificate(ca, 'master-1', base);
    const replicaDir = join(base, 'target2');
    const scenario = await makeScenario(join(base, 'data', 'share'), replicaDir);
    const replica = await ReplicationEngine.create({
      stateDir: join(base, 'state2'),
      tls: replicaTls,
      listen: { host: '127.0.0.1', port: 0 },
      events,
    });
    try {
      await replica.start({ scenario, self: 'replica-1', peers: [] });
      const good = encodeRecord({ kind: 'create', seq: 1, path: `${scenario.roots[0]}/f`, mode: 0o100644 });
      const corrupt = Buffer.from(good);
      corrupt.writeUInt8((corrupt.at(-1) ?? 0) ^ 1, corrupt.length - 1);
      const hello = encodeFrame(FrameType.hello, { scenarioId: scenario.id });
      const bad = await talk(replica.port as number, masterTls, [
        hello,
        encodeFrame(FrameType.record, corrupt),
      ]);
      expect(bad).toMatch(/AE0468.*malformed journal record: checksum mismatch/);
      const cut = await talk(replica.port as number, masterTls, [
        hello,
        encodeFrame(FrameType.record, good.subarray(0, good.length - 4)),
      ]);
      expect(cut).toMatch(/malformed journal record: truncated/);
      const outsideRoots = encodeRecord({ kind: 'create', seq: 1, path: '/etc/passwd', mode: 0o100644 });
      const outside = await talk(replica.port as number, masterTls, [
        hello,
        encodeFrame(FrameType.record, outsideRoots),
      ]);
      expect(outside).toMatch(/record path '\/etc\/passwd' is not under the scenario's roots/);
      expect(replica.statistics(scenario.id)).toBeDefined();
      expect(events.ids()).toContain('SR00160');
    } finally {
      await replica.close();
      const { rm } = await import('node:fs/promises');
      await rm(base, { recursive: true, force: true });
    }
  }, 30_000);
});
