import type { z } from 'zod';
import { TidemarkError } from '../../core/error-catalogue.js';

/**
 * Parses a value with a zod schema; on failure throws a 400 that names the
 * first bad field (`name`, `addresses.1`) and says what is wrong with it.
 */
export function parseWith<S extends z.ZodType>(schema: S, value: unknown, where: string): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  if (!issue) throw new TidemarkError('BadRequest', `${where} is invalid`, 400);
  let field = issue.path.map(String).join('.');
  let problem = issue.message;
  if (issue.code === 'unrecognized_keys') {
    const key = issue.keys[0] ?? '';
    field = [...issue.path.map(String), key].filter(Boolean).join('.');
    problem = 'is not a known field';
  }
  const message = field ? `${where} field '${field}': ${problem}` : `${where}: ${problem}`;
  throw new TidemarkError('BadRequest', message, 400, field || where);
}
