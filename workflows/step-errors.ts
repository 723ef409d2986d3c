/**
 * Turns a failed task into a plain `{code, message}` at an error path, then
 * moves on: the workflow keeps going and reports the code instead of
 * failing the whole execution. A timed-out agent step becomes AE0469; any
 * other error keeps its name as the code (a SendTaskFailure from the agent
 * carries the catalogue code, a Lambda error its TidemarkError code).
 */
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';

export const DEFAULT_ERROR_PATH = '$.error';

export const TIMEOUT_ERROR = { code: 'AE0469', message: 'the agent step passed its timeout' } as const;

export interface StepErrorOptions {
  /** Where the state should go once the error is recorded. */
  next: sfn.IChainable;
  /** Where `{code, message}` is written; other fields of the state are kept. */
  errorPath?: string;
  /** Whether the task has a timeout to catch (agent steps do; a plain Lambda step has none). */
  catchTimeout?: boolean;
}

/** Adds the catches to `task`; the Pass states are named after it, `<Task>TimedOut` and `<Task>Failed`. */
export function catchStepErrors(task: sfn.TaskStateBase, options: StepErrorOptions): void {
  const errorPath = options.errorPath ?? DEFAULT_ERROR_PATH;
  const scope = task.node.scope;
  if (!scope) throw new Error(`${task.node.id} has no scope`);
  const name = task.node.id;

  const failed = new sfn.Pass(scope, `${name}Failed`, {
    parameters: {
      code: sfn.JsonPath.stringAt(`${errorPath}.Error`),
      message: sfn.JsonPath.stringAt(`${errorPath}.Cause`),
    },
    resultPath: errorPath,
  });
  if (options.catchTimeout ?? true) {
    const timedOut = new sfn.Pass(scope, `${name}TimedOut`, {
      result: sfn.Result.fromObject({ ...TIMEOUT_ERROR }),
      resultPath: errorPath,
    });
    task.addCatch(timedOut.next(options.next), { errors: [sfn.Errors.TIMEOUT], resultPath: errorPath });
  }
  // States.ALL must come last: Step Functions tries catchers in order.
  task.addCatch(failed.next(options.next), { errors: [sfn.Errors.ALL], resultPath: errorPath });
}
