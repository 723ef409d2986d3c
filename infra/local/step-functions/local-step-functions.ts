/**
 * The local Step Functions service: runs the deployment's state machines in
 * aws-local-stepfunctions and answers the Step Functions API operations
 * Tidemark uses, with AWS's request and response shapes (the SDK's own
 * types) and AWS's error codes as error names. sfn-http-service.ts puts it
 * on the wire; tests may also call it directly.
 *
 * Executions live in memory for the life of the service.
 */
import './promise-with-resolvers.js';
import { randomUUID } from 'node:crypto';
import type {
  DescribeExecutionInput,
  DescribeExecutionOutput,
  ExecutionListItem,
  ExecutionStatus,
  GetExecutionHistoryInput,
  GetExecutionHistoryOutput,
  ListExecutionsInput,
  ListExecutionsOutput,
  SendTaskFailureInput,
  SendTaskFailureOutput,
  SendTaskHeartbeatInput,
  SendTaskHeartbeatOutput,
  SendTaskSuccessInput,
  SendTaskSuccessOutput,
  StartExecutionInput,
  StartExecutionOutput,
  StopExecutionInput,
  StopExecutionOutput,
} from '@aws-sdk/client-sfn';
import { ExecutionAbortedError, ExecutionError, ExecutionTimeoutError } from 'aws-local-stepfunctions';
import { checkExecutionArn, checkExecutionName, executionArnOf, parseStateMachineArn } from './arns.js';
import { ExecutionHistory, withoutExecutionData } from './execution-history.js';
import { type PreparedStateMachine, prepareStateMachine } from './prepare-definition.js';
import { requireMember, serviceError } from './service-errors.js';
import { bindTasks, type InvokeLambda, TASK_TOKEN_PLACEHOLDER } from './task-binding.js';
import { executionClosed } from './task-errors.js';
import { TaskTokenRegistry } from './task-tokens.js';

export type { InvokeLambda } from './task-binding.js';

export interface LocalStateMachine {
  arn: string;
  name: string;
  /** The ASL definition with every CloudFormation token already resolved. */
  definition: object;
}

export interface LocalStepFunctionsOptions {
  stateMachines: LocalStateMachine[];
  invokeLambda: InvokeLambda;
  log?: (line: string) => void;
}

interface RegisteredStateMachine {
  arn: string;
  name: string;
  region: string;
  roleArn: string;
  prepared: PreparedStateMachine;
}

interface ExecutionEnd {
  status: ExecutionStatus;
  output?: string;
  error?: string;
  cause?: string;
}

interface Execution {
  arn: string;
  name: string;
  machine: RegisteredStateMachine;
  input: string;
  startDate: Date;
  status: ExecutionStatus;
  stopDate?: Date;
  output?: string;
  error?: string;
  cause?: string;
  stopRequest?: { error?: string | undefined; cause?: string | undefined };
  history: ExecutionHistory;
  /** Aborted once the execution is over, so its tasks stop waiting. */
  closing: AbortController;
  abortRun: () => void;
  /** Settles when the execution has ended and its history is complete. */
  done: Promise<void>;
}

/** Step Functions' limit on execution input and task output, in characters of JSON. */
const MAX_PAYLOAD = 262_144;
const DEFAULT_PAGE = 100;
const MAX_PAGE = 1000;
/** How long a finished execution may take to hand over the rest of its event log. */
const HISTORY_DRAIN_MS = 2_000;
const STATUSES: readonly ExecutionStatus[] = ['RUNNING', 'SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED'];

function parseJson(text: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false };
  }
}

function pageSize(maxResults: number | undefined): number {
  if (maxResults === undefined || maxResults === 0) return DEFAULT_PAGE;
  if (!Number.isInteger(maxResults) || maxResults < 0 || maxResults > MAX_PAGE) {
    throw serviceError('ValidationException', `maxResults must be between 0 and ${MAX_PAGE}`);
  }
  return maxResults;
}

/** Pages are offsets; the token is opaque to callers, as AWS's is. */
function page<T>(items: T[], maxResults: number | undefined, nextToken: string | undefined) {
  let start = 0;
  if (nextToken !== undefined) {
    start = Number(Buffer.from(nextToken, 'base64url').toString());
    if (!Number.isInteger(start) || start < 0 || start > items.length) {
      throw serviceError('InvalidToken', `Invalid Token: '${nextToken}'`);
    }
  }
  const size = pageSize(maxResults);
  const end = start + size;
  return {
    items: items.slice(start, end),
    nextToken: end < items.length ? Buffer.from(String(end)).toString('base64url') : undefined,
  };
}

function endOfFailure(failure: unknown): ExecutionEnd {
  if (failure instanceof ExecutionAbortedError) return { status: 'ABORTED' };
  if (failure instanceof ExecutionTimeoutError) {
    return { status: 'TIMED_OUT', error: 'States.Timeout', cause: 'The execution passed its TimeoutSeconds' };
  }
  // ExecutionError wraps the error that ended the execution (a task's, a Fail state's...).
  const reason =
    failure instanceof ExecutionError && failure.cause instanceof Error ? failure.cause : failure;
  if (reason instanceof Error) return { status: 'FAILED', error: reason.name, cause: reason.message };
  return { status: 'FAILED', error: 'States.Runtime', cause: String(reason) };
}

export class LocalStepFunctions {
  private readonly machines = new Map<string, RegisteredStateMachine>();
  private readonly executions = new Map<string, Execution>();
  private readonly tokens = new TaskTokenRegistry();
  private readonly invokeLambda: InvokeLambda;
  private readonly log: (line: string) => void;
  private closed = false;

  constructor({ stateMachines, invokeLambda, log }: LocalStepFunctionsOptions) {
    this.invokeLambda = invokeLambda;
    this.log = log ?? (() => {});
    for (const { arn, name, definition } of stateMachines) {
      const { partition, region, account } = parseStateMachineArn(arn);
      let prepared: PreparedStateMachine;
      try {
        prepared = prepareStateMachine(definition);
      } catch (error) {
        throw new Error(`state machine ${name} (${arn}): ${(error as Error).message}`);
      }
      for (const task of prepared.tasks.values()) {
        if (task.kind === 'unsupported') {
          this.log(
            `sfn: ${name}: state '${task.stateName}' uses ${task.resource}, which has no local binding`,
          );
        }
      }
      const roleArn = `arn:${partition}:iam::${account}:role/tidemark-local-step-functions`;
      this.machines.set(arn, { arn, name, region, roleArn, prepared });
    }
  }

  async startExecution(request: StartExecutionInput): Promise<StartExecutionOutput> {
    requireMember(request.stateMachineArn, 'stateMachineArn');
    if (this.closed) throw new Error('local Step Functions is closed');
    const machine = this.machineOf(request.stateMachineArn);
    const name = request.name ?? randomUUID();
    checkExecutionName(name);
    const inputText = request.input ?? '{}';
    if (inputText.length > MAX_PAYLOAD) {
      throw serviceError(
        'InvalidExecutionInput',
        `Invalid execution input: larger than ${MAX_PAYLOAD} characters`,
      );
    }
    const input = parseJson(inputText);
    if (!input.ok) throw serviceError('InvalidExecutionInput', 'Invalid execution input: not valid JSON');

    const arn = executionArnOf(machine.arn, name);
    const existing = this.executions.get(arn);
    if (existing) {
      // StartExecution is idempotent for a running execution started with the same name and input.
      if (existing.status === 'RUNNING' && existing.input === inputText) {
        return { executionArn: arn, startDate: existing.startDate };
      }
      throw serviceError('ExecutionAlreadyExists', `Execution Already Exists: '${arn}'`);
    }
    const execution = this.launch(machine, arn, name, inputText, input.value);
    return { executionArn: arn, startDate: execution.startDate };
  }

  async describeExecution(request: DescribeExecutionInput): Promise<DescribeExecutionOutput> {
    const execution = this.executionOf(request.executionArn);
    return {
      executionArn: execution.arn,
      stateMachineArn: execution.machine.arn,
      name: execution.name,
      status: execution.status,
      startDate: execution.startDate,
      stopDate: execution.stopDate,
      input: execution.input,
      inputDetails: { included: true },
      ...(execution.output !== undefined
        ? { output: execution.output, outputDetails: { included: true } }
        : {}),
      ...(execution.error ? { error: execution.error } : {}),
      ...(execution.cause ? { cause: execution.cause } : {}),
    };
  }

  async listExecutions(request: ListExecutionsInput): Promise<ListExecutionsOutput> {
    requireMember(request.stateMachineArn, 'stateMachineArn');
    const machine = this.machineOf(request.stateMachineArn);
    const { statusFilter } = request;
    if (statusFilter !== undefined && !STATUSES.includes(statusFilter)) {
      throw serviceError('ValidationException', `statusFilter '${statusFilter}' is not an execution status`);
    }
    // Newest first, as AWS lists them; the map keeps start order, so reversing it is enough.
    const matching = [...this.executions.values()]
      .filter((e) => e.machine === machine && (statusFilter === undefined || e.status === statusFilter))
      .reverse()
      .map(
        (e): ExecutionListItem => ({
          executionArn: e.arn,
          stateMachineArn: machine.arn,
          name: e.name,
          status: e.status,
          startDate: e.startDate,
          stopDate: e.stopDate,
        }),
      );
    const { items, nextToken } = page(matching, request.maxResults, request.nextToken);
    return { executions: items, ...(nextToken ? { nextToken } : {}) };
  }

  async getExecutionHistory(request: GetExecutionHistoryInput): Promise<GetExecutionHistoryOutput> {
    const execution = this.executionOf(request.executionArn);
    let events = execution.history.list();
    if (request.reverseOrder) events.reverse();
    if (request.includeExecutionData === false) events = events.map(withoutExecutionData);
    const { items, nextToken } = page(events, request.maxResults, request.nextToken);
    return { events: items, ...(nextToken ? { nextToken } : {}) };
  }

  async stopExecution(request: StopExecutionInput): Promise<StopExecutionOutput> {
    const execution = this.executionOf(request.executionArn);
    if (execution.status === 'RUNNING') {
      execution.stopRequest = { error: request.error, cause: request.cause };
      // Recorded before aborting, so a describe right after the call already shows it.
      this.settle(execution, { status: 'ABORTED', error: request.error, cause: request.cause });
      execution.abortRun();
      await execution.done;
    }
    return { stopDate: execution.stopDate ?? new Date() };
  }

  async sendTaskSuccess(request: SendTaskSuccessInput): Promise<SendTaskSuccessOutput> {
    requireMember(request.taskToken, 'taskToken');
    requireMember(request.output, 'output');
    const output = request.output.length <= MAX_PAYLOAD ? parseJson(request.output) : { ok: false as const };
    if (!output.ok)
      throw serviceError('InvalidOutput', 'Invalid Output: the output must be JSON of at most 256 KiB');
    this.tokens.succeed(request.taskToken, output.value);
    return {};
  }

  async sendTaskFailure(request: SendTaskFailureInput): Promise<SendTaskFailureOutput> {
    requireMember(request.taskToken, 'taskToken');
    this.tokens.fail(request.taskToken, request.error ?? '', request.cause ?? '');
    return {};
  }

  async sendTaskHeartbeat(request: SendTaskHeartbeatInput): Promise<SendTaskHeartbeatOutput> {
    requireMember(request.taskToken, 'taskToken');
    this.tokens.heartbeat(request.taskToken);
    return {};
  }

  /** For tests: waits until the execution has ended (and its history is complete), then describes it. */
  async waitForExecution(executionArn: string, timeoutMs: number): Promise<DescribeExecutionOutput> {
    const execution = this.executionOf(executionArn);
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        const error = new Error(`execution ${executionArn} still ${execution.status} after ${timeoutMs} ms`);
        error.name = 'TimeoutError';
        reject(error);
      }, timeoutMs);
    });
    try {
      await Promise.race([execution.done, timedOut]);
    } finally {
      clearTimeout(timer);
    }
    return this.describeExecution({ executionArn });
  }

  /** Stops every running execution and refuses new ones. */
  async close(): Promise<void> {
    this.closed = true;
    const running = [...this.executions.values()].filter((e) => e.status === 'RUNNING');
    await Promise.all(running.map((e) => this.stopExecution({ executionArn: e.arn })));
  }

  private machineOf(arn: string): RegisteredStateMachine {
    parseStateMachineArn(arn);
    const machine = this.machines.get(arn);
    if (!machine) throw serviceError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${arn}'`);
    return machine;
  }

  private executionOf(arn: string | undefined): Execution {
    requireMember(arn, 'executionArn');
    checkExecutionArn(arn);
    const execution = this.executions.get(arn);
    if (!execution) throw serviceError('ExecutionDoesNotExist', `Execution Does Not Exist: '${arn}'`);
    return execution;
  }

  private launch(
    machine: RegisteredStateMachine,
    arn: string,
    name: string,
    inputText: string,
    input: unknown,
  ): Execution {
    const startDate = new Date();
    const closing = new AbortController();
    const history = new ExecutionHistory({
      tasks: machine.prepared.tasks,
      region: machine.region,
      roleArn: machine.roleArn,
      stopDetails: () => execution.stopRequest,
    });
    const handlers = bindTasks(
      machine.prepared.tasks,
      { executionArn: arn, signal: closing.signal, history },
      { invokeLambda: this.invokeLambda, tokens: this.tokens },
    );
    // The parsed input is JSON, which is what the library's JSONValue describes.
    const run = machine.prepared.machine.run(input as Parameters<typeof machine.prepared.machine.run>[0], {
      overrides: { taskResourceLocalHandlers: handlers },
      context: {
        Execution: { Id: arn, Name: name, RoleArn: machine.roleArn, StartTime: startDate.toISOString() },
        StateMachine: { Id: machine.arn, Name: machine.name },
        Task: { Token: TASK_TOKEN_PLACEHOLDER },
      },
    });

    const drained = (async () => {
      for await (const event of run.eventLogs) history.record(event);
    })().catch((error: unknown) => this.log(`sfn: ${arn}: history incomplete: ${(error as Error).message}`));
    const ended = run.result.then(
      (output): ExecutionEnd => ({ status: 'SUCCEEDED', output: JSON.stringify(output ?? null) }),
      endOfFailure,
    );

    const execution: Execution = {
      arn,
      name,
      machine,
      input: inputText,
      startDate,
      status: 'RUNNING',
      history,
      closing,
      abortRun: run.abort,
      done: ended.then(async (end) => {
        await this.drainWithin(drained, arn);
        this.settle(execution, end);
      }),
    };
    this.executions.set(arn, execution);
    this.log(`sfn: ${arn} started`);
    return execution;
  }

  /** The log closes with the execution; the bound keeps a library surprise from hanging `done`. */
  private async drainWithin(drained: Promise<void>, arn: string): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        this.log(`sfn: ${arn}: event log still open ${HISTORY_DRAIN_MS} ms after the end`);
        resolve();
      }, HISTORY_DRAIN_MS);
    });
    await Promise.race([drained, late]);
    clearTimeout(timer);
  }

  /** Records how the execution ended (the first ending wins: a stop before the run unwinds) and lets its tasks go. */
  private settle(execution: Execution, end: ExecutionEnd): void {
    if (execution.status === 'RUNNING') {
      execution.status = end.status;
      execution.stopDate = new Date();
      if (end.output !== undefined) execution.output = end.output;
      if (end.error !== undefined) execution.error = end.error;
      if (end.cause !== undefined) execution.cause = end.cause;
      const detail = end.error ? ` (${end.error})` : '';
      this.log(`sfn: ${execution.arn} ${end.status}${detail}`);
    }
    if (!execution.closing.signal.aborted) {
      execution.closing.abort();
      this.tokens.expireExecution(execution.arn, executionClosed(execution.arn));
    }
  }
}
