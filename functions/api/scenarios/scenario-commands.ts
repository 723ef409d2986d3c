/**
 * The commands behind run, stop and discover: one per participating host,
 * written straight to the command channel without a task token (no workflow
 * waits on them; the agents report progress through their status reports).
 * Each carries a `ScenarioAssignment` (agent/scenario-runtime.ts): the
 * scenario, the host it is for, and where its peers' data ports listen.
 */
import type { CommandKind } from '../../../core/command.js';
import { TidemarkError } from '../../../core/error-catalogue.js';
import type { Host } from '../../../core/host.js';
import type { ScenarioView } from '../../../core/scenario-status.js';
import { createCommand } from '../../repositories/commands.js';
import type { ScenarioHosts } from './scenario-hosts.js';

interface PeerAddress {
  host: string;
  address: string;
  port: number;
}

function peerOf(host: Host): PeerAddress | undefined {
  const address = host.addresses[0];
  return address !== undefined && host.dataPort !== undefined
    ? { host: host.name, address, port: host.dataPort }
    : undefined;
}

/** Replication needs every host's data port: refuse (409) to start while one is unknown. */
export function assertPeersReachable(hosts: ScenarioHosts): void {
  for (const host of [hosts.master, ...hosts.replicas]) {
    if (peerOf(host)) continue;
    throw new TidemarkError(
      'Conflict',
      `host '${host.name}' has not reported an address and a data port in a heartbeat yet; start its agent first`,
      409,
    );
  }
}

/** The master talks to every replica; a replica only to its master. */
function peersOf(self: Host, hosts: ScenarioHosts): PeerAddress[] {
  const others = self.id === hosts.master.id ? hosts.replicas : [hosts.master];
  return others.flatMap((peer) => peerOf(peer) ?? []);
}

/** What agents get of a scenario: its definition; other hosts' reports are none of their business. */
export function definitionOf(scenario: ScenarioView) {
  const { reports: _reports, ...definition } = scenario;
  return definition;
}

/** Writes one command of `kind` for a host, with `args`; answers what was written. */
export async function sendCommand(
  scenario: ScenarioView,
  host: Host,
  kind: CommandKind,
  args: Record<string, unknown>,
) {
  const command = await createCommand({
    hostId: host.id,
    kind,
    args,
    timeoutSeconds: scenario.options.agentTimeoutSeconds,
  });
  return { id: command.id, hostId: host.id, host: host.name, kind };
}

/** Writes `kind` for each target host; returns what was written. */
export async function sendScenarioCommands(
  scenario: ScenarioView,
  hosts: ScenarioHosts,
  kind: Extract<CommandKind, 'start' | 'stop' | 'discover'>,
  targets: readonly Host[],
) {
  const definition = definitionOf(scenario);
  return Promise.all(
    targets.map((host) =>
      sendCommand(scenario, host, kind, {
        scenario: definition,
        self: host.name,
        peers: peersOf(host, hosts),
      }),
    ),
  );
}
