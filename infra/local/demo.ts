/**
 * The `npm start` demo: two agents on this machine — `demo-master` and
 * `demo-replica` — with their own state, TLS certificates and folders under
 * `.tidemark/demo`, enrolled through the API like real hosts, and a running
 * file-server scenario that replicates the master's sample data to the
 * replica. The agents run in this process (so stopping `npm start`, even by
 * SIGKILL, leaves none behind) through the same daemon `tidemark-agent run`
 * starts.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { openSync } from 'node:fs';
import { chmod, mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../../agent/daemon/config.js';
import type { ControlLoop } from '../../agent/daemon/control-loop.js';
import { createDaemon } from '../../agent/daemon/create-daemon.js';
import { defaultEngines } from '../../agent/daemon/default-engines.js';
import { createLogger } from '../../agent/daemon/logger.js';
import { freePort } from '../../agent/free-port.js';
import { createCertificateAuthority, issueHostCertificate } from '../../agent/tls/certificates.js';
import { writeDemoData } from './demo-data.js';

export const DEMO_SCENARIO = 'demo-files';
export const HOSTS = ['demo-master', 'demo-replica'] as const;

export interface Demo {
  directory: string;
  masterData: string;
  replicaDirectory: string;
  scenarioId: string;
  /** The agents' processes when they run as children (`childAgents`), by host name. */
  processes: Map<string, ChildProcess>;
  /** Starts a child agent again (after a test killed it) with its config and state, and `env` over the usual. */
  restartAgent(host: string, env?: Record<string, string>): Promise<void>;
  stop(): Promise<void>;
}

export interface DemoOptions {
  apiUrl: string;
  /** An admin token: the demo enrolls hosts and creates the scenario through the API. */
  token: string;
  directory: string;
  log: (line: string) => void;
  /** Run each agent as its own `tidemark-agent run` process instead of in this one (tests kill them). */
  childAgents?: boolean;
  /** Options of the demo scenario, over the defaults below. */
  scenarioOptions?: Record<string, unknown>;
}

const AGENT_BIN = fileURLToPath(new URL('../../agent/bin/tidemark-agent', import.meta.url));

/** Starts `tidemark-agent run` as a child, its output appended to `logFile`. */
function spawnAgent(configFile: string, logFile: string, env: Record<string, string> = {}): ChildProcess {
  const out = openSync(logFile, 'a');
  return spawn(AGENT_BIN, ['run', '--config', configFile], {
    stdio: ['ignore', out, out],
    env: { ...process.env, ...env },
  });
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

async function api(options: DemoOptions, method: string, route: string, body?: unknown) {
  const response = await fetch(`${options.apiUrl}${route}`, {
    method,
    headers: { authorization: `Bearer ${options.token}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const answer = (await response.json().catch(() => ({}))) as Record<string, unknown>;
  if (!response.ok)
    throw new Error(`${method} ${route}: ${answer.code ?? response.status}: ${answer.message ?? ''}`);
  return answer;
}

async function waitFor<T>(what: string, seconds: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + seconds * 1000;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${seconds} s waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

export async function startDemo(options: DemoOptions): Promise<Demo> {
  const { directory, log } = options;
  // moto keeps no state between starts, so neither do the demo agents.
  await rm(directory, { recursive: true, force: true });
  const masterData = path.join(directory, 'master-data');
  const replicaDirectory = path.join(directory, 'replica');
  await mkdir(masterData, { recursive: true });
  await writeDemoData(masterData);

  const ca = await createCertificateAuthority(path.join(directory, 'ca'), 'Tidemark demo CA');
  const daemons: ControlLoop[] = [];
  const processes = new Map<string, ChildProcess>();
  const homes = new Map<string, string>();
  const stop = async () => {
    await Promise.all([
      ...daemons.map((daemon) => daemon.stop('demo stopping').catch(() => {})),
      ...[...processes.values()].map(stopChild),
    ]);
  };

  try {
    for (const host of HOSTS) {
      const home = path.join(directory, host);
      const tls = await issueHostCertificate(ca, host, home);
      const files = {
        cert: path.join(home, 'host.pem'),
        key: path.join(home, 'host.key'),
        ca: path.join(home, 'ca.pem'),
      };
      await writeFile(files.cert, tls.cert);
      await writeFile(files.key, tls.key, { mode: 0o600 });
      await writeFile(files.ca, tls.ca);
      const enrolled = await api(options, 'POST', '/hosts', {
        name: host,
        addresses: ['127.0.0.1'],
        os: 'linux',
      });
      const configFile = path.join(home, 'agent.json');
      const config = {
        hostName: host,
        apiUrl: options.apiUrl,
        credential: enrolled.agentToken,
        dataPort: await freePort(),
        listenAddress: '127.0.0.1',
        addresses: ['127.0.0.1'],
        tls: files,
        stateDirectory: path.join(home, 'state'),
        logLevel: 'warn',
        heartbeatSeconds: 5,
        statisticsSeconds: 5,
        pollWaitSeconds: 5,
      };
      await writeFile(configFile, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
      await chmod(configFile, 0o600);
      homes.set(host, home);
      if (options.childAgents) {
        processes.set(host, spawnAgent(configFile, path.join(home, 'agent.log')));
      } else {
        const daemon = await createDaemon(loadConfig(configFile), defaultEngines, {
          log: createLogger('warn'),
          shutdownGraceMs: 5000,
        });
        daemons.push(daemon);
        await daemon.start();
      }
      log(
        `agent ${host} is up (data port ${config.dataPort}, config ${path.relative(process.cwd(), configFile)})`,
      );
    }

    const created = await api(options, 'POST', '/scenarios', {
      name: DEMO_SCENARIO,
      type: 'fileserver',
      master: 'demo-master',
      replicas: [{ host: 'demo-replica', directory: replicaDirectory }],
      roots: [masterData],
      options: { mode: 'suspend', snapshotRetention: 5, agentTimeoutSeconds: 60, ...options.scenarioOptions },
    });
    const scenarioId = String(created.id);
    // The run route needs each host's data port, which arrives with its first heartbeat.
    await waitFor('both agents to heartbeat', 60, async () => {
      const { hosts } = (await api(options, 'GET', '/hosts')) as {
        hosts: Array<{ name: string; dataPort?: number }>;
      };
      return HOSTS.every((name) => hosts.some((h) => h.name === name && h.dataPort)) ? true : undefined;
    });
    await api(options, 'POST', `/scenarios/${scenarioId}/run`);
    await waitFor(`scenario ${DEMO_SCENARIO} to replicate`, 60, async () => {
      const scenario = await api(options, 'GET', `/scenarios/${scenarioId}`);
      if (scenario.state === 'problem') throw new Error(`scenario ${DEMO_SCENARIO} reports a problem`);
      return scenario.state === 'replicating' ? true : undefined;
    });
    log(
      `scenario ${DEMO_SCENARIO} is replicating ${path.relative(process.cwd(), masterData)} → ${path.relative(process.cwd(), replicaDirectory)}`,
    );
    const restartAgent = async (host: string, env?: Record<string, string>) => {
      const home = homes.get(host);
      const running = processes.get(host);
      if (!home || !running) throw new Error(`${host} is not a child agent of this demo`);
      await stopChild(running);
      processes.set(host, spawnAgent(path.join(home, 'agent.json'), path.join(home, 'agent.log'), env));
    };
    return { directory, masterData, replicaDirectory, scenarioId, processes, restartAgent, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
