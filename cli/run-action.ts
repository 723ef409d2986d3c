/**
 * Wraps a command action so that every failure ends the same way: one line
 * `error <code>: <message>` on stderr (plus the field, when the API named
 * one) and the CliError's exit code — never a stack trace.
 */
import { InvalidArgumentError } from 'commander';
import { CliError } from './cli-error.js';

// biome-ignore lint/suspicious/noExplicitAny: commander passes positional arguments of any shape.
type Action = (...args: any[]) => Promise<void>;

export function runAction(action: Action): Action {
  return async (...args) => {
    try {
      await action(...args);
    } catch (error) {
      const failure =
        error instanceof CliError
          ? error
          : new CliError('InternalError', (error as Error).message ?? String(error));
      const field = failure.field ? ` (field: ${failure.field})` : '';
      process.stderr.write(`error ${failure.code}: ${failure.message}${field}\n`);
      process.exitCode = failure.exitCode;
    }
  };
}

/** commander option parser for repeatable options. */
export function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** commander option parser for whole numbers; commander names the option in its message. */
export function integer(value: string): number {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError(`'${value}' is not a whole number.`);
  return Number(value);
}
