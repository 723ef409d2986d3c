/**
 * The replica's is-alive check of its master. The unit part drives
 * MasterWatch on a fake clock; the real part runs the master engine as a
 * child process and freezes it with SIGSTOP — its TCP connection stays open
 * and no FIN ever comes, as with a hung host or a power cut — and the
 * in-process replica engine must report the master lost, then back.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MasterWatch } from '../../../agent/replication/master-watch.js';
import { ReplicationEngine } from '../../../agent/replication/runtime.js';
import { createCertificateAuthority, issueHostCertificate } from '../../../agent/tls/certificates.js';
import { replicaPathOf } from '../../../core/scenario.js';
import { until } from '../../support/until.js';
import { bundleEngine, ChildEngine, tlsFiles } from './child-engine.js';
import { converged, makeScenario, Recorder } from './harness.js';

describe('MasterWatch', () => {
  const watch = (held = false) => {
    let now = 0;
    const seen: string[] = [];
    const w = new MasterWatch({
      intervalSeconds: 10,
      misses: 3,
      held: () => held,
      onLost: (s) => seen.push(`lost ${s}`),
      onBack: () => seen.push('back'),
      now: () => now,
    });
    return { w, seen, at: (ms: number) => (now = ms) };
  };

  it('reports a master silent past its misses once, and its return once', () => {
    const { w, seen, at } = watch();
    at(30_000);
    w.check();
    expect(seen).toEqual([]); // exactly three intervals: not yet
    at(31_000);
    w.check();
    at(60_000);
    w.check();
    expect(seen).toEqual(['lost 31']);
    w.heard();
    w.heard();
    expect(seen).toEqual(['lost 31', 'back']);
  });

  it('does not count silence while apply is held', () => {
    const { w, seen, at } = watch(true);
    at(120_000);
    w.check();
    expect(seen).toEqual([]);
  });
});

describe('a frozen master (SIGSTOP: no FIN, no frames)', () => {
  let base: string | undefined;
  let master: ChildEngine | undefined;
  let replica: ReplicationEngine | undefined;

  afterAll(async () => {
    if (master?.pid) process.kill(master.pid, 'SIGCONT');
    await master?.close();
    await replica?.close();
    if (base) await rm(base, { recursive: true, force: true });
  });

  it('is reported lost by the replica within its checks, and back once it runs again', async () => {
    base = await mkdtemp(join(tmpdir(), 'repl-watch-'));
    const script = await bundleEngine(base);
    const ca = await createCertificateAuthority(join(base, 'ca'));
    const masterTls = await tlsFiles(await issueHostCertificate(ca, 'master-1', base), join(base, 'tls-m'));
    const root = join(base, 'data', 'share');
    await mkdir(root, { recursive: true });
    await writeFile(join(root, 'a.txt'), 'hello');
    const replicaDir = join(base, 'replica-target');
    const scenario = await makeScenario(root, replicaDir, { masterCheckSeconds: 1, masterCheckMisses: 2 });
    const events = new Recorder();
    replica = await ReplicationEngine.create({
      stateDir: join(base, 'replica-state'),
      tls: await issueHostCertificate(ca, 'replica-1', base),
      listen: { host: '127.0.0.1', port: 0 },
      events,
    });
    await replica.start({ scenario, self: 'replica-1', peers: [] });
    master = await ChildEngine.create(
      script,
      {
        self: 'master-1',
        stateDir: join(base, 'master-state'),
        tls: masterTls,
        scenarios: [scenario],
        peers: [{ host: 'replica-1', address: '127.0.0.1', port: replica.port as number }],
      },
      join(base, 'master.json'),
    );
    await master.start();
    await converged(root, replicaPathOf(scenario.replicas[0] as { host: string; directory: string }, root));

    // Idle but alive: its pings keep the replica from crying wolf over several checks.
    await new Promise((r) => setTimeout(r, 3500));
    expect(events.ids()).not.toContain('SR00180');

    process.kill(master.pid as number, 'SIGSTOP');
    const stoppedAt = Date.now();
    await until('the replica to report its master lost', 10, async () =>
      events.ids().includes('SR00180') ? true : undefined,
    );
    expect(Date.now() - stoppedAt).toBeLessThan(5000);
    expect(events.alerts).toEqual([
      expect.objectContaining({ kind: 'master_lost', text: expect.stringMatching(/master-1/) }),
    ]);

    process.kill(master.pid as number, 'SIGCONT');
    await until('the replica to hear its master again', 10, async () =>
      events.ids().includes('SR00181') ? true : undefined,
    );
    expect(events.ids().filter((id) => id === 'SR00180')).toHaveLength(1);
  }, 60_000);
});
