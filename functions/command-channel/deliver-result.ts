/**
 * Hands an agent's outcome to the workflow step waiting on it: checks the
 * command belongs to the calling host, reports to Step Functions by task
 * token, and records the outcome on the command.
 */
import {
  SendTaskFailureCommand,
  SendTaskHeartbeatCommand,
  SendTaskSuccessCommand,
} from '@aws-sdk/client-sfn';
import { clients } from '../../core/aws-clients.js';
import type { CommandResult } from '../../core/command.js';
import { TidemarkError } from '../../core/error-catalogue.js';
import { finishCommand, getStoredCommand, touchCommand } from '../repositories/commands.js';
import { STEP_GONE } from './abandoned-commands.js';

async function commandOfHost(commandId: string, hostId: string) {
  const command = await getStoredCommand(commandId);
  if (!command) throw new TidemarkError('NotFound', `no command has id '${commandId}'`, 404, 'commandId');
  // An agent acts only for its own host: another host's command is forbidden, not merely missing.
  if (command.hostId !== hostId) {
    throw new TidemarkError('Forbidden', `command '${commandId}' belongs to another host`, 403, 'commandId');
  }
  return command;
}

export async function deliverResult(hostId: string, commandId: string, result: CommandResult) {
  const command = await commandOfHost(commandId, hostId);
  if (command.status === 'succeeded' || command.status === 'failed') {
    throw new TidemarkError('Conflict', `command '${commandId}' already finished (${command.status})`, 409);
  }
  const sfn = clients.sfn();
  let late = false;
  try {
    // A command the API wrote itself has no waiting step: its outcome is only recorded.
    if (command.taskToken === undefined) {
      // nothing to tell Step Functions
    } else if (result.status === 'succeeded') {
      await sfn.send(
        new SendTaskSuccessCommand({
          taskToken: command.taskToken,
          output: JSON.stringify(result.output ?? {}),
        }),
      );
    } else {
      await sfn.send(
        new SendTaskFailureCommand({
          taskToken: command.taskToken,
          error: result.code,
          cause: result.message,
        }),
      );
    }
  } catch (error) {
    if (!STEP_GONE.has((error as Error).name)) throw error;
    late = true;
  }
  await finishCommand(
    command,
    result.status,
    result.status === 'succeeded'
      ? { output: result.output }
      : { error: { code: result.code, message: result.message } },
  );
  if (late) {
    throw new TidemarkError(
      'Conflict',
      `command '${commandId}': the workflow step stopped waiting (deadline ${command.deadline}); the outcome was recorded but not applied`,
      409,
    );
  }
  return { id: command.id, status: result.status };
}

/** Tells the waiting step the agent is still at work, so heartbeat timeouts do not fire. */
export async function heartbeatCommand(hostId: string, commandId: string) {
  const command = await commandOfHost(commandId, hostId);
  if (command.status !== 'running') {
    throw new TidemarkError('Conflict', `command '${commandId}' is ${command.status}, not running`, 409);
  }
  // First: that the agent holds it is true whether or not its step still waits (no redelivery then).
  await touchCommand(command);
  try {
    if (command.taskToken !== undefined) {
      await clients.sfn().send(new SendTaskHeartbeatCommand({ taskToken: command.taskToken }));
    }
  } catch (error) {
    if (!STEP_GONE.has((error as Error).name)) throw error;
    throw new TidemarkError('Conflict', `command '${commandId}': the workflow step stopped waiting`, 409);
  }
  return { id: command.id, status: command.status };
}
