/**
 * Scenario events: numbered messages such as `SR00104` (connected) that the
 * engines raise and agents post. Each gets a per-scenario sequence number
 * when it is stored, so "newest first" is well defined.
 */
import { z } from 'zod';

export const EventSeverity = z.enum(['info', 'warning', 'error']);

/** Two upper-case letters and five digits: `SR00104`. */
export const EventId = z
  .string()
  .regex(/^[A-Z]{2}\d{5}$/, 'must be two capital letters and five digits, e.g. SR00104');

export const ScenarioEventRecord = z.object({
  scenarioId: z.string().min(1),
  sequence: z.number().int().min(1),
  eventId: EventId,
  severity: EventSeverity,
  /** The host name of the agent that reported it. */
  host: z.string().min(1),
  text: z.string().min(1).max(4000),
  time: z.iso.datetime(),
});
export type ScenarioEventRecord = z.infer<typeof ScenarioEventRecord>;

/** Alerts an agent may raise (the agent contract's AlertKind). */
export const AgentAlertKind = z.enum([
  'lost_connection',
  'queue_overflow',
  'disk_full',
  'rewind_points_dropped',
  'master_lost',
  'significant_info',
]);

/** POST /agent/events: the agent contract's ScenarioEvent and alerts, batched. */
export const PostEventsRequest = z.strictObject({
  events: z
    .array(
      z.strictObject({
        scenarioId: z.string().min(1).max(100),
        eventId: EventId,
        severity: EventSeverity,
        text: z.string().min(1).max(4000),
        at: z.iso.datetime(),
      }),
    )
    .max(100),
  alerts: z
    .array(
      z.strictObject({
        scenarioId: z.string().min(1).max(100),
        kind: AgentAlertKind,
        text: z.string().min(1).max(4000),
      }),
    )
    .max(20)
    .optional(),
});
export type PostEventsRequest = z.infer<typeof PostEventsRequest>;
