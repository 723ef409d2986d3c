/**
 * Binds an execution's Task states to local work, by state name (the key
 * aws-local-stepfunctions' `taskResourceLocalHandlers` uses, also inside Map
 * and Parallel states):
 *
 * - a Lambda function ARN → `invokeLambda(arn, input)`; its result is the task's;
 * - `lambda:invoke` → `invokeLambda(FunctionName, Payload)`, the result wrapped
 *   as the integration returns it;
 * - `lambda:invoke.waitForTaskToken` → a token is minted and put where the
 *   definition reads `$$.Task.Token`, the function is invoked, and the task
 *   waits for SendTaskSuccess / SendTaskFailure on that token;
 * - anything else fails the execution with States.Runtime naming the resource.
 *
 * The binding also enforces each task's timeout (TimeoutSeconds or
 * TimeoutSecondsPath; none when neither is set, as on AWS) and heartbeat, and
 * unblocks its tasks when the execution stops or ends.
 */
import type { RunOptions } from 'aws-local-stepfunctions';
import type { ExecutionHistory, TaskActivity } from './execution-history.js';
import { type BoundTaskInput, MAX_TIMER_SECONDS, type TaskSpec } from './prepare-definition.js';
import { statesTimeout } from './states-timeout-error.js';
import { executionClosed, lambdaFailure, runtimeFailure } from './task-errors.js';
import type { TaskTokenRegistry } from './task-tokens.js';

/** Runs a Lambda function locally: resolves with its result, rejects with its error (name = errorType). */
export type InvokeLambda = (functionArn: string, payload: unknown) => Promise<unknown>;

export type TaskHandlers = NonNullable<NonNullable<RunOptions['overrides']>['taskResourceLocalHandlers']>;
type TaskResult = ReturnType<TaskHandlers[string]>;

/**
 * What every execution's context carries as `$$.Task.Token` (the library has
 * no tokens of its own); the binding swaps it for the task's real token.
 */
export const TASK_TOKEN_PLACEHOLDER = 'tidemark-local-sfn:task-token-placeholder';

export interface ExecutionScope {
  executionArn: string;
  /** Aborted when the execution stops or ends: every task still running is let go. */
  signal: AbortSignal;
  history: ExecutionHistory;
}

export interface TaskBindingDependencies {
  invokeLambda: InvokeLambda;
  tokens: TaskTokenRegistry;
}

interface TaskLimits {
  timeoutMs?: number;
  heartbeatSeconds?: number;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A positive whole number of seconds, or undefined when beyond what a local timer can wait. */
function seconds(value: unknown, field: string, stateName: string): number | undefined {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw runtimeFailure(
      `${field} of state '${stateName}' is ${JSON.stringify(value)}, not a positive integer`,
    );
  }
  return value > MAX_TIMER_SECONDS ? undefined : value;
}

function limitsOf(spec: TaskSpec, bound: BoundTaskInput): TaskLimits {
  const limits: TaskLimits = {};
  const timeout =
    spec.timeoutSeconds !== undefined
      ? seconds(spec.timeoutSeconds, 'TimeoutSeconds', spec.stateName)
      : 'timeoutSeconds' in bound
        ? seconds(bound.timeoutSeconds, 'TimeoutSecondsPath', spec.stateName)
        : undefined;
  if (timeout !== undefined) limits.timeoutMs = timeout * 1000;
  const heartbeat =
    spec.heartbeatSeconds !== undefined
      ? seconds(spec.heartbeatSeconds, 'HeartbeatSeconds', spec.stateName)
      : 'heartbeatSeconds' in bound
        ? seconds(bound.heartbeatSeconds, 'HeartbeatSecondsPath', spec.stateName)
        : undefined;
  if (heartbeat !== undefined) limits.heartbeatSeconds = heartbeat;
  return limits;
}

/** Puts the real token wherever the definition placed `$$.Task.Token`, also inside strings (States.Format). */
function withToken(value: unknown, token: string): unknown {
  if (typeof value === 'string') return value.replaceAll(TASK_TOKEN_PLACEHOLDER, token);
  if (Array.isArray(value)) return value.map((item) => withToken(item, token));
  if (isObject(value))
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, withToken(v, token)]));
  return value;
}

function invocationOf(spec: TaskSpec, payload: unknown): { functionName: string; payload: unknown } {
  if (!isObject(payload) || typeof payload.FunctionName !== 'string' || payload.FunctionName === '') {
    throw runtimeFailure(`state '${spec.stateName}' (${spec.resource}) needs Parameters with a FunctionName`);
  }
  // AWS invokes with an empty event when Payload is left out.
  return { functionName: payload.FunctionName, payload: payload.Payload ?? {} };
}

/** The lambda:invoke integration's result; AWS also adds SDK metadata, which nothing here reads. */
function invokeResponse(result: unknown): Record<string, unknown> {
  return { ExecutedVersion: '$LATEST', Payload: result ?? null, StatusCode: 200 };
}

/**
 * Settles with `work`, unless the task's time runs out first (States.Timeout,
 * after `onTimeout` has closed what the task holds) or the execution closes.
 */
function settleWithin<T>(
  work: Promise<T>,
  timeoutMs: number | undefined,
  scope: ExecutionScope,
  onTimeout: (timeout: Error) => void,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let done = false;
    let timer: NodeJS.Timeout | undefined;
    const finish = (settle: () => void) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      scope.signal.removeEventListener('abort', onClosed);
      settle();
    };
    const onClosed = () => finish(() => reject(executionClosed(scope.executionArn)));
    if (scope.signal.aborted) return onClosed();
    scope.signal.addEventListener('abort', onClosed, { once: true });
    if (timeoutMs !== undefined) {
      timer = setTimeout(() => {
        void statesTimeout().then((timeout) => {
          if (done) return;
          onTimeout(timeout);
          finish(() => reject(timeout));
        });
      }, timeoutMs);
    }
    work.then(
      (value) => finish(() => resolve(value)),
      (error: unknown) => finish(() => reject(error)),
    );
  });
}

function endOf(error: unknown): TaskActivity['end'] {
  const failure = error instanceof Error ? error : new Error(String(error));
  const timedOut = failure.name === 'States.Timeout' || failure.name === 'States.HeartbeatTimeout';
  return {
    at: Date.now(),
    outcome: timedOut ? 'timed-out' : 'failed',
    error: failure.name,
    cause: failure.message,
  };
}

async function runTask(
  spec: TaskSpec,
  rawInput: unknown,
  scope: ExecutionScope,
  { invokeLambda, tokens }: TaskBindingDependencies,
): Promise<unknown> {
  if (scope.signal.aborted) throw executionClosed(scope.executionArn);
  if (spec.kind === 'unsupported') {
    throw runtimeFailure(
      `state '${spec.stateName}': resource '${spec.resource}' has no local binding ` +
        '(local Step Functions runs Lambda function ARNs, lambda:invoke and lambda:invoke.waitForTaskToken)',
    );
  }
  // prepare-definition.ts made the library hand every bound task this shape.
  const bound = rawInput as BoundTaskInput;
  const limits = limitsOf(spec, bound);
  const activity: TaskActivity = {
    stateName: spec.stateName,
    kind: spec.kind,
    resource: spec.resource,
    input: bound.payload,
    scheduledAt: Date.now(),
  };

  let token: string | undefined;
  let work: Promise<unknown>;
  if (spec.kind === 'lambda-function') {
    work = invokeLambda(spec.resource, bound.payload).catch((error: unknown) => {
      throw lambdaFailure(error);
    });
  } else if (spec.kind === 'lambda-invoke') {
    const invocation = invocationOf(spec, bound.payload);
    work = invokeLambda(invocation.functionName, invocation.payload).then(
      invokeResponse,
      (error: unknown) => {
        throw lambdaFailure(error);
      },
    );
  } else {
    invocationOf(spec, bound.payload); // fail on bad parameters before a token exists
    const opened = tokens.mint(
      { executionArn: scope.executionArn, stateName: spec.stateName },
      limits.heartbeatSeconds,
    );
    const taskToken = opened.token;
    token = taskToken;
    const parameters = withToken(bound.payload, taskToken);
    activity.input = parameters;
    const invocation = invocationOf(spec, parameters);
    const submitted = invokeLambda(invocation.functionName, invocation.payload).then(
      (result) => {
        activity.submitted = { at: Date.now(), output: invokeResponse(result) };
      },
      (error: unknown) => {
        // The task fails with the function's error; its token must not complete anything later.
        const failure = lambdaFailure(error);
        tokens.expire(taskToken, failure);
        throw failure;
      },
    );
    // An answer may arrive before the invoke returns (the agent is fast); either settles the task.
    work = Promise.race([opened.outcome, submitted.then(() => opened.outcome)]);
  }

  try {
    const result = await settleWithin(work, limits.timeoutMs, scope, (timeout) => {
      if (token !== undefined) tokens.expire(token, timeout);
    });
    activity.end = { at: Date.now(), outcome: 'succeeded', output: result ?? null };
    scope.history.taskEnded(activity);
    return result ?? null;
  } catch (error) {
    // A closed execution's tasks are not part of its story: AWS records nothing for them.
    if (!scope.signal.aborted) {
      activity.end = endOf(error);
      scope.history.taskEnded(activity);
    }
    throw error;
  }
}

/** The handlers for one execution's `taskResourceLocalHandlers`. */
export function bindTasks(
  tasks: ReadonlyMap<string, TaskSpec>,
  scope: ExecutionScope,
  dependencies: TaskBindingDependencies,
): TaskHandlers {
  const handlers: TaskHandlers = {};
  for (const spec of tasks.values()) {
    // The library's handler type speaks of its JSONValue; ours produce parsed JSON, which is that.
    handlers[spec.stateName] = (input) => runTask(spec, input, scope, dependencies) as TaskResult;
  }
  return handlers;
}
