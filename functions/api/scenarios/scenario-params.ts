/** Path and query shapes of the scenario routes, shared by handlers and the route docs. */
import { z } from 'zod';

/** `{scenarioId}` in a path: the scenario's id or its unique name. */
export const ScenarioParams = z.object({ scenarioId: z.string().min(1).max(100) });

export const ListScenariosQuery = z.object({
  limit: z.coerce.number().int().min(1).max(500).default(100),
  next: z.string().optional(),
});
