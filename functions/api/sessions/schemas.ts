/** Request and response shapes of the sessions routes (also their OpenAPI doc). */
import { z } from 'zod';
import { parseMediaRef, Session, SessionNumber } from '../../../core/session.js';

/** A scenario named in a query: its id (`s-…`) or its unique name. */
export const ScenarioQueryRef = z.string().min(1).max(100);

export const PageQuery = {
  limit: z.coerce.number().int().min(1).max(500).default(100),
  next: z.string().min(1).optional(),
};

export const ListSessionsQuery = z
  .strictObject({
    scenario: ScenarioQueryRef.optional(),
    /** `s3://<bucket>/<prefix>` */
    media: z
      .string()
      .max(600)
      .refine((text) => parseMediaRef(text) !== undefined, 'must be s3://<bucket>/<prefix>')
      .optional(),
    ...PageQuery,
  })
  .refine((query) => !(query.scenario && query.media), {
    message: 'filter by scenario or by media, not both',
    path: ['media'],
  });

export const SessionParams = z.object({ number: SessionNumber });

export const SessionPage = z.object({ sessions: z.array(Session), next: z.string().optional() });
