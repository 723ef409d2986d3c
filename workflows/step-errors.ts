/**
 * Catches every error of a task and records it as Step Functions reports it
 * (`{Error, Cause}`) at an error path, then moves on: the workflow keeps
 * going (to resume replication, release the lock) and a later Lambda step
 * turns the record into a catalogue code and message
 * (functions/steps/step-failure.ts: timeouts become AE0469).
 */
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';

export const DEFAULT_ERROR_PATH = '$.error';

export interface StepErrorOptions {
  /** Where the state should go once the error is recorded. */
  next: sfn.IChainable;
  /** Where `{Error, Cause}` is written; other fields of the state are kept. */
  errorPath?: string;
}

export function catchStepErrors(task: sfn.TaskStateBase, options: StepErrorOptions): void {
  task.addCatch(options.next, {
    errors: [sfn.Errors.ALL],
    resultPath: options.errorPath ?? DEFAULT_ERROR_PATH,
  });
}
