/**
 * Errors a bound Task state raises inside the interpreter. aws-local-stepfunctions
 * matches Retry and Catch on `error.name` and puts `error.message` in the
 * caught `Cause`, so each error here carries the name Step Functions would
 * report and the cause it would show, and no `cause` property (the library
 * would prefer that over the message in its event log).
 */

/** An error the interpreter matches by name; `retryable`/`catchable` are the flags the library reads. */
class TaskError extends Error {
  constructor(
    name: string,
    cause: string,
    private readonly retryable = true,
    private readonly catchable = true,
  ) {
    super(cause);
    this.name = name;
  }

  // aws-local-stepfunctions reads these two getters (its RuntimeError API) before Retry and Catch.
  get isRetryable(): boolean {
    return this.retryable;
  }

  get isCatchable(): boolean {
    return this.catchable;
  }
}

/** A failure reported by SendTaskFailure: the caller's error code and cause, as given. */
export function reportedFailure(error: string, cause: string): Error {
  return new TaskError(error, cause);
}

/**
 * A Lambda function's error, shaped as Step Functions reports it: the error is
 * the function's errorType (the thrown error's name) and the cause is the JSON
 * document Lambda returns, so workflows that parse `Cause` behave as on AWS.
 */
export function lambdaFailure(thrown: unknown): Error {
  const error = thrown instanceof Error ? thrown : new Error(String(thrown));
  const errorType = error.name || 'Error';
  const trace = (error.stack ?? '').split('\n').map((line) => line.trim());
  return new TaskError(errorType, JSON.stringify({ errorType, errorMessage: error.message, trace }));
}

/** A missed heartbeat: Step Functions fails the task with States.HeartbeatTimeout (States.TaskFailed matches it). */
export function heartbeatTimeout(seconds: number): Error {
  return new TaskError('States.HeartbeatTimeout', `no heartbeat within ${seconds} s`);
}

/**
 * A fault in the definition or the local binding (bad path value, unsupported
 * resource). Like States.Runtime on AWS it can be neither retried nor caught,
 * so it fails the execution instead of hiding behind a `States.ALL` catcher.
 */
export function runtimeFailure(message: string): Error {
  return new TaskError('States.Runtime', message, false, false);
}

/**
 * Unblocks a task whose execution was stopped, timed out or closed. The
 * library has already settled the execution by then; this only lets its
 * state loop unwind, so it must not be retried or caught into more work.
 */
export function executionClosed(executionArn: string): Error {
  return new TaskError(
    'States.ExecutionClosed',
    `execution ${executionArn} is no longer running`,
    false,
    false,
  );
}
