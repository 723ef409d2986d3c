/**
 * EventBridge Scheduler schedules of scheduled jobs: each starts the backup
 * state machine with the job's input, assuming the scheduler role. Hold and
 * release flip the schedule's state; UpdateSchedule replaces the whole
 * definition, so the current one is read first and written back with the
 * new state.
 */
import {
  CreateScheduleCommand,
  DeleteScheduleCommand,
  GetScheduleCommand,
  type GetScheduleCommandOutput,
  UpdateScheduleCommand,
} from '@aws-sdk/client-scheduler';
import { clients } from '../../core/aws-clients.js';
import { ENV, requireEnv } from '../../core/environment.js';

export type ScheduleState = 'ENABLED' | 'DISABLED';

/** Schedule names allow [0-9a-zA-Z-_.], at most 64 characters; job ids fit. */
export const scheduleNameOf = (jobId: string) => `tidemark-${jobId}`.slice(0, 64);

export async function createJobSchedule(
  name: string,
  expression: string,
  input: unknown,
  description: string,
): Promise<string> {
  const { ScheduleArn } = await clients.scheduler().send(
    new CreateScheduleCommand({
      Name: name,
      Description: description.slice(0, 512),
      ScheduleExpression: expression,
      ScheduleExpressionTimezone: 'UTC',
      FlexibleTimeWindow: { Mode: 'OFF' },
      State: 'ENABLED',
      Target: {
        Arn: requireEnv(ENV.backupStateMachineArn),
        RoleArn: requireEnv(ENV.schedulerRoleArn),
        Input: JSON.stringify(input),
      },
    }),
  );
  return ScheduleArn ?? name;
}

export async function getJobSchedule(name: string): Promise<GetScheduleCommandOutput> {
  return clients.scheduler().send(new GetScheduleCommand({ Name: name }));
}

export async function setJobScheduleState(name: string, state: ScheduleState): Promise<void> {
  const current = await getJobSchedule(name);
  if (!current.ScheduleExpression || !current.FlexibleTimeWindow || !current.Target) {
    throw new Error(`schedule ${name} came back without its expression, window or target`);
  }
  await clients.scheduler().send(
    new UpdateScheduleCommand({
      Name: name,
      Description: current.Description,
      ScheduleExpression: current.ScheduleExpression,
      ScheduleExpressionTimezone: current.ScheduleExpressionTimezone,
      FlexibleTimeWindow: current.FlexibleTimeWindow,
      Target: current.Target,
      State: state,
    }),
  );
}

/** Deletes the schedule; one that is already gone is fine (a retried delete). */
export async function deleteJobSchedule(name: string): Promise<void> {
  try {
    await clients.scheduler().send(new DeleteScheduleCommand({ Name: name }));
  } catch (error) {
    if ((error as Error).name !== 'ResourceNotFoundException') throw error;
  }
}
