/**
 * The contract between the agent's control loop (agent/daemon) and its
 * engines (agent/replication, agent/backup). The daemon turns each command
 * from the control plane into one call here; the engines never talk to the
 * control plane themselves, they report through `AgentEvents`.
 */
import type { RewindOutput, SendChecksumsOutput } from '../core/agent-commands.js';
import type { RewindPoint, RewindPointEvent } from '../core/rewind-point.js';
import type { Entity, Scenario } from '../core/scenario.js';

export type { RewindPoint, RewindPointEvent };

/** How to reach another agent's data port. */
export interface PeerAddress {
  /** The peer's host name as the scenario names it. */
  host: string;
  address: string;
  port: number;
}

/** What a `start` command carries: the scenario and where its peers listen. */
export interface ScenarioAssignment {
  scenario: Scenario;
  /** This agent's host name: the engine decides from it whether it is the master or a replica. */
  self: string;
  peers: PeerAddress[];
}

export type EventSeverity = 'info' | 'warning' | 'error';

/** A numbered scenario event, such as `SR00104` (connected) — ids are listed in agent/replication/events.ts. */
export interface ScenarioEvent {
  scenarioId: string;
  eventId: string;
  severity: EventSeverity;
  text: string;
  at: string;
}

export type AlertKind =
  | 'lost_connection'
  | 'queue_overflow'
  | 'disk_full'
  | 'rewind_points_dropped'
  | 'master_lost'
  | 'significant_info';

export interface RootStatistics {
  root: string;
  created: number;
  changed: number;
  removed: number;
  renamed: number;
  bytesSent: number;
}

export interface ScenarioStatistics {
  scenarioId: string;
  state: 'stopped' | 'synchronizing' | 'replicating' | 'suspended' | 'problem';
  roots: RootStatistics[];
  spoolBytes: number;
  spoolThresholdPercent: number;
  lastSync?: { filesCompared: number; bytesCompared: number; bytesSent: number; durationMs: number };
}

/** Where the engines report to; the daemon forwards to the control plane. */
export interface AgentEvents {
  event(event: ScenarioEvent): void;
  alert(scenarioId: string, kind: AlertKind, text: string): void;
  /** A replica's whole list of rewind points, oldest first, each time it changes (the catalog mirrors it). */
  rewindPoints(scenarioId: string, points: RewindPoint[]): void;
}

/** The replication engine as the daemon sees it: one instance serves every scenario on the host. */
export interface ReplicationRuntime {
  /** Master: synchronize, then replicate. Replica: accept the master's stream. Idempotent for the same scenario version. */
  start(assignment: ScenarioAssignment): Promise<void>;
  stop(scenarioId: string): Promise<void>;
  /** Replica: stop applying; changes wait in the master's spool. */
  suspend(scenarioId: string): Promise<void>;
  resume(scenarioId: string): Promise<void>;
  statistics(scenarioId: string): ScenarioStatistics | undefined;
  /** Replica: a point in the undo journal (a scenario that is not running here answers AE0463). */
  createRewindPoint(scenarioId: string, event: RewindPointEvent, label?: string): Promise<RewindPoint>;
  /**
   * Replica: stops the scenario here if it runs, then rolls the data in `directory` (this host's
   * replica folder) back to the point. Works on a stopped scenario too: the journal outlives the stop.
   */
  rewind(scenario: Scenario, directory: string, rewindPointId: string): Promise<RewindOutput>;
  /** Master: sends every replica the master's checksums of its files (assured recovery). */
  sendMasterChecksums(scenarioId: string): Promise<SendChecksumsOutput>;
  /** Replica: the stream position applied so far. */
  appliedSeq(scenarioId: string): number;
  /** Replica: the master's checksums held and not touched since, by master path (taking them empties the ledger). */
  takeMasterChecksums(scenarioId: string): {
    receivedThrough: number;
    checksums: Map<string, { size: number; digest: Buffer }>;
  };
  /** Closes listeners and streams; spools and journals stay on disk for the next start. */
  close(): Promise<void>;
}

/** Entity discovery per application type, run on the master. */
export type DiscoverEntities = (scenario: Scenario) => Promise<Entity[]>;
