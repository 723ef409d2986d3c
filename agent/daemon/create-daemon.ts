/**
 * Wires a control loop from a loaded config and the engines: the API
 * client, the event and status reporters, and the dispatcher with the
 * replication and discovery handlers plus any the engines add (snapshot,
 * backup, restore, test). The engines are injected, so they plug in here
 * without the loop knowing them.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { AgentEvents, DiscoverEntities, ReplicationRuntime } from '../scenario-runtime.js';
import { AssignmentStore } from './assignment-store.js';
import { CommandJournal } from './command-journal.js';
import type { AgentConfig } from './config.js';
import { ControlLoop } from './control-loop.js';
import { ControlPlaneClient } from './control-plane-client.js';
import { type CommandHandlers, Dispatcher } from './dispatcher.js';
import { EventReporter } from './event-reporter.js';
import { createLogger, type Logger } from './logger.js';
import { replicationHandlers } from './replication-handlers.js';
import { resumeAssignments } from './resume-assignments.js';
import { StatusReporter } from './status-reporter.js';

export interface Engines {
  runtime: ReplicationRuntime;
  discover: DiscoverEntities;
  /** Handlers for further kinds (snapshot, release_snapshots, backup, restore, test). */
  handlers?: CommandHandlers;
}

export interface EngineContext {
  config: AgentConfig;
  /** Where engines send their events and alerts. */
  events: AgentEvents;
  log: Logger;
}

export type EngineFactory = (context: EngineContext) => Engines | Promise<Engines>;

export interface DaemonTuning {
  log?: Logger;
  commandHeartbeatMs?: number;
  shutdownGraceMs?: number;
  eventFlushMs?: number;
}

export const AGENT_VERSION: string = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

export async function createDaemon(
  config: AgentConfig,
  engines: EngineFactory,
  tuning: DaemonTuning = {},
): Promise<ControlLoop> {
  const log = tuning.log ?? createLogger(config.logLevel);
  const client = new ControlPlaneClient({ apiUrl: config.apiUrl, credential: config.credential });
  const events = new EventReporter({ client, log, flushMs: tuning.eventFlushMs });
  const { runtime, discover, handlers = {} } = await engines({ config, events, log });
  const status = new StatusReporter({ client, runtime, log, intervalMs: config.statisticsSeconds * 1000 });
  const assignments = new AssignmentStore(path.join(config.stateDirectory, 'assignments'));
  const journal = new CommandJournal(path.join(config.stateDirectory, 'commands'));
  const dispatcher = new Dispatcher(
    { ...replicationHandlers({ runtime, discover, status, assignments }), ...handlers },
    config.hostName,
    log,
    journal,
  );
  return new ControlLoop({
    self: config.hostName,
    dataPort: config.dataPort,
    addresses: config.addresses,
    agentVersion: AGENT_VERSION,
    heartbeatMs: config.heartbeatSeconds * 1000,
    pollWaitSeconds: config.pollWaitSeconds,
    commandHeartbeatMs: tuning.commandHeartbeatMs,
    shutdownGraceMs: tuning.shutdownGraceMs,
    onStart: () => resumeAssignments(assignments, runtime, status, log),
    journal,
    client,
    dispatcher,
    runtime,
    events,
    status,
    log,
  });
}
