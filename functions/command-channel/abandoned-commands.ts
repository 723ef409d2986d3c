/**
 * A command whose workflow step no longer waits — its job was canceled, its
 * execution failed in another branch, or the step timed out — must not reach
 * an agent: a backup run for a canceled job, or a `stop` the workflow has
 * since undone, acts behind the operator's back. Before a command is handed
 * out, its step is asked (a task heartbeat, which also tells a live step the
 * command is on its way); one that is gone is retired as failed instead.
 */
import { SendTaskHeartbeatCommand } from '@aws-sdk/client-sfn';
import { clients } from '../../core/aws-clients.js';
import { finishCommand, getStoredCommand } from '../repositories/commands.js';

/** Step Functions' answers when the waiting step is gone (timed out, aborted, or never existed). */
export const STEP_GONE = new Set(['TaskTimedOut', 'TaskDoesNotExist', 'InvalidToken']);

/** True when the command's step is known to have ended (the command is then failed, never delivered). */
export async function retireIfAbandoned(commandId: string): Promise<boolean> {
  const command = await getStoredCommand(commandId);
  if (command?.taskToken === undefined) return false;
  try {
    await clients.sfn().send(new SendTaskHeartbeatCommand({ taskToken: command.taskToken }));
    return false;
  } catch (error) {
    // Only the answer for a step that ended: on anything else (throttling, a token the service does not
    // know) the command is delivered as before, and its outcome finds out.
    if ((error as Error).name !== 'TaskTimedOut') return false;
  }
  await finishCommand(command, 'failed', {
    error: {
      code: 'AE0469',
      message:
        'its workflow step stopped waiting (the job was canceled or failed, or the step timed out) before the agent took it; not delivered',
    },
  });
  return true;
}
