/** Test harness: a CA, two engines (master and replica) on loopback with real TLS, real directories. */
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:tls';
import { FrameReader } from '../../../agent/replication/frames.js';
import { ReplicationEngine } from '../../../agent/replication/runtime.js';
import { walkTree } from '../../../agent/replication/tree-walk.js';
import type { AgentEvents, ScenarioEvent } from '../../../agent/scenario-runtime.js';
import {
  createCertificateAuthority,
  issueHostCertificate,
  type TlsMaterial,
} from '../../../agent/tls/certificates.js';
import { clientOptions } from '../../../agent/tls/peer-identity.js';
import type { RewindPoint } from '../../../core/rewind-point.js';
import { type Scenario, ScenarioOptions } from '../../../core/scenario.js';

export class Recorder implements AgentEvents {
  events: ScenarioEvent[] = [];
  alerts: { scenarioId: string; kind: string; text: string }[] = [];
  event(e: ScenarioEvent): void {
    this.events.push(e);
  }
  alert(scenarioId: string, kind: string, text: string): void {
    this.alerts.push({ scenarioId, kind, text });
  }
  /** The latest list of rewind points reported per scenario. */
  points = new Map<string, RewindPoint[]>();
  rewindPoints(scenarioId: string, points: RewindPoint[]): void {
    this.points.set(scenarioId, points);
  }
  ids(): string[] {
    return this.events.map((e) => e.eventId);
  }
}

export interface Pair {
  base: string;
  root: string;
  replicaDir: string;
  scenario: Scenario;
  master: ReplicationEngine;
  replica: ReplicationEngine;
  masterEvents: Recorder;
  replicaEvents: Recorder;
  tls: { master: TlsMaterial; replica: TlsMaterial; ca: { key: string; cert: string } };
  close(): Promise<void>;
}

export async function makeScenario(
  root: string,
  replicaDir: string,
  options: Partial<ScenarioOptions> = {},
): Promise<Scenario> {
  const now = new Date().toISOString();
  return {
    id: 'sc-1',
    name: 'files',
    type: 'fileserver',
    master: 'master-1',
    replicas: [{ host: 'replica-1', directory: replicaDir }],
    roots: [root],
    options: ScenarioOptions.parse(options),
    state: 'replicating',
    entities: [],
    createdAt: now,
    updatedAt: now,
    version: 1,
  };
}

export async function startPair(options: Partial<ScenarioOptions> = {}): Promise<Pair> {
  const base = await mkdtemp(join(tmpdir(), 'repl-'));
  const ca = await createCertificateAuthority(join(base, 'ca'));
  const masterTls = await issueHostCertificate(ca, 'master-1', base);
  const replicaTls = await issueHostCertificate(ca, 'replica-1', base);
  const root = join(base, 'data', 'share');
  const { mkdir } = await import('node:fs/promises');
  await mkdir(root, { recursive: true });
  const replicaDir = join(base, 'replica-target');
  const scenario = await makeScenario(root, replicaDir, options);
  const replicaEvents = new Recorder();
  const masterEvents = new Recorder();
  const replica = await ReplicationEngine.create({
    stateDir: join(base, 'replica-state'),
    tls: replicaTls,
    listen: { host: '127.0.0.1', port: 0 },
    events: replicaEvents,
  });
  await replica.start({ scenario, self: 'replica-1', peers: [] });
  const master = await ReplicationEngine.create({
    stateDir: join(base, 'master-state'),
    tls: masterTls,
    events: masterEvents,
  });
  await master.start({
    scenario,
    self: 'master-1',
    peers: [{ host: 'replica-1', address: '127.0.0.1', port: replica.port as number }],
  });
  return {
    base,
    root,
    replicaDir,
    scenario,
    master,
    replica,
    masterEvents,
    replicaEvents,
    tls: { master: masterTls, replica: replicaTls, ca },
    close: async () => {
      await master.close();
      await replica.close();
      await rm(base, { recursive: true, force: true });
    },
  };
}

/** Every entry of a tree with its type, size, mode and content hash, relative to the root. */
export async function treeDigest(root: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const e of await walkTree(root, (n) => n === '.tidemark-staging')) {
    const rel = e.path.slice(root.length) || '/';
    if (e.kind === 'file') {
      const h = createHash('sha256')
        .update(await readFile(e.path).catch(() => Buffer.alloc(0)))
        .digest('hex');
      out[rel] = `file ${e.size} ${(e.mode & 0o7777).toString(8)} ${h.slice(0, 16)}`;
    } else if (e.kind === 'symlink') out[rel] = `link ${e.target}`;
    else out[rel] = `dir ${rel === '/' ? '' : (e.mode & 0o7777).toString(8)}`;
  }
  return out;
}

/** Polls until the replica's copy of `root` equals the master's, or fails after `ms`. */
export async function converged(root: string, replicaRoot: string, ms = 20_000): Promise<void> {
  const until = Date.now() + ms;
  let a: Record<string, string> = {};
  let b: Record<string, string> = {};
  while (Date.now() < until) {
    a = await treeDigest(root);
    b = await treeDigest(replicaRoot);
    if (JSON.stringify(a) === JSON.stringify(b)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  const diff = Object.keys({ ...a, ...b })
    .filter((k) => a[k] !== b[k])
    .slice(0, 10);
  throw new Error(`trees differ after ${ms} ms: ${diff.map((k) => `${k}: ${a[k]} vs ${b[k]}`).join('; ')}`);
}

/** Opens a TLS session to the replica as `tls` and sends raw frames, returning what the replica answers. */
export async function talk(
  port: number,
  tls: Parameters<typeof clientOptions>[0],
  frames: Buffer[],
  /** How long to listen when the replica keeps the session open. */
  ms = 3000,
): Promise<string> {
  const socket = connect(clientOptions(tls, 'replica-1', '127.0.0.1', port));
  const reader = new FrameReader();
  const answers: string[] = [];
  return new Promise((resolve) => {
    socket.on('secureConnect', () => {
      for (const f of frames) socket.write(f);
    });
    socket.on('data', (c: Buffer) => {
      for (const f of reader.push(c)) answers.push(`${f.type}:${f.payload.toString()}`);
    });
    socket.on('error', (e) => answers.push(`error:${e.message}`));
    socket.on('close', () => resolve(answers.join('\n')));
    setTimeout(() => socket.destroy(), ms);
  });
}
