import { z } from 'zod';
import { ScenarioEventRecord } from '../../../core/event.js';
import { PageQuery } from '../sessions/schemas.js';

export const EventsQuery = z.strictObject(PageQuery);
export const EventPage = z.object({
  scenarioId: z.string(),
  events: z.array(ScenarioEventRecord),
  next: z.string().optional(),
});
export const PostEventsResponse = z.object({
  events: z.array(ScenarioEventRecord),
  alertsPublished: z.number().int(),
});
