/**
 * Makes the interpreter's own `States.Timeout` error.
 *
 * Task timeouts are enforced by the task binding, not by aws-local-stepfunctions
 * (see prepare-definition.ts), but the library treats its timeout specially:
 * `States.TaskFailed` in Retry/Catch matches every task error *except* an
 * instance of its internal StatesTimeoutError class, as on AWS. That class is
 * not exported, so it is taken once from a probe execution whose only task
 * times out after 1 ms; any error named `States.Timeout` that is not an
 * instance would be caught by `States.TaskFailed`, which AWS never does.
 */
import './promise-with-resolvers.js';
import { StateMachine } from 'aws-local-stepfunctions';

type ErrorClass = new () => Error;

/** Used only if a future library version stops exposing the instance through ExecutionError.cause. */
class FallbackStatesTimeout extends Error {
  constructor() {
    super('States.Timeout');
    this.name = 'States.Timeout';
  }
}

async function probeTimeoutClass(): Promise<ErrorClass> {
  const probe = new StateMachine(
    {
      StartAt: 'Probe',
      States: {
        // 0.001 s is not valid ASL (hence noValidate), but the library turns it into a 1 ms timer.
        Probe: { Type: 'Task', Resource: 'probe', TimeoutSeconds: 0.001, End: true },
      },
    },
    { validationOptions: { noValidate: true } },
  );
  const execution = probe.run(null, {
    overrides: { taskResourceLocalHandlers: { Probe: () => new Promise<never>(() => {}) } },
  });
  try {
    await execution.result;
  } catch (failure) {
    const timeout = (failure as Error).cause;
    if (timeout instanceof Error && timeout.name === 'States.Timeout') {
      return timeout.constructor as ErrorClass;
    }
  }
  return FallbackStatesTimeout;
}

let timeoutClass: Promise<ErrorClass> | undefined;

/** A fresh States.Timeout error the interpreter recognises as its own timeout. */
export async function statesTimeout(): Promise<Error> {
  timeoutClass ??= probeTimeoutClass();
  const TimeoutClass = await timeoutClass;
  return new TimeoutClass();
}
