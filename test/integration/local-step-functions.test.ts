/**
 * The local Step Functions service through the real @aws-sdk/client-sfn over
 * loopback HTTP: Lambda tasks, lambda:invoke, a Map of waitForTaskToken
 * tasks answered with SendTaskSuccess / SendTaskFailure or left to time out,
 * heartbeats, StopExecution, history and the API's error codes.
 */
import {
  DescribeExecutionCommand,
  type DescribeExecutionOutput,
  GetExecutionHistoryCommand,
  ListExecutionsCommand,
  SendTaskFailureCommand,
  SendTaskHeartbeatCommand,
  SendTaskSuccessCommand,
  SFNClient,
  StartExecutionCommand,
  StopExecutionCommand,
} from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalStepFunctions } from '../../infra/local/step-functions/local-step-functions.js';
import {
  type RunningSfnService,
  startSfnService,
} from '../../infra/local/step-functions/sfn-http-service.js';

const ACCOUNT = '123456789012';
const fn = (name: string) => `arn:aws:lambda:us-east-1:${ACCOUNT}:function:${name}`;
const machineArn = (name: string) => `arn:aws:states:us-east-1:${ACCOUNT}:stateMachine:${name}`;

/** The callback step as CDK's LambdaInvoke with WAIT_FOR_TASK_TOKEN and `Timeout.at` renders it. */
function agentStep(next: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  return {
    Type: 'Task',
    Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
    Parameters: {
      FunctionName: fn('Dispatch'),
      Payload: { 'item.$': '$.id', 'taskToken.$': '$$.Task.Token', 'timeoutSeconds.$': '$.timeoutSeconds' },
    },
    ...extra,
    ...next,
  };
}

const pipeline = {
  StartAt: 'Double',
  States: {
    Double: { Type: 'Task', Resource: fn('Double'), ResultPath: '$.doubled', Next: 'Greet' },
    Greet: {
      Type: 'Task',
      Resource: 'arn:aws:states:::lambda:invoke',
      Parameters: { FunctionName: fn('Greet'), 'Payload.$': '$' },
      ResultSelector: { 'text.$': '$.Payload.greeting', 'status.$': '$.StatusCode' },
      ResultPath: '$.greeting',
      Next: 'EachItem',
    },
    EachItem: {
      Type: 'Map',
      ItemsPath: '$.items',
      MaxConcurrency: 2,
      ResultPath: '$.outcomes',
      ItemProcessor: {
        ProcessorConfig: { Mode: 'INLINE' },
        StartAt: 'WaitForAgent',
        States: {
          WaitForAgent: agentStep(
            { End: true },
            {
              TimeoutSecondsPath: '$.timeoutSeconds',
              ResultPath: '$.agent',
              Catch: [
                { ErrorEquals: ['AE0457'], ResultPath: '$.error', Next: 'AgentRefused' },
                // States.TaskFailed matches every task error but a timeout, so it must not take 'silent'.
                { ErrorEquals: ['States.TaskFailed'], ResultPath: '$.error', Next: 'AgentFailed' },
                { ErrorEquals: ['States.Timeout'], ResultPath: '$.error', Next: 'AgentTimedOut' },
              ],
            },
          ),
          AgentRefused: {
            Type: 'Pass',
            Parameters: { 'id.$': '$.id', 'code.$': '$.error.Error' },
            End: true,
          },
          AgentFailed: {
            Type: 'Pass',
            Parameters: { 'id.$': '$.id', 'code.$': '$.error.Error', via: 'States.TaskFailed' },
            End: true,
          },
          AgentTimedOut: {
            Type: 'Pass',
            Parameters: { 'id.$': '$.id', 'code.$': '$.error.Error' },
            End: true,
          },
        },
      },
      Next: 'Explode',
    },
    Explode: {
      Type: 'Task',
      Resource: fn('Explode'),
      Catch: [{ ErrorEquals: ['AE0468'], ResultPath: '$.explosion', Next: 'Summarize' }],
      Next: 'Summarize',
    },
    // ResultPath "$" is the default; the library mishandles it, the service must not.
    Summarize: {
      Type: 'Pass',
      Parameters: {
        'doubled.$': '$.doubled.value',
        'greeting.$': '$.greeting',
        'outcomes.$': '$.outcomes',
        'explosion.$': '$.explosion.Error',
      },
      ResultPath: '$',
      End: true,
    },
  },
};

const waiter = {
  StartAt: 'WaitForAgent',
  States: { WaitForAgent: agentStep({ End: true }) },
};

const heartbeats = {
  StartAt: 'WaitForAgent',
  States: {
    WaitForAgent: agentStep(
      { End: true },
      {
        HeartbeatSeconds: 1,
        Catch: [{ ErrorEquals: ['States.HeartbeatTimeout'], ResultPath: '$.error', Next: 'Silent' }],
      },
    ),
    Silent: { Type: 'Pass', Parameters: { 'code.$': '$.error.Error' }, End: true },
  },
};

const unsupported = {
  StartAt: 'Publish',
  States: {
    Publish: {
      Type: 'Task',
      Resource: 'arn:aws:states:::sns:publish',
      Parameters: { Message: 'x' },
      End: true,
    },
  },
};

interface Dispatch {
  item: string;
  taskToken: string;
  timeoutSeconds: number;
}

/** The dispatch function's calls, in order, for the test to answer like an agent would. */
class Dispatches {
  readonly seen: Dispatch[] = [];
  private waiters: Array<() => void> = [];

  add(dispatch: Dispatch): void {
    this.seen.push(dispatch);
    for (const wake of this.waiters.splice(0)) wake();
  }

  async count(n: number, timeoutMs = 5_000): Promise<Dispatch[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.seen.length < n) {
      if (Date.now() > deadline) throw new Error(`only ${this.seen.length} of ${n} dispatches arrived`);
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 50);
      });
    }
    return this.seen.slice(0, n);
  }

  async forItem(item: string): Promise<Dispatch> {
    for (;;) {
      const found = this.seen.find((d) => d.item === item);
      if (found) return found;
      await this.count(this.seen.length + 1);
    }
  }
}

const dispatches = new Dispatches();

async function invokeLambda(functionArn: string, payload: unknown): Promise<unknown> {
  const event = payload as Record<string, unknown>;
  switch (functionArn) {
    case fn('Double'):
      return { value: (event.value as number) * 2 };
    case fn('Greet'):
      return { greeting: `hello ${String(event.name)}` };
    case fn('Dispatch'):
      dispatches.add(event as unknown as Dispatch);
      return { dispatched: true };
    case fn('Explode'): {
      const error = new Error('bad parameters reached the replication engine');
      error.name = 'AE0468';
      throw error;
    }
    default:
      throw new Error(`no function ${functionArn}`);
  }
}

let service: LocalStepFunctions;
let http: RunningSfnService;
let sfn: SFNClient;

beforeAll(async () => {
  service = new LocalStepFunctions({
    stateMachines: [
      { arn: machineArn('Pipeline'), name: 'Pipeline', definition: pipeline },
      { arn: machineArn('Waiter'), name: 'Waiter', definition: waiter },
      { arn: machineArn('Heartbeats'), name: 'Heartbeats', definition: heartbeats },
      { arn: machineArn('Unsupported'), name: 'Unsupported', definition: unsupported },
    ],
    invokeLambda,
  });
  http = await startSfnService(service, { port: 0 });
  sfn = new SFNClient({
    endpoint: http.url,
    region: 'us-east-1',
    credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
  });
});

afterAll(async () => {
  sfn?.destroy();
  await service?.close();
  await http?.close();
});

async function start(machine: string, input: unknown, name?: string): Promise<string> {
  const { executionArn } = await sfn.send(
    new StartExecutionCommand({ stateMachineArn: machineArn(machine), input: JSON.stringify(input), name }),
  );
  if (!executionArn) throw new Error('no execution ARN');
  return executionArn;
}

async function errorOf(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected the call to fail');
}

async function historyTypes(executionArn: string): Promise<string[]> {
  const { events = [] } = await sfn.send(new GetExecutionHistoryCommand({ executionArn, maxResults: 1000 }));
  return events.map((event) => String(event.type));
}

describe('local Step Functions over HTTP', () => {
  it('runs Lambda, lambda:invoke and a Map of callback tasks answered, failed and timed out', async () => {
    const executionArn = await start('Pipeline', {
      value: 21,
      name: 'replica',
      items: [
        { id: 'ok', timeoutSeconds: 10 },
        { id: 'refused', timeoutSeconds: 10 },
        { id: 'silent', timeoutSeconds: 1 },
      ],
    });

    // MaxConcurrency 2: the third item waits until one of the first two is answered.
    const [first, second] = await dispatches.count(2);
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(dispatches.seen).toHaveLength(2);
    expect(new Set([first?.item, second?.item])).toEqual(new Set(['ok', 'refused']));
    // The token placed by `$$.Task.Token`, and the TimeoutSecondsPath value read from the item.
    expect(first?.taskToken).toMatch(/^tdm-local-/);
    expect(first?.taskToken).not.toBe(second?.taskToken);

    const ok = await dispatches.forItem('ok');
    await sfn.send(
      new SendTaskSuccessCommand({ taskToken: ok.taskToken, output: JSON.stringify({ done: 'ok' }) }),
    );
    const refused = await dispatches.forItem('refused');
    await sfn.send(
      new SendTaskFailureCommand({ taskToken: refused.taskToken, error: 'AE0457', cause: 'replica refused' }),
    );
    const silent = await dispatches.forItem('silent');
    expect(silent.timeoutSeconds).toBe(1);

    const done = await service.waitForExecution(executionArn, 5_000);
    expect(done.status).toBe('SUCCEEDED');
    expect(JSON.parse(done.output ?? 'null')).toEqual({
      doubled: 42,
      greeting: { text: 'hello replica', status: 200 },
      outcomes: [
        { id: 'ok', timeoutSeconds: 10, agent: { done: 'ok' } },
        { id: 'refused', code: 'AE0457' },
        { id: 'silent', code: 'States.Timeout' },
      ],
      explosion: 'AE0468',
    });

    // The timed-out task's token is dead: a late answer gets TaskTimedOut, as from AWS.
    const late = await errorOf(
      sfn.send(new SendTaskSuccessCommand({ taskToken: silent.taskToken, output: '{}' })),
    );
    expect(late.name).toBe('TaskTimedOut');
    // So is an answered one.
    const again = await errorOf(
      sfn.send(new SendTaskSuccessCommand({ taskToken: ok.taskToken, output: '{}' })),
    );
    expect(again.name).toBe('TaskTimedOut');

    const types = await historyTypes(executionArn);
    expect(types[0]).toBe('ExecutionStarted');
    expect(types.at(-1)).toBe('ExecutionSucceeded');
    for (const type of [
      'TaskStateEntered',
      'LambdaFunctionScheduled',
      'LambdaFunctionSucceeded',
      'LambdaFunctionFailed',
      'TaskScheduled',
      'TaskSubmitted',
      'TaskSucceeded',
      'TaskFailed',
      'TaskTimedOut',
      'TaskStateExited',
      'MapStateEntered',
      'MapIterationStarted',
      'MapIterationSucceeded',
      'MapStateSucceeded',
      'MapStateExited',
      'PassStateEntered',
      'PassStateExited',
    ]) {
      expect(types, type).toContain(type);
    }
    expect(types.filter((type) => type === 'MapIterationStarted')).toHaveLength(3);

    const { events = [] } = await sfn.send(
      new GetExecutionHistoryCommand({ executionArn, maxResults: 1000 }),
    );
    const failed = events.find((event) => event.type === 'TaskFailed');
    expect(failed?.taskFailedEventDetails).toMatchObject({ error: 'AE0457', cause: 'replica refused' });
    const lambdaFailed = events.find((event) => event.type === 'LambdaFunctionFailed');
    expect(lambdaFailed?.lambdaFunctionFailedEventDetails?.error).toBe('AE0468');
    expect(JSON.parse(lambdaFailed?.lambdaFunctionFailedEventDetails?.cause ?? '{}')).toMatchObject({
      errorType: 'AE0468',
      errorMessage: 'bad parameters reached the replication engine',
    });
    expect(events.map((event) => event.id)).toEqual(events.map((_, index) => index + 1));
    expect(events[0]?.timestamp).toBeInstanceOf(Date);

    const reversed = await sfn.send(
      new GetExecutionHistoryCommand({ executionArn, reverseOrder: true, maxResults: 2 }),
    );
    expect(reversed.events?.map((event) => event.type)).toEqual(['ExecutionSucceeded', 'PassStateExited']);
    expect(reversed.nextToken).toBeTruthy();
  });

  it('stops an execution: ABORTED, its token dead, ExecutionAborted last', async () => {
    const before = dispatches.seen.length;
    const executionArn = await start('Waiter', { id: 'to-stop', timeoutSeconds: 10 });
    const [dispatch] = (await dispatches.count(before + 1)).slice(before);

    const running: DescribeExecutionOutput = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    expect(running.status).toBe('RUNNING');
    expect(running.startDate).toBeInstanceOf(Date);
    expect(JSON.parse(running.input ?? '{}')).toEqual({ id: 'to-stop', timeoutSeconds: 10 });

    const { stopDate } = await sfn.send(
      new StopExecutionCommand({ executionArn, error: 'Operator', cause: 'job canceled' }),
    );
    expect(stopDate).toBeInstanceOf(Date);
    const stopped = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    expect(stopped).toMatchObject({ status: 'ABORTED', error: 'Operator', cause: 'job canceled' });

    const late = await errorOf(
      sfn.send(new SendTaskSuccessCommand({ taskToken: dispatch?.taskToken ?? '', output: '{}' })),
    );
    expect(late.name).toBe('TaskTimedOut');

    const types = await historyTypes(executionArn);
    expect(types).toEqual(['ExecutionStarted', 'TaskStateEntered', 'ExecutionAborted']);

    const aborted = await sfn.send(
      new ListExecutionsCommand({ stateMachineArn: machineArn('Waiter'), statusFilter: 'ABORTED' }),
    );
    expect(aborted.executions?.map((e) => e.executionArn)).toContain(executionArn);
    const running2 = await sfn.send(
      new ListExecutionsCommand({ stateMachineArn: machineArn('Waiter'), statusFilter: 'RUNNING' }),
    );
    expect(running2.executions?.map((e) => e.executionArn)).not.toContain(executionArn);
  });

  it('keeps a task alive while heartbeats arrive and fails it with States.HeartbeatTimeout when they stop', async () => {
    const before = dispatches.seen.length;
    const beating = await start('Heartbeats', { id: 'beating', timeoutSeconds: 10 });
    const silent = await start('Heartbeats', { id: 'no-beat', timeoutSeconds: 10 });
    const beat = await dispatches.forItem('beating');
    expect(dispatches.seen.length).toBeGreaterThan(before);

    for (let i = 0; i < 3; i += 1) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      await sfn.send(new SendTaskHeartbeatCommand({ taskToken: beat.taskToken }));
    }
    await sfn.send(new SendTaskSuccessCommand({ taskToken: beat.taskToken, output: '"alive"' }));

    expect(await service.waitForExecution(beating, 5_000)).toMatchObject({
      status: 'SUCCEEDED',
      output: '"alive"',
    });
    const silentEnd = await service.waitForExecution(silent, 5_000);
    expect(JSON.parse(silentEnd.output ?? '{}')).toEqual({ code: 'States.HeartbeatTimeout' });
    const noBeat = await dispatches.forItem('no-beat');
    const late = await errorOf(sfn.send(new SendTaskHeartbeatCommand({ taskToken: noBeat.taskToken })));
    expect(late.name).toBe('TaskTimedOut');
  });

  it("is reached by the project's own SFN client through AWS_ENDPOINT_URL_SFN", async () => {
    process.env.AWS_ENDPOINT_URL_SFN = http.url;
    process.env.AWS_ACCESS_KEY_ID = 'local';
    process.env.AWS_SECRET_ACCESS_KEY = 'local';
    const { clients } = await import('../../core/aws-clients.js');
    const executionArn = await start('Waiter', { id: 'via-clients', timeoutSeconds: 10 });
    const dispatch = await dispatches.forItem('via-clients');
    // What functions/command-channel/deliver-result.ts sends for an agent's failure.
    await clients
      .sfn()
      .send(
        new SendTaskFailureCommand({ taskToken: dispatch.taskToken, error: 'AE0460', cause: 'no space' }),
      );
    expect(await service.waitForExecution(executionArn, 5_000)).toMatchObject({
      status: 'FAILED',
      error: 'AE0460',
      cause: 'no space',
    });
  });

  it('fails an execution whose task has no local binding, naming the resource', async () => {
    const executionArn = await start('Unsupported', {});
    const end = await service.waitForExecution(executionArn, 5_000);
    expect(end.status).toBe('FAILED');
    expect(end.error).toBe('States.Runtime');
    expect(end.cause).toContain('arn:aws:states:::sns:publish');
  });

  it('answers with the AWS error codes', async () => {
    const unknownToken = await errorOf(
      sfn.send(new SendTaskSuccessCommand({ taskToken: 'tdm-local-never-minted', output: '{}' })),
    );
    expect(unknownToken.name).toBe('TaskDoesNotExist');

    const unknownExecution = await errorOf(
      sfn.send(
        new DescribeExecutionCommand({
          executionArn: `arn:aws:states:us-east-1:${ACCOUNT}:execution:Waiter:never-started`,
        }),
      ),
    );
    expect(unknownExecution.name).toBe('ExecutionDoesNotExist');

    const badArn = await errorOf(sfn.send(new DescribeExecutionCommand({ executionArn: 'not-an-arn' })));
    expect(badArn.name).toBe('InvalidArn');

    const noMachine = await errorOf(
      sfn.send(new StartExecutionCommand({ stateMachineArn: machineArn('Missing'), input: '{}' })),
    );
    expect(noMachine.name).toBe('StateMachineDoesNotExist');

    const badInput = await errorOf(
      sfn.send(new StartExecutionCommand({ stateMachineArn: machineArn('Waiter'), input: '{not json' })),
    );
    expect(badInput.name).toBe('InvalidExecutionInput');

    // Same name and input while running: the same execution (StartExecution is idempotent); other input: an error.
    const input = { id: 'named', timeoutSeconds: 10 };
    const first = await start('Waiter', input, 'named-run');
    expect(await start('Waiter', input, 'named-run')).toBe(first);
    const clash = await errorOf(start('Waiter', { ...input, id: 'other' }, 'named-run'));
    expect(clash.name).toBe('ExecutionAlreadyExists');
    await sfn.send(new StopExecutionCommand({ executionArn: first }));

    const badOutput = await errorOf(
      sfn.send(new SendTaskSuccessCommand({ taskToken: 'tdm-local-never-minted', output: 'not json' })),
    );
    expect(badOutput.name).toBe('InvalidOutput');
  });

  it('refuses unsigned requests and unknown operations', async () => {
    const unsigned = await fetch(http.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-amz-json-1.0',
        'x-amz-target': 'AWSStepFunctions.ListExecutions',
      },
      body: JSON.stringify({ stateMachineArn: machineArn('Waiter') }),
    });
    expect(unsigned.status).toBe(403);
    expect(await unsigned.json()).toMatchObject({ __type: 'MissingAuthenticationToken' });

    const unknown = await fetch(http.url, {
      method: 'POST',
      headers: {
        authorization: 'AWS4-HMAC-SHA256 Credential=x',
        'content-type': 'application/x-amz-json-1.0',
        'x-amz-target': 'AWSStepFunctions.CreateStateMachine',
      },
      body: '{}',
    });
    expect(unknown.status).toBe(400);
    expect(await unknown.json()).toMatchObject({ __type: 'UnknownOperationException' });
  });
});
