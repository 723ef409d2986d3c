/**
 * Turns a resolved ASL definition into the state machine aws-local-stepfunctions
 * runs, and lists its Task states for the task binding.
 *
 * The definition is validated as written (ARN checks off: the validator
 * rejects `arn:aws:states:::lambda:invoke.waitForTaskToken`), then a copy is
 * adjusted where the library departs from Step Functions:
 *
 * - Task timeouts. The library gives every Task a 60 s timeout when none is
 *   set (AWS has none), and it evaluates `TimeoutSecondsPath` against the
 *   task's *parameters* rather than its input, so `taskTimeout:
 *   Timeout.at('$.timeoutSeconds')` on a CDK LambdaInvoke fails with
 *   States.Runtime. The copy therefore gives the library a timeout it never
 *   reaches, and moves timeout and heartbeat *paths* into `Parameters`
 *   beside the real parameters (`{ payload, timeoutSeconds, heartbeatSeconds }`),
 *   where the library resolves them against the effective input with `$$`
 *   context; the task binding unwraps that and enforces both.
 * - `ResultPath: "$"` (also in Catch). The library writes the result under a
 *   key named "$" instead of replacing the input; "$" is the default, so it
 *   is dropped.
 * - A top-level `TimeoutSeconds` beyond what a Node timer can hold would fire
 *   at once; it is dropped (the execution then has no time limit locally).
 */
import './promise-with-resolvers.js';
import { StateMachine, type StateMachineDefinition } from 'aws-local-stepfunctions';

/** How a Task state's resource is served locally. */
export type TaskKind = 'lambda-function' | 'lambda-invoke' | 'lambda-invoke-callback' | 'unsupported';

export interface TaskSpec {
  stateName: string;
  resource: string;
  kind: TaskKind;
  /** `TimeoutSeconds` as written; with `TimeoutSecondsPath` the value arrives in the bound input. */
  timeoutSeconds?: number;
  /** `HeartbeatSeconds` as written; with `HeartbeatSecondsPath` the value arrives in the bound input. */
  heartbeatSeconds?: number;
}

/** What the library hands a bound Task: its effective input plus the resolved *Path values. */
export interface BoundTaskInput {
  payload: unknown;
  timeoutSeconds?: unknown;
  heartbeatSeconds?: unknown;
}

export interface PreparedStateMachine {
  machine: StateMachine;
  /** Every Task state, by name, including those inside Map and Parallel states. */
  tasks: Map<string, TaskSpec>;
}

/** The longest timer Node keeps (2^31 - 1 ms), in whole seconds; longer ones fire immediately. */
export const MAX_TIMER_SECONDS = 2_147_483;

const LAMBDA_FUNCTION = /^arn:aws[a-z-]*:lambda:[a-z0-9-]+:[^:]*:function:[^:]+(:[^:]+)?$/;
const LAMBDA_INVOKE = /^arn:aws[a-z-]*:states:::lambda:invoke$/;
const LAMBDA_INVOKE_CALLBACK = /^arn:aws[a-z-]*:states:::lambda:invoke\.waitForTaskToken$/;

export function taskKindOf(resource: string): TaskKind {
  if (LAMBDA_FUNCTION.test(resource)) return 'lambda-function';
  if (LAMBDA_INVOKE.test(resource)) return 'lambda-invoke';
  if (LAMBDA_INVOKE_CALLBACK.test(resource)) return 'lambda-invoke-callback';
  return 'unsupported';
}

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function withoutRootResultPath<T extends Json>(holder: T): T {
  if (holder.ResultPath !== '$') return holder;
  const { ResultPath: _root, ...rest } = holder;
  return rest as T;
}

function prepareTask(name: string, state: Json, tasks: Map<string, TaskSpec>): Json {
  const resource = String(state.Resource);
  const spec: TaskSpec = { stateName: name, resource, kind: taskKindOf(resource) };
  if (typeof state.TimeoutSeconds === 'number') spec.timeoutSeconds = state.TimeoutSeconds;
  if (typeof state.HeartbeatSeconds === 'number') spec.heartbeatSeconds = state.HeartbeatSeconds;
  tasks.set(name, spec);

  const {
    Parameters,
    TimeoutSeconds: _timeout,
    TimeoutSecondsPath,
    HeartbeatSeconds: _heartbeat,
    HeartbeatSecondsPath,
    ...rest
  } = state;
  const bound: Json = Parameters === undefined ? { 'payload.$': '$' } : { payload: Parameters };
  if (typeof TimeoutSecondsPath === 'string') bound['timeoutSeconds.$'] = TimeoutSecondsPath;
  if (typeof HeartbeatSecondsPath === 'string') bound['heartbeatSeconds.$'] = HeartbeatSecondsPath;
  return { ...rest, Parameters: bound, TimeoutSeconds: MAX_TIMER_SECONDS };
}

function prepareStates(states: Json, tasks: Map<string, TaskSpec>, seen: Set<string>): Json {
  const prepared: Json = {};
  for (const [name, raw] of Object.entries(states)) {
    // AWS requires state names to be unique across the whole machine; bindings are keyed by name.
    if (seen.has(name)) throw new Error(`state name '${name}' is used more than once in the definition`);
    seen.add(name);
    if (!isObject(raw)) throw new Error(`state '${name}' is not an object`);
    let state = withoutRootResultPath(raw);
    if (Array.isArray(state.Catch)) {
      state = {
        ...state,
        Catch: state.Catch.map((catcher) => (isObject(catcher) ? withoutRootResultPath(catcher) : catcher)),
      };
    }
    if (state.Type === 'Task') state = prepareTask(name, state, tasks);
    if (state.Type === 'Map') {
      for (const key of ['ItemProcessor', 'Iterator'] as const) {
        const inner = state[key];
        if (isObject(inner)) state = { ...state, [key]: prepareMachine(inner, tasks, seen) };
      }
    }
    if (state.Type === 'Parallel' && Array.isArray(state.Branches)) {
      state = {
        ...state,
        Branches: state.Branches.map((branch) =>
          isObject(branch) ? prepareMachine(branch, tasks, seen) : branch,
        ),
      };
    }
    prepared[name] = state;
  }
  return prepared;
}

function prepareMachine(definition: Json, tasks: Map<string, TaskSpec>, seen: Set<string>): Json {
  const states = isObject(definition.States) ? definition.States : {};
  return { ...definition, States: prepareStates(states, tasks, seen) };
}

export function prepareStateMachine(definition: object): PreparedStateMachine {
  // Validate what the caller wrote, so messages name their fields rather than ours. The cast is
  // what the validator is for: it rejects anything that is not a state machine definition.
  new StateMachine(definition as StateMachineDefinition, { validationOptions: { checkArn: false } });

  const tasks = new Map<string, TaskSpec>();
  const prepared = prepareMachine(definition as Json, tasks, new Set());
  if (typeof prepared.TimeoutSeconds === 'number' && prepared.TimeoutSeconds > MAX_TIMER_SECONDS) {
    delete prepared.TimeoutSeconds;
  }
  // The copy differs from a valid definition only in ways the library handles (see above).
  const machine = new StateMachine(prepared as unknown as StateMachineDefinition, {
    validationOptions: { noValidate: true },
  });
  return { machine, tasks };
}
