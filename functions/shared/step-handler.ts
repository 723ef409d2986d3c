/**
 * The wrapper for workflow step Lambdas: Powertools logging, a zod parse of
 * the step's input. A bad input is an internal error of the engine's
 * parameters (AE0468), thrown with that name so the state machine's Catch
 * can tell it apart.
 */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { z } from 'zod';
import { TidemarkError } from '../../core/error-catalogue.js';
import { logger } from './powertools.js';

export function stepHandler<S extends z.ZodType, R>(schema: S, run: (input: z.output<S>) => Promise<R>) {
  return middy<unknown, R>()
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .handler(async (event) => {
      const parsed = schema.safeParse(event);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        const where = issue?.path.map(String).join('.') || 'input';
        throw new TidemarkError('AE0468', `bad step input at '${where}': ${issue?.message ?? 'invalid'}`);
      }
      return run(parsed.data);
    });
}
