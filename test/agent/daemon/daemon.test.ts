/**
 * The agent daemon against the REAL local cloud (moto over HTTP, the local
 * API with its authorizer and handlers): a host is enrolled over HTTP, the
 * daemon runs in-process from a real config file, heartbeats, long-polls,
 * runs commands written by the scenarios API and the commands repository,
 * and its results and status reports land in DynamoDB.
 *
 * The replication engine is a small RECORDING FAKE (it only notes the calls
 * and returns fixed statistics): the engine is another issue, and the daemon
 * is what is under test here. Discovery is the real one, on a temp directory.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { connect as connectTls } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../agent/daemon/config.js';
import type { ControlLoop } from '../../../agent/daemon/control-loop.js';
import { ApiError, ControlPlaneClient } from '../../../agent/daemon/control-plane-client.js';
import { createDaemon } from '../../../agent/daemon/create-daemon.js';
import { createLogger } from '../../../agent/daemon/logger.js';
import { discoverEntities } from '../../../agent/discovery/discover-entities.js';
import { freePort } from '../../../agent/free-port.js';
import type {
  AgentEvents,
  ReplicationRuntime,
  ScenarioAssignment,
  ScenarioStatistics,
} from '../../../agent/scenario-runtime.js';
import {
  createCertificateAuthority,
  issueHostCertificate,
  type TlsMaterial,
} from '../../../agent/tls/certificates.js';
import { BackupArgs } from '../../../core/agent-commands.js';
import { createCommand, getStoredCommand } from '../../../functions/repositories/commands.js';
import { type LocalCloud, REPO_ROOT, startLocalCloud } from '../../../infra/local/local-cloud.js';
import { apiClient } from '../../integration/api-client.js';
import { backedUpSessions } from '../../integration/workflow-agent.js';

/** Records what the daemon asks of the engine; no replication happens. */
class RecordingRuntime implements ReplicationRuntime {
  readonly calls: string[] = [];
  readonly assignments: ScenarioAssignment[] = [];
  readonly running = new Map<string, ScenarioStatistics['state']>();
  closed = false;

  async start(assignment: ScenarioAssignment) {
    this.calls.push(`start ${assignment.scenario.id}`);
    this.assignments.push(assignment);
    this.running.set(assignment.scenario.id, 'replicating');
  }
  async stop(scenarioId: string) {
    this.calls.push(`stop ${scenarioId}`);
    this.running.delete(scenarioId);
  }
  async suspend(scenarioId: string) {
    this.calls.push(`suspend ${scenarioId}`);
    if (scenarioId === 'explode') throw new Error('spool is gone');
    if (scenarioId === 'slow') await new Promise((resolve) => setTimeout(resolve, 1500));
  }
  async resume(scenarioId: string) {
    this.calls.push(`resume ${scenarioId}`);
  }
  statistics(scenarioId: string): ScenarioStatistics | undefined {
    const state = this.running.get(scenarioId);
    if (!state) return undefined;
    return {
      scenarioId,
      state,
      roots: [{ root: '/srv/share', created: 3, changed: 2, removed: 1, renamed: 0, bytesSent: 4096 }],
      spoolBytes: 512,
      spoolThresholdPercent: 0.5,
    };
  }
  async createRewindPoint(): Promise<never> {
    throw new Error('not used by the daemon test');
  }
  async rewind(): Promise<never> {
    throw new Error('not used by the daemon test');
  }
  async sendMasterChecksums(): Promise<never> {
    throw new Error('not used by the daemon test');
  }
  appliedSeq(): never {
    throw new Error('not used by the daemon test');
  }
  takeMasterChecksums(): never {
    throw new Error('not used by the daemon test');
  }
  async close() {
    this.closed = true;
  }
}

let cloud: LocalCloud;
let call: ReturnType<typeof apiClient>;
let admin: string;
let dir: string;
let root: string;
const runtime = new RecordingRuntime();
const logLines: string[] = [];
let daemon: ControlLoop;
/** The events sink the daemon handed to the engines. */
let engineEvents: AgentEvents;
let master: { id: string; token: string };
let replica: { id: string; token: string };

async function enroll(name: string) {
  const response = await call('POST', '/hosts', { token: admin, body: { name } });
  expect(response.status).toBe(201);
  return { id: (response.body.host as { id: string }).id, token: response.body.agentToken as string };
}

/** Writes a config; the TLS files hold `pem` (placeholders for the fake engine) unless real material is given. */
function writeConfig(
  name: string,
  hostName: string,
  token: string,
  extra: Record<string, unknown> = {},
  material: TlsMaterial = { cert: 'pem', key: 'pem', ca: 'pem' },
) {
  const credentialFile = path.join(dir, `${name}.credential`);
  writeFileSync(credentialFile, token, { mode: 0o600 });
  const tls = {
    cert: path.join(dir, `${name}.crt`),
    key: path.join(dir, `${name}.key`),
    ca: path.join(dir, `${name}-ca.crt`),
  };
  for (const part of ['cert', 'key', 'ca'] as const)
    writeFileSync(tls[part], material[part], { mode: 0o600 });
  const file = path.join(dir, `${name}.json`);
  const config = {
    hostName,
    apiUrl: cloud.apiUrl,
    credentialFile,
    dataPort: 7070,
    addresses: ['127.0.0.1'],
    tls,
    stateDirectory: path.join(dir, 'state'),
    heartbeatSeconds: 1,
    statisticsSeconds: 1,
    pollWaitSeconds: 1,
    ...extra,
  };
  writeFileSync(file, JSON.stringify(config), { mode: 0o600 });
  return file;
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

async function finishedCommand(id: string) {
  return until(`command ${id} to finish`, async () => {
    const command = await getStoredCommand(id);
    return command && (command.status === 'succeeded' || command.status === 'failed') ? command : undefined;
  });
}

beforeAll(async () => {
  cloud = await startLocalCloud();
  call = apiClient(cloud.apiUrl);
  admin = await cloud.mintOperatorToken('admin');
  dir = mkdtempSync(path.join(tmpdir(), 'tm-daemon-'));
  root = mkdtempSync(path.join(tmpdir(), 'tm-daemon-root-'));
  master = await enroll('agent-a');
  replica = await enroll('agent-b');
  // The replica's agent is not under test: one heartbeat over HTTP gives it an address and data port.
  await call('POST', '/agent/heartbeat', {
    token: replica.token,
    body: { addresses: ['127.0.0.1'], dataPort: 7071 },
  });
  const config = loadConfig(writeConfig('agent-a', 'agent-a', master.token));
  // Recording fake data handlers show how the backup engines plug in (handlers beside the runtime);
  // they answer as core/agent-commands.ts says, the backup writing real name indexes to moto S3.
  const handlers = {
    snapshot: async (args: Record<string, unknown>) => {
      runtime.calls.push(`snapshot ${String(args.scenarioId)}`);
      return { snapshotId: 'snap-1', takenAt: new Date().toISOString(), pauseMs: 1 };
    },
    backup: async (args: Record<string, unknown>) => {
      const parsed = BackupArgs.parse(args);
      runtime.calls.push(`backup ${parsed.scenario.id}`);
      return backedUpSessions(parsed);
    },
    release_snapshots: async (args: Record<string, unknown>) => {
      runtime.calls.push(`release_snapshots ${String(args.scenarioId)}`);
      return { released: [], kept: 1 };
    },
  };
  daemon = await createDaemon(
    config,
    (context) => {
      engineEvents = context.events;
      return { runtime, discover: discoverEntities, handlers };
    },
    {
      log: createLogger('debug', (line) => logLines.push(line)),
      commandHeartbeatMs: 300,
      eventFlushMs: 200,
    },
  );
  await daemon.start();
});

afterAll(async () => {
  await daemon?.stop('test over');
  await cloud?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
  if (root) rmSync(root, { recursive: true, force: true });
});

describe('agent daemon on the local cloud', () => {
  it('heartbeats: lastHeartbeatAt moves, with the data port and addresses from the config', async () => {
    const first = await call('GET', `/hosts/${master.id}`, { token: admin });
    expect(first.body).toMatchObject({ dataPort: 7070, addresses: ['127.0.0.1'], agentVersion: '0.1.0' });
    const before = first.body.lastHeartbeatAt as string;
    expect(before).toEqual(expect.any(String));
    const later = await until('a later heartbeat', async () => {
      const host = await call('GET', `/hosts/${master.id}`, { token: admin });
      return (host.body.lastHeartbeatAt as string) > before ? host.body : undefined;
    });
    expect(later.lastHeartbeatAt).not.toBe(before);
  });

  it('runs a start from the scenarios API, reports statistics, then discovers entities for the scenario', async () => {
    const created = await call('POST', '/scenarios', {
      token: admin,
      body: {
        name: 'daemon files',
        type: 'fileserver',
        master: 'agent-a',
        replicas: [{ host: 'agent-b', directory: '/replicas/a' }],
        roots: [root],
      },
    });
    expect(created.status).toBe(201);
    const scenarioId = created.body.id as string;

    const run = await call('POST', `/scenarios/${scenarioId}/run`, { token: admin });
    expect(run.status).toBe(202);
    const startCommand = (run.body.commands as Array<{ id: string; host: string }>).find(
      (c) => c.host === 'agent-a',
    );
    expect((await finishedCommand(startCommand?.id ?? '')).status).toBe('succeeded');
    expect(runtime.calls).toContain(`start ${scenarioId}`);
    const assignment = runtime.assignments.find((a) => a.scenario.id === scenarioId);
    expect(assignment?.self).toBe('agent-a');
    expect(assignment?.peers).toEqual([{ host: 'agent-b', address: '127.0.0.1', port: 7071 }]);

    const reported = await until('a statistics report', async () => {
      const view = await call('GET', `/scenarios/${scenarioId}`, { token: admin });
      const reports = view.body.reports as Record<string, { statistics: ScenarioStatistics }>;
      return reports['agent-a'] ? view.body : undefined;
    });
    expect(reported.state).toBe('replicating');
    expect(
      (reported.reports as Record<string, { statistics: ScenarioStatistics }>)['agent-a']?.statistics,
    ).toEqual(runtime.statistics(scenarioId));

    const discover = await call('POST', `/scenarios/${scenarioId}/discover`, { token: admin });
    expect(discover.status).toBe(202);
    const discoverId = (discover.body.commands as Array<{ id: string }>)[0]?.id ?? '';
    const done = await finishedCommand(discoverId);
    expect(done.status).toBe('succeeded');
    expect(done.output).toMatchObject({ added: [root] });
    const view = await call('GET', `/scenarios/${scenarioId}`, { token: admin });
    expect(view.body.entities).toEqual([{ name: root, kind: 'volume', paths: [root] }]);
  });

  it('takes up started scenarios again after an agent restart, and forgets stopped ones', async () => {
    const scenarioId = runtime.assignments[0]?.scenario.id as string;
    const stored = path.join(dir, 'state', 'assignments', `${scenarioId}.json`);
    expect((statSync(stored).mode & 0o777).toString(8)).toBe('600');

    // A second agent process on the same state directory, as after a reboot: no command needed.
    const restarted = new RecordingRuntime();
    const again = await createDaemon(
      loadConfig(path.join(dir, 'agent-a.json')),
      () => ({ runtime: restarted, discover: discoverEntities }),
      { log: createLogger('error', () => {}) },
    );
    await again.start();
    await again.stop('restart check over');
    expect(restarted.calls).toEqual([`start ${scenarioId}`]);
    expect(restarted.assignments[0]?.peers).toEqual([{ host: 'agent-b', address: '127.0.0.1', port: 7071 }]);
    expect(restarted.closed).toBe(true);

    const stop = await call('POST', `/scenarios/${scenarioId}/stop`, { token: admin });
    expect(stop.status).toBe(202);
    const stopId = (stop.body.commands as Array<{ id: string; host: string }>).find(
      (c) => c.host === 'agent-a',
    )?.id;
    expect((await finishedCommand(stopId ?? '')).status).toBe('succeeded');
    expect(runtime.calls).toContain(`stop ${scenarioId}`);
    expect(existsSync(stored)).toBe(false);
  });

  it("delivers the engines' numbered events to the scenario's event log", async () => {
    const scenarioId = runtime.assignments[0]?.scenario.id as string;
    const at = new Date().toISOString();
    engineEvents.event({
      scenarioId,
      eventId: 'SR00104',
      severity: 'info',
      text: 'connected to agent-b',
      at,
    });
    engineEvents.event({ scenarioId, eventId: 'SR00201', severity: 'warning', text: 'spool at 80%', at });
    const events = await until('the events in the catalog', async () => {
      const page = await call('GET', `/scenarios/${scenarioId}/events`, { token: admin });
      const list = (page.body.events ?? []) as Array<{ eventId: string; host: string; text: string }>;
      return list.length >= 2 ? list : undefined;
    });
    expect(events.map((e) => [e.eventId, e.host, e.text])).toEqual(
      expect.arrayContaining([
        ['SR00104', 'agent-a', 'connected to agent-b'],
        ['SR00201', 'agent-a', 'spool at 80%'],
      ]),
    );
  });

  it('fails commands with catalogue codes: no handler → AE0472, bad args → AE0468, engine error → AE0472', async () => {
    const write = (kind: 'restore' | 'start' | 'suspend', args: Record<string, unknown>) =>
      createCommand({ hostId: master.id, kind, args, timeoutSeconds: 60 });

    const restore = await finishedCommand((await write('restore', { scenarioId: 's-x' })).id);
    expect(restore.error).toEqual({
      code: 'AE0472',
      message: expect.stringContaining("this agent has no handler for 'restore' commands yet"),
    });

    const badStart = await finishedCommand((await write('start', { scenario: { id: 's-y' } })).id);
    expect(badStart.error?.code).toBe('AE0468');
    expect(badStart.error?.message).toContain('bad command arguments: scenario.');

    const broken = await finishedCommand(
      (await write('suspend', { scenarioId: 'explode', scenarioName: 'boom' })).id,
    );
    expect(broken.error).toEqual({
      code: 'AE0472',
      message: 'Scenario boom (explode): the replication engine on agent-a reported an error: spool is gone.',
    });
  });

  it('serves a backup job: suspend, snapshot and resume reach the engines, the data handlers answer, the job completes', async () => {
    // agent-b masters the scenario, this daemon (agent-a) is its replica.
    const created = await call('POST', '/scenarios', {
      token: admin,
      body: {
        name: 'wf',
        type: 'fileserver',
        master: 'agent-b',
        replicas: [{ host: 'agent-a', directory: path.join(root, 'wf-replica') }],
        roots: [path.join(root, 'wf')],
        options: { mode: 'suspend' },
      },
    });
    expect(created.status).toBe(201);
    const id = String(created.body.id);
    expect((await call('POST', `/scenarios/${id}/run`, { token: admin })).status).toBe(202);
    const statistics = {
      scenarioId: id,
      state: 'replicating',
      roots: [],
      spoolBytes: 0,
      spoolThresholdPercent: 0,
    };
    const reported = await call('POST', `/agent/scenarios/${id}/status`, {
      token: replica.token,
      body: { statistics },
    });
    expect(reported.body.state).toBe('replicating');

    const submitted = await call('POST', '/jobs', {
      token: admin,
      body: { kind: 'backup', scenarios: ['wf'] },
    });
    expect(submitted.status).toBe(201);
    const job = await until('the backup job', async () => {
      const now = await call('GET', `/jobs/${String(submitted.body.id)}`, { token: admin });
      return now.body.status === 'done' ? now.body : undefined;
    });
    expect(job.result, JSON.stringify(job.scenarios)).toBe('completed');
    expect(runtime.calls.filter((c) => c.endsWith(` ${id}`))).toEqual([
      `start ${id}`,
      `suspend ${id}`,
      `snapshot ${id}`,
      `resume ${id}`,
      `backup ${id}`,
      `release_snapshots ${id}`,
    ]);
  });

  it('heartbeats a command while it runs', async () => {
    const command = await createCommand({
      hostId: master.id,
      kind: 'suspend',
      args: { scenarioId: 'slow' },
      timeoutSeconds: 60,
    });
    const done = await finishedCommand(command.id);
    expect(done.status).toBe('succeeded');
    expect(done.lastHeartbeatAt).toEqual(expect.any(String));
    expect(String(done.lastHeartbeatAt) < String(done.finishedAt)).toBe(true);
  });

  it("refuses an agent's credential for another host's command (403)", async () => {
    const command = await createCommand({
      hostId: master.id,
      kind: 'resume',
      args: { scenarioId: 's-owned' },
      timeoutSeconds: 60,
    });
    const intruder = new ControlPlaneClient({ apiUrl: cloud.apiUrl, credential: replica.token, attempts: 1 });
    const stolen = await intruder
      .postResult(command.id, { status: 'succeeded' })
      .catch((error: unknown) => error);
    expect(stolen).toBeInstanceOf(ApiError);
    expect(stolen).toMatchObject({ status: 403, code: 'Forbidden' });
    // The rightful daemon still runs it.
    expect((await finishedCommand(command.id)).status).toBe('succeeded');
    expect(runtime.calls).toContain('resume s-owned');
  });

  it('never writes the credential to its log', () => {
    expect(logLines.length).toBeGreaterThan(0);
    expect(logLines.join('\n')).not.toContain(master.token);
  });
});

describe('tidemark-agent run as a process', () => {
  it('starts the real replication engine on its data port, heartbeats, then stops cleanly on SIGTERM (exit 0)', async () => {
    const host = await enroll('agent-proc');
    // Real TLS material from the project's CA helper (openssl): the engine serves mutual TLS on the data port.
    const ca = await createCertificateAuthority(path.join(dir, 'ca'));
    const material = await issueHostCertificate(ca, 'agent-proc', dir);
    const dataPort = await freePort();
    const config = writeConfig(
      'agent-proc',
      'agent-proc',
      host.token,
      { logLevel: 'info', dataPort },
      material,
    );
    const child = spawn(path.join(REPO_ROOT, 'agent/bin/tidemark-agent'), ['run', '--config', config], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    await until('the process heartbeat', async () => {
      const view = await call('GET', `/hosts/${host.id}`, { token: admin });
      return view.body.lastHeartbeatAt ? true : undefined;
    });
    // The engine's listener answers a TLS handshake only with a certificate from the CA: connect with one.
    const peer = await issueHostCertificate(ca, 'agent-peer', dir);
    const authorized = await new Promise<boolean>((resolve, reject) => {
      const socket = connectTls(
        { host: '127.0.0.1', port: dataPort, ...peer, servername: 'agent-proc' },
        () => {
          resolve(socket.authorized);
          socket.destroy();
        },
      );
      socket.once('error', reject);
    });
    expect(authorized).toBe(true);
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(stderr).toContain('"message":"agent stopped"');
    expect(stderr).not.toContain(host.token);
  });
});
