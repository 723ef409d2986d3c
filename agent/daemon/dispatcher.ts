/**
 * Runs one command through the handler for its kind and turns the outcome
 * into the result the control plane expects. Failures always carry a
 * catalogue code: the engine's own when it threw a TidemarkError with one,
 * AE0468 for arguments that do not parse, AE0472 for anything else —
 * including a kind this agent has no handler for yet.
 */
import { ZodError } from 'zod';
import type { AgentCommand, CommandKind, CommandResult } from '../../core/command.js';
import {
  type CatalogueCode,
  isCatalogueCode,
  renderError,
  TidemarkError,
} from '../../core/error-catalogue.js';
import { isNoSpace } from '../fs/no-space.js';
import { scenarioLabel } from './command-args.js';
import type { CommandJournal } from './command-journal.js';
import type { Logger } from './logger.js';

export interface CommandContext {
  command: AgentCommand;
  /** This agent's host name. */
  self: string;
  /** Aborted when the agent shuts down; long handlers may stop early. */
  signal: AbortSignal;
  log: Logger;
  /**
   * Names paths this command writes under before anything appears under a real name (a restore's
   * staging folders): removed at the next start if the agent dies first. Durable when it returns.
   */
  noteScratch(paths: readonly string[]): Promise<void>;
}

/** One kind's work: validates its own args (a ZodError becomes AE0468) and returns the success output. */
export type CommandHandler = (args: Record<string, unknown>, context: CommandContext) => Promise<unknown>;
export type CommandHandlers = Partial<Record<CommandKind, CommandHandler>>;

const MAX_MESSAGE = 4000;

function describeZod(error: ZodError): string {
  return error.issues
    .map((issue) => `${issue.path.length > 0 ? `${issue.path.join('.')}: ` : ''}${issue.message}`)
    .join('; ');
}

/** The catalogue code and detail for anything a handler threw. */
export function classifyFailure(error: unknown): { code: CatalogueCode; detail: string } {
  if (error instanceof ZodError)
    return { code: 'AE0468', detail: `bad command arguments: ${describeZod(error)}` };
  // Disk full is the operator's to fix, whichever step met it: its own code rather than the step's.
  if (isNoSpace(error))
    return { code: 'AE0473', detail: error instanceof Error ? error.message : String(error) };
  if (error instanceof TidemarkError && isCatalogueCode(error.code)) {
    return { code: error.code, detail: error.message };
  }
  return { code: 'AE0472', detail: error instanceof Error ? error.message : String(error) };
}

export function failureResult(command: AgentCommand, self: string, error: unknown): CommandResult {
  const { code, detail } = classifyFailure(error);
  const params = { ...scenarioLabel(command.args), host: self, detail };
  const rendered = renderError(code, params).message;
  // AE0472's template already holds the detail; the others get it appended so nothing is lost.
  const message = code === 'AE0472' || code === 'AE0473' ? rendered : `${rendered} ${detail}`;
  return { status: 'failed', code, message: message.slice(0, MAX_MESSAGE) };
}

export class Dispatcher {
  constructor(
    private readonly handlers: CommandHandlers,
    private readonly self: string,
    private readonly log: Logger,
    private readonly journal?: Pick<CommandJournal, 'noteScratch'>,
  ) {}

  async run(command: AgentCommand, signal: AbortSignal): Promise<CommandResult> {
    const handler = this.handlers[command.kind];
    if (!handler) {
      return failureResult(
        command,
        this.self,
        new Error(`this agent has no handler for '${command.kind}' commands yet`),
      );
    }
    try {
      const noteScratch = async (paths: readonly string[]) => this.journal?.noteScratch(command.id, paths);
      const context = { command, self: this.self, signal, log: this.log, noteScratch };
      const output = await handler(command.args, context);
      return output === undefined ? { status: 'succeeded' } : { status: 'succeeded', output };
    } catch (error) {
      const result = failureResult(command, this.self, error);
      this.log.warn('command failed', { commandId: command.id, kind: command.kind, result });
      return result;
    }
  }
}
