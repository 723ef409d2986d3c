/**
 * An execution's history in Step Functions' terms (GetExecutionHistory),
 * built from two sources:
 *
 * - the library's event log (execution, state, Map iteration events), which
 *   arrives asynchronously and in order;
 * - the task binding's record of each task it ran (when it was scheduled,
 *   submitted, how it ended), from which the Lambda/Task events AWS shows
 *   between a Task state's Entered and Exited events are made.
 *
 * The two meet when the library reports a Task state as exited or failed:
 * the first ended task of that state with the matching outcome supplies the
 * task events. Concurrent Map iterations end through the same chain of
 * promises, so they are reported in the order they ended.
 */
import type { HistoryEvent, HistoryEventType } from '@aws-sdk/client-sfn';
import type { StateMachine } from 'aws-local-stepfunctions';
import type { TaskKind, TaskSpec } from './prepare-definition.js';

/** One entry of the library's event log (the library does not export the type). */
export type LibraryEvent =
  ReturnType<StateMachine['run']>['eventLogs'] extends AsyncGenerator<infer Event> ? Event : never;

export type TaskEnd =
  | { at: number; outcome: 'succeeded'; output: unknown }
  | { at: number; outcome: 'failed' | 'timed-out'; error: string; cause: string };

/** What the task binding records about one run of a Task state. */
export interface TaskActivity {
  stateName: string;
  kind: Exclude<TaskKind, 'unsupported'>;
  /** The state's Resource. */
  resource: string;
  /** The function's input (Lambda ARN tasks) or the integration's parameters. */
  input: unknown;
  scheduledAt: number;
  /** A waitForTaskToken task's Lambda invoke returned; the task now waits for its token. */
  submitted?: { at: number; output: unknown };
  end?: TaskEnd;
}

export interface HistoryContext {
  tasks: ReadonlyMap<string, TaskSpec>;
  region: string;
  roleArn: string;
  /** The error and cause StopExecution was given, for ExecutionAborted. */
  stopDetails: () => { error?: string | undefined; cause?: string | undefined } | undefined;
}

type Details = Omit<HistoryEvent, 'id' | 'type' | 'timestamp' | 'previousEventId'>;

const NOT_TRUNCATED = { truncated: false };

function json(value: unknown): string {
  return JSON.stringify(value ?? null);
}

function text(value: unknown): string {
  return typeof value === 'string' ? value : json(value);
}

/** `arn:aws:states:::sqs:sendMessage` → sqs / sendMessage, as TaskFailed details name a resource. */
function resourceParts(resource: string): { resourceType: string; resource: string } {
  const integration = /^arn:[^:]+:states:::([^:]+):(.+)$/.exec(resource);
  if (integration?.[1] && integration[2]) return { resourceType: integration[1], resource: integration[2] };
  if (/^arn:[^:]+:lambda:/.test(resource)) return { resourceType: 'lambda', resource };
  return { resourceType: 'unknown', resource };
}

export class ExecutionHistory {
  private readonly events: HistoryEvent[] = [];
  /** Ended task runs not yet placed in the history, in the order they ended. */
  private readonly ended: TaskActivity[] = [];
  /** Map/Parallel states that failed since they were entered, so no *StateSucceeded is reported. */
  private readonly failedStates = new Set<string>();

  constructor(private readonly context: HistoryContext) {}

  /** Called by the task binding when a task it ran has ended. */
  taskEnded(activity: TaskActivity): void {
    this.ended.push(activity);
  }

  list(): HistoryEvent[] {
    return [...this.events];
  }

  record(event: LibraryEvent): void {
    switch (event.type) {
      case 'ExecutionStarted':
        this.add('ExecutionStarted', event.timestamp, {
          executionStartedEventDetails: {
            input: json(event.input),
            inputDetails: NOT_TRUNCATED,
            roleArn: this.context.roleArn,
          },
        });
        return;
      case 'ExecutionSucceeded':
        this.add('ExecutionSucceeded', event.timestamp, {
          executionSucceededEventDetails: { output: json(event.output), outputDetails: NOT_TRUNCATED },
        });
        return;
      case 'ExecutionFailed':
        this.add('ExecutionFailed', event.timestamp, {
          executionFailedEventDetails: { error: event.Error, cause: text(event.Cause) },
        });
        return;
      case 'ExecutionAborted': {
        const stop = this.context.stopDetails();
        this.add('ExecutionAborted', event.timestamp, {
          executionAbortedEventDetails: { error: stop?.error, cause: stop?.cause },
        });
        return;
      }
      case 'ExecutionTimeout':
        this.add('ExecutionTimedOut', event.timestamp, {
          executionTimedOutEventDetails: {
            error: 'States.Timeout',
            cause: 'The execution passed its TimeoutSeconds',
          },
        });
        return;
      case 'StateEntered':
        this.failedStates.delete(event.state.name);
        this.add(`${event.state.type}StateEntered` as HistoryEventType, event.timestamp, {
          stateEnteredEventDetails: {
            name: event.state.name,
            input: json(event.state.input),
            inputDetails: NOT_TRUNCATED,
          },
        });
        return;
      case 'StateExited':
        this.stateExited(event.state.name, event.state.type, event.state.output, event.timestamp);
        return;
      case 'StateFailed':
        this.stateFailed(event.state.name, event.state.type, event.Error, text(event.Cause), event.timestamp);
        return;
      case 'MapIterationStarted':
      case 'MapIterationSucceeded':
      case 'MapIterationFailed': {
        const details = { name: event.parentState.name, index: event.index };
        const key = `mapIteration${event.type.slice('MapIteration'.length)}EventDetails`;
        this.add(event.type, event.timestamp, { [key]: details });
        return;
      }
      default:
        // StateRetried, StateCaught and Parallel branch events have no event of their own on AWS:
        // a retry shows as the task being scheduled again, a catch as the next state being entered.
        return;
    }
  }

  private stateExited(name: string, type: string, output: unknown, timestamp: number): void {
    if (type === 'Task') {
      const activity = this.takeEnded(name, (end) => end.outcome === 'succeeded');
      if (activity) this.addTaskEvents(activity);
    }
    if ((type === 'Map' || type === 'Parallel') && !this.failedStates.has(name)) {
      this.add(`${type}StateSucceeded` as HistoryEventType, timestamp, {});
    }
    this.add(`${type}StateExited` as HistoryEventType, timestamp, {
      stateExitedEventDetails: { name, output: json(output), outputDetails: NOT_TRUNCATED },
    });
  }

  private stateFailed(name: string, type: string, error: string, cause: string, timestamp: number): void {
    if (type === 'Task') {
      const activity = this.takeEnded(name, (end) => end.outcome !== 'succeeded' && end.error === error);
      if (activity) {
        this.addTaskEvents(activity);
        return;
      }
      // The state failed outside its task (a path that does not resolve, an unsupported resource).
      const spec = this.context.tasks.get(name);
      this.add('TaskFailed', timestamp, {
        taskFailedEventDetails: { ...resourceParts(spec?.resource ?? ''), error, cause },
      });
      return;
    }
    if (type === 'Map' || type === 'Parallel') {
      this.failedStates.add(name);
      this.add(`${type}StateFailed` as HistoryEventType, timestamp, {});
    }
    // Other states fail only into ExecutionFailed, which carries the error on AWS too.
  }

  private takeEnded(stateName: string, matches: (end: TaskEnd) => boolean): TaskActivity | undefined {
    const index = this.ended.findIndex(
      (a) => a.stateName === stateName && a.end !== undefined && matches(a.end),
    );
    if (index < 0) return undefined;
    return this.ended.splice(index, 1)[0];
  }

  private addTaskEvents(activity: TaskActivity): void {
    const end = activity.end;
    if (activity.kind === 'lambda-function') {
      this.add('LambdaFunctionScheduled', activity.scheduledAt, {
        lambdaFunctionScheduledEventDetails: {
          resource: activity.resource,
          input: json(activity.input),
          inputDetails: NOT_TRUNCATED,
        },
      });
      this.add('LambdaFunctionStarted', activity.scheduledAt, {});
      if (end?.outcome === 'succeeded') {
        this.add('LambdaFunctionSucceeded', end.at, {
          lambdaFunctionSucceededEventDetails: { output: json(end.output), outputDetails: NOT_TRUNCATED },
        });
      } else if (end) {
        const failure = { error: end.error, cause: end.cause };
        if (end.outcome === 'timed-out') {
          this.add('LambdaFunctionTimedOut', end.at, { lambdaFunctionTimedOutEventDetails: failure });
        } else {
          this.add('LambdaFunctionFailed', end.at, { lambdaFunctionFailedEventDetails: failure });
        }
      }
      return;
    }

    const resource = {
      resourceType: 'lambda',
      resource: activity.kind === 'lambda-invoke' ? 'invoke' : 'invoke.waitForTaskToken',
    };
    this.add('TaskScheduled', activity.scheduledAt, {
      taskScheduledEventDetails: {
        ...resource,
        region: this.context.region,
        parameters: json(activity.input),
      },
    });
    this.add('TaskStarted', activity.scheduledAt, { taskStartedEventDetails: resource });
    if (activity.submitted) {
      this.add('TaskSubmitted', activity.submitted.at, {
        taskSubmittedEventDetails: {
          ...resource,
          output: json(activity.submitted.output),
          outputDetails: NOT_TRUNCATED,
        },
      });
    }
    if (end?.outcome === 'succeeded') {
      this.add('TaskSucceeded', end.at, {
        taskSucceededEventDetails: { ...resource, output: json(end.output), outputDetails: NOT_TRUNCATED },
      });
    } else if (end) {
      const failure = { ...resource, error: end.error, cause: end.cause };
      if (end.outcome === 'timed-out') {
        this.add('TaskTimedOut', end.at, { taskTimedOutEventDetails: failure });
      } else {
        this.add('TaskFailed', end.at, { taskFailedEventDetails: failure });
      }
    }
  }

  private add(type: HistoryEventType, timestamp: number, details: Details): void {
    const id = this.events.length + 1;
    this.events.push({ id, previousEventId: id - 1, type, timestamp: new Date(timestamp), ...details });
  }
}

/** GetExecutionHistory with includeExecutionData=false: the same events without inputs and outputs. */
export function withoutExecutionData(event: HistoryEvent): HistoryEvent {
  const stripped: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(event)) {
    if (key.endsWith('EventDetails') && typeof value === 'object' && value !== null) {
      const {
        input: _input,
        output: _output,
        parameters: _parameters,
        ...rest
      } = value as Record<string, unknown>;
      stripped[key] = rest;
    } else {
      stripped[key] = value;
    }
  }
  return stripped as unknown as HistoryEvent;
}
