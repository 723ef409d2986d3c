/**
 * The arguments each command kind carries, as the agent accepts them.
 * `start` and `discover` need the whole scenario; `stop`, `suspend` and
 * `resume` need only its id (the backup workflow sends `scenarioId` and
 * `scenarioName`), but accept the scenario as well.
 */
import { z } from 'zod';
import { HostAddress, HostName } from '../../core/host.js';
import { Scenario } from '../../core/scenario.js';

export const PeerAddressArgs = z.strictObject({
  host: HostName,
  address: HostAddress,
  port: z.number().int().min(1).max(65_535),
});

export const StartArgs = z.object({
  scenario: Scenario,
  /** The host the control plane meant the command for; checked against this agent's name. */
  self: HostName.optional(),
  peers: z.array(PeerAddressArgs).max(16).default([]),
});
export type StartArgs = z.infer<typeof StartArgs>;

export const DiscoverArgs = z.object({ scenario: Scenario, self: HostName.optional() });

/** A command about one scenario: its id and, for messages, its name. */
export const ScenarioRefArgs = z
  .object({
    scenarioId: z.string().min(1).max(100).optional(),
    scenarioName: z.string().max(100).optional(),
    scenario: Scenario.optional(),
  })
  .refine((args) => args.scenarioId !== undefined || args.scenario !== undefined, {
    message: 'needs scenarioId or scenario',
    path: ['scenarioId'],
  })
  .transform((args) => ({
    scenarioId: args.scenario?.id ?? (args.scenarioId as string),
    scenarioName: args.scenario?.name ?? args.scenarioName,
  }));

/** What a failure message can say about the scenario, read leniently from any command's args. */
export function scenarioLabel(args: Record<string, unknown>): { scenario?: string; scenarioId?: string } {
  const scenario = z.object({ id: z.string(), name: z.string() }).partial().safeParse(args.scenario);
  const pick = (value: unknown) => (typeof value === 'string' ? value : undefined);
  return {
    scenario: (scenario.success ? scenario.data.name : undefined) ?? pick(args.scenarioName),
    scenarioId: (scenario.success ? scenario.data.id : undefined) ?? pick(args.scenarioId),
  };
}
