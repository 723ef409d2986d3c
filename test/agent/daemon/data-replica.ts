/**
 * The replica side of the data-command tests, built the way `tidemark-agent
 * run` builds it: `defaultEngines` from an agent config (real replication
 * engine on a loopback data port with real TLS, copy-on-write snapshots
 * hooked into its apply path, the data handlers), plus a master engine that
 * replicates a real directory to it, and a loopback stand-in for the
 * control plane's `/agent/credentials` route (the only route these
 * handlers call).
 */

import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { AssignmentStore } from '../../../agent/daemon/assignment-store.js';
import type { AgentConfig } from '../../../agent/daemon/config.js';
import { defaultEngines } from '../../../agent/daemon/default-engines.js';
import { type CommandHandlers, Dispatcher } from '../../../agent/daemon/dispatcher.js';
import { createLogger } from '../../../agent/daemon/logger.js';
import { freePort } from '../../../agent/free-port.js';
import { ReplicationEngine } from '../../../agent/replication/runtime.js';
import type { ReplicationRuntime } from '../../../agent/scenario-runtime.js';
import { createCertificateAuthority, issueHostCertificate } from '../../../agent/tls/certificates.js';
import type { CommandKind, CommandResult } from '../../../core/command.js';
import { makeScenario, Recorder } from '../replication/harness.js';

export interface CredentialRoute {
  /** What POST /agent/credentials answers: a status and body, or 404 while unset. */
  answer?: (body: unknown) => { status: number; body: unknown };
  calls: unknown[];
}

export interface DataRig {
  base: string;
  root: string;
  replicaDir: string;
  scenario: Awaited<ReturnType<typeof makeScenario>>;
  master: ReplicationEngine;
  replica: ReplicationRuntime;
  credentials: CredentialRoute;
  run(kind: CommandKind, args: Record<string, unknown>): Promise<CommandResult>;
  /** Stops the replica agent's engines and starts them again on the same state directory. */
  restartReplica(): Promise<void>;
  close(): Promise<void>;
}

const CREDENTIAL = `tma_${'a'.repeat(43)}`;

async function credentialServer(route: CredentialRoute): Promise<{ server: Server; url: string }> {
  const server = createServer((request, response) => {
    let text = '';
    request.on('data', (chunk) => {
      text += chunk;
    });
    request.on('end', () => {
      const authorized = request.headers.authorization === `Bearer ${CREDENTIAL}`;
      const body: unknown = text ? JSON.parse(text) : undefined;
      if (request.url === '/agent/credentials') route.calls.push(body);
      const { status, body: answer } = !authorized
        ? { status: 401, body: { code: 'Unauthorized', message: 'no credential' } }
        : request.url === '/agent/credentials' && route.answer
          ? route.answer(body)
          : { status: 404, body: { code: 'NotFound', message: `no route ${request.url}` } };
      response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(answer));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return { server, url: `http://127.0.0.1:${port}` };
}

export async function startDataRig(): Promise<DataRig> {
  const base = await mkdtemp(path.join(tmpdir(), 'data-cmd-'));
  const ca = await createCertificateAuthority(path.join(base, 'ca'));
  const masterTls = await issueHostCertificate(ca, 'master-1', base);
  const replicaTls = await issueHostCertificate(ca, 'replica-1', base);
  const tlsDir = path.join(base, 'replica-tls');
  await mkdir(tlsDir, { recursive: true });
  const tls = {
    cert: path.join(tlsDir, 'host.pem'),
    key: path.join(tlsDir, 'host.key'),
    ca: path.join(tlsDir, 'ca.pem'),
  };
  await writeFile(tls.cert, replicaTls.cert);
  await writeFile(tls.key, replicaTls.key, { mode: 0o600 });
  await writeFile(tls.ca, replicaTls.ca);

  const root = path.join(base, 'data', 'share');
  await mkdir(root, { recursive: true });
  const replicaDir = path.join(base, 'replica-target');
  const scenario = await makeScenario(root, replicaDir);
  const credentials: CredentialRoute = { calls: [] };
  const api = await credentialServer(credentials);
  const dataPort = await freePort();
  const config: AgentConfig = {
    hostName: 'replica-1',
    apiUrl: api.url,
    credential: CREDENTIAL,
    dataPort,
    listenAddress: '127.0.0.1',
    tls,
    stateDirectory: path.join(base, 'replica-state'),
    logLevel: 'error',
    heartbeatSeconds: 30,
    statisticsSeconds: 30,
    pollWaitSeconds: 1,
    configPath: path.join(base, 'agent.yaml'),
  };
  const log = createLogger('error');
  const assignment = { scenario, self: 'replica-1', peers: [] };
  // The daemon's start handler remembers assignments here; the restore guard reads them.
  await new AssignmentStore(path.join(config.stateDirectory, 'assignments')).save(assignment);

  let engines = await defaultEngines({ config, events: new Recorder(), log });
  let dispatcher = new Dispatcher(engines.handlers as CommandHandlers, 'replica-1', log);
  await engines.runtime.start(assignment);

  const master = await ReplicationEngine.create({
    stateDir: path.join(base, 'master-state'),
    tls: masterTls,
    events: new Recorder(),
  });
  await master.start({
    scenario,
    self: 'master-1',
    peers: [{ host: 'replica-1', address: '127.0.0.1', port: dataPort }],
  });

  let counter = 0;
  const rig: DataRig = {
    base,
    root,
    replicaDir,
    scenario,
    master,
    replica: engines.runtime,
    credentials,
    run: (kind, args) =>
      dispatcher.run(
        { id: `cmd-${++counter}`, kind, args, deadline: new Date(Date.now() + 600_000).toISOString() },
        new AbortController().signal,
      ),
    restartReplica: async () => {
      await engines.runtime.close();
      engines = await defaultEngines({ config, events: new Recorder(), log });
      dispatcher = new Dispatcher(engines.handlers as CommandHandlers, 'replica-1', log);
      await engines.runtime.start(assignment);
      rig.replica = engines.runtime;
    },
    close: async () => {
      await master.close();
      await engines.runtime.close();
      await new Promise((resolve) => api.server.close(resolve));
      await rm(base, { recursive: true, force: true });
    },
  };
  return rig;
}
