/**
 * Runs the synthesized state machine definitions in the local Step Functions
 * service (infra/local/step-functions), as `npm start` does, with the
 * template's function ARNs resolved by the local cloud's intrinsic resolver.
 * The validate and summarize steps run their real handlers; the dispatch
 * function is a fake that checks its payload and hands it to a fake agent,
 * which answers with SendTaskSuccess / SendTaskFailure on the payload's task
 * token, or never.
 */
import type { Context } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { DispatchRequest } from '../../core/command.js';
import { handler as summarizeBackupJob } from '../../functions/steps/summarize-backup-job.js';
import { handler as validateBackupJob } from '../../functions/steps/validate-backup-job.js';
import { handler as validateRestoreJob } from '../../functions/steps/validate-restore-job.js';
import { type PhysicalResource, resolveIntrinsics } from '../../infra/local/intrinsics.js';
import {
  type InvokeLambda,
  type LocalStateMachine,
  LocalStepFunctions,
} from '../../infra/local/step-functions/local-step-functions.js';
import { type AslDefinition, allStates } from './definition.js';
import { onlyResource, resourcesOf, synth } from './synth.js';

type Json = Parameters<typeof JSON.stringify>[0];

const REGION = 'us-east-1';
const ACCOUNT = '000000000000';
const { json } = synth();

/** Every function of the template, with the ARN the state machines' tasks name. */
const functions = resourcesOf(json, 'AWS::Lambda::Function').map(([logicalId, resource]) => ({
  logicalId,
  entry: String(resource.Metadata?.['tidemark:entry']),
  arn: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${logicalId}`,
}));

function functionArn(entry: string): string {
  const found = functions.find((fn) => fn.entry === entry);
  if (!found) throw new Error(`no function runs ${entry}`);
  return found.arn;
}

const DISPATCH = functionArn('functions/steps/dispatch-command.ts');

interface Machine extends LocalStateMachine {
  /** The waitForTaskToken states that dispatch a command to a host. */
  agentStates: Set<string>;
}

function stateMachine(idPrefix: string, name: string): Machine {
  const [, resource] = onlyResource(json, 'AWS::StepFunctions::StateMachine', idPrefix);
  const resources: Record<string, PhysicalResource> = Object.fromEntries(
    functions.map((fn) => [fn.logicalId, { ref: fn.logicalId, attributes: { Arn: fn.arn } }]),
  );
  const text = resolveIntrinsics(resource.Properties?.DefinitionString, {
    region: REGION,
    accountId: ACCOUNT,
    resources,
  });
  const definition = JSON.parse(String(text)) as AslDefinition;
  const agentStates = allStates(definition)
    .filter(
      ([, state]) =>
        state.Type === 'Task' &&
        /:states:::lambda:invoke\.waitForTaskToken$/.test(state.Resource ?? '') &&
        state.Parameters?.FunctionName === DISPATCH,
    )
    .map(([stateName]) => stateName);
  return {
    arn: `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:${name}`,
    name,
    definition,
    agentStates: new Set(agentStates),
  };
}

const backupMachine = stateMachine('WorkflowsBackup', 'backup');
const restoreMachine = stateMachine('WorkflowsRestore', 'restore');

const lambdaContext = {
  functionName: 'local',
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:local',
  memoryLimitInMB: '256',
  awsRequestId: 'request',
  logGroupName: 'local',
  logStreamName: 'local',
  callbackWaitsForEmptyEventLoop: false,
  getRemainingTimeInMillis: () => 10_000,
  done: () => undefined,
  fail: () => undefined,
  succeed: () => undefined,
} satisfies Context;

type StepHandler = (event: unknown, context: Context) => Promise<unknown>;

/** The real step handlers, by function ARN; a thrown TidemarkError keeps its code as the error name. */
const stepHandlers = new Map<string, StepHandler>([
  [functionArn('functions/steps/validate-backup-job.ts'), validateBackupJob],
  [functionArn('functions/steps/summarize-backup-job.ts'), summarizeBackupJob],
  [functionArn('functions/steps/validate-restore-job.ts'), validateRestoreJob],
]);

/** An agent's outcome: output for SendTaskSuccess, an error (code, message) for SendTaskFailure, or never. */
type AgentAnswer = { output: Json } | { fail: string; message: string } | 'never';
type Agent = (state: string, request: DispatchRequest) => AgentAnswer;

interface Dispatched {
  state: string;
  request: DispatchRequest;
}

interface RunResult {
  status: string | undefined;
  output?: unknown;
  error?: string | undefined;
  cause?: string | undefined;
}

const scenarioOf = (value: { scenarioId?: unknown } | undefined) => value?.scenarioId;

/**
 * The agent state the execution entered for a scenario's `nth` dispatch (0-based), read from its
 * history. A scenario's agent steps run one after another, so its n-th dispatch comes from the n-th
 * agent state it entered; the restore job has no scenario and one agent step.
 */
async function agentStateOf(
  sfn: LocalStepFunctions,
  machine: Machine,
  executionArn: string,
  scenarioId: unknown,
  nth: number,
): Promise<string> {
  const deadline = Date.now() + 5_000;
  for (;;) {
    const { events = [] } = await sfn.getExecutionHistory({ executionArn, maxResults: 1000 });
    const entered = events.flatMap((event) => {
      const details = event.stateEnteredEventDetails;
      if (event.type !== 'TaskStateEntered' || !details?.name || !machine.agentStates.has(details.name)) {
        return [];
      }
      const input = JSON.parse(details.input ?? '{}') as { scenarioId?: unknown };
      return scenarioOf(input) === scenarioId ? [details.name] : [];
    });
    const name = entered[nth];
    if (name) return name;
    if (Date.now() > deadline) {
      throw new Error(`no agent state entered for dispatch ${nth} of scenario ${String(scenarioId)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/**
 * Runs one execution of `machine` in a local Step Functions service of its own and waits for its
 * end. Every dispatch is logged with the state that made it and answered by `agent`.
 */
async function run(
  machine: Machine,
  input: Json,
  agent: Agent,
): Promise<{ result: RunResult; log: Dispatched[] }> {
  const log: Dispatched[] = [];
  const answers: Promise<void>[] = [];
  const dispatchCounts = new Map<unknown, number>();
  let started!: (executionArn: string) => void;
  const executionArn = new Promise<string>((resolve) => {
    started = resolve;
  });

  const answer = async (request: DispatchRequest, nth: number) => {
    const state = await agentStateOf(sfn, machine, await executionArn, scenarioOf(request.args), nth);
    log.push({ state, request });
    const outcome = agent(state, request);
    if (outcome === 'never') return;
    if ('fail' in outcome) {
      await sfn.sendTaskFailure({
        taskToken: request.taskToken,
        error: outcome.fail,
        cause: outcome.message,
      });
    } else {
      await sfn.sendTaskSuccess({ taskToken: request.taskToken, output: JSON.stringify(outcome.output) });
    }
  };

  const invokeLambda: InvokeLambda = async (arn, payload) => {
    if (arn === DISPATCH) {
      // The payload must be what functions/steps/dispatch-command.ts accepts.
      const request = DispatchRequest.parse(payload);
      const scenarioId = scenarioOf(request.args);
      const nth = dispatchCounts.get(scenarioId) ?? 0;
      dispatchCounts.set(scenarioId, nth + 1);
      // The agent answers after the dispatch has returned, as a real one polling for commands does.
      const answered = answer(request, nth);
      answered.catch(() => undefined); // awaited below; this only keeps it from counting as unhandled
      answers.push(answered);
      return { commandId: `command-${answers.length}` };
    }
    const handler = stepHandlers.get(arn);
    if (!handler) throw new Error(`no local handler for ${arn}`);
    return handler(payload, lambdaContext);
  };

  const sfn = new LocalStepFunctions({ stateMachines: [machine], invokeLambda });
  try {
    const start = await sfn.startExecution({ stateMachineArn: machine.arn, input: JSON.stringify(input) });
    if (!start.executionArn) throw new Error('no execution ARN');
    started(start.executionArn);
    const end = await sfn.waitForExecution(start.executionArn, 10_000);
    await Promise.all(answers);
    return {
      result: {
        status: end.status,
        ...(end.output !== undefined ? { output: JSON.parse(end.output) as unknown } : {}),
        ...(end.error !== undefined ? { error: end.error } : {}),
        ...(end.cause !== undefined ? { cause: end.cause } : {}),
      },
      log,
    };
  } finally {
    await sfn.close();
  }
}

/** Tokens minted by the local service, one per dispatch. */
const MINTED_TOKEN = expect.stringMatching(/^tdm-local-/);

const scenario = (id: string, timeoutSeconds?: number) => ({
  scenarioId: id,
  scenarioName: `scenario ${id}`,
  replicaHostId: `replica-of-${id}`,
  ...(timeoutSeconds ? { timeoutSeconds } : {}),
});

describe('backup workflow, run locally', () => {
  const runBackup = (input: Json, agent: Agent) => run(backupMachine, input, agent);

  it('suspends, snapshots and resumes every replica and completes the job', async () => {
    const { result, log } = await runBackup(
      { jobId: 'job-1', scenarios: [scenario('a'), scenario('b')] },
      () => ({ output: { ok: true } }),
    );
    expect(result).toEqual({
      status: 'SUCCEEDED',
      output: {
        jobId: 'job-1',
        result: 'completed',
        scenarios: [
          { scenarioId: 'a', status: 'completed' },
          { scenarioId: 'b', status: 'completed' },
        ],
      },
    });
    const forA = log.filter((entry) => entry.request.args.scenarioId === 'a');
    expect(forA.map((entry) => [entry.state, entry.request.kind])).toEqual([
      ['SuspendReplica', 'suspend'],
      ['SnapshotReplica', 'snapshot'],
      ['ResumeReplica', 'resume'],
    ]);
    expect(forA[0]?.request).toEqual({
      hostId: 'replica-of-a',
      kind: 'suspend',
      args: { scenarioId: 'a', scenarioName: 'scenario a' },
      taskToken: MINTED_TOKEN,
      // The validate step filled in the default agent timeout.
      timeoutSeconds: 180,
    });
    // Every task run gets a token of its own.
    expect(new Set(log.map((entry) => entry.request.taskToken)).size).toBe(6);
  });

  it('resumes the replica after a failed snapshot and reports the agent code', async () => {
    const { result, log } = await runBackup(
      { jobId: 'job-2', scenarios: [scenario('a'), scenario('b')] },
      (state, request) =>
        state === 'SnapshotReplica' && request.args.scenarioId === 'a'
          ? { fail: 'AE0460', message: 'no space for the difference area' }
          : { output: {} },
    );
    expect(result).toEqual({
      status: 'SUCCEEDED',
      output: {
        jobId: 'job-2',
        result: 'incomplete',
        scenarios: [
          {
            scenarioId: 'a',
            status: 'failed',
            error: { code: 'AE0460', message: 'no space for the difference area' },
          },
          { scenarioId: 'b', status: 'completed' },
        ],
      },
    });
    const forA = log.filter((entry) => entry.request.args.scenarioId === 'a').map((entry) => entry.state);
    expect(forA).toEqual(['SuspendReplica', 'SnapshotReplica', 'ResumeAfterFailure']);
  });

  it('keeps the snapshot error when the resume after it fails too', async () => {
    const { result } = await runBackup({ jobId: 'job-3', scenarios: [scenario('a')] }, (state) =>
      state === 'SnapshotReplica'
        ? { fail: 'AE0460', message: 'snapshot failed' }
        : state === 'ResumeAfterFailure'
          ? { fail: 'AE0463', message: 'engine unreachable' }
          : { output: {} },
    );
    expect(result).toMatchObject({
      status: 'SUCCEEDED',
      output: {
        result: 'failed',
        scenarios: [
          { scenarioId: 'a', status: 'failed', error: { code: 'AE0460', message: 'snapshot failed' } },
        ],
      },
    });
  });

  it('reports AE0469 when an agent does not answer within the scenario timeout, without snapshotting', async () => {
    const { result, log } = await runBackup({ jobId: 'job-4', scenarios: [scenario('a', 1)] }, (state) =>
      state === 'SuspendReplica' ? 'never' : { output: {} },
    );
    expect(result).toMatchObject({
      status: 'SUCCEEDED',
      output: {
        result: 'failed',
        scenarios: [
          {
            scenarioId: 'a',
            status: 'failed',
            error: { code: 'AE0469', message: 'the agent step passed its timeout' },
          },
        ],
      },
    });
    expect(log.map((entry) => entry.state)).toEqual(['SuspendReplica']);
  });

  it('fails the execution with AE0468 when the job input is malformed', async () => {
    const { result } = await runBackup({ jobId: 'job-5', scenarios: [] }, () => ({ output: {} }));
    expect(result).toMatchObject({ status: 'FAILED', error: 'AE0468' });
  });
});

describe('restore workflow, run locally', () => {
  const runRestore = (input: Json, answer: AgentAnswer) => run(restoreMachine, input, () => answer);
  const job = { jobId: 'job-r', hostId: 'host-1', sessionId: 'session-9', destination: '/restore' };

  it('asks the destination host to restore the session and succeeds', async () => {
    const { result, log } = await runRestore(job, { output: { files: 3 } });
    expect(result).toMatchObject({
      status: 'SUCCEEDED',
      output: { ...job, timeoutSeconds: 180, restoreResult: { files: 3 } },
    });
    expect(log.map((entry) => entry.state)).toEqual(['RestoreOnHost']);
    expect(log.map((entry) => entry.request)).toEqual([
      {
        hostId: 'host-1',
        kind: 'restore',
        args: { sessionId: 'session-9', destination: '/restore', jobId: 'job-r' },
        taskToken: MINTED_TOKEN,
        timeoutSeconds: 180,
      },
    ]);
  });

  it('fails with the agent code as error and its message as cause', async () => {
    const { result } = await runRestore(job, { fail: 'AE0464', message: 'could not stop the scenario' });
    expect(result).toMatchObject({
      status: 'FAILED',
      error: 'AE0464',
      cause: 'could not stop the scenario',
    });
  });

  it('fails with AE0469 when the host does not answer in time', async () => {
    const { result } = await runRestore({ ...job, timeoutSeconds: 1 }, 'never');
    expect(result).toMatchObject({
      status: 'FAILED',
      error: 'AE0469',
      cause: 'the agent step passed its timeout',
    });
  });

  it('fails with AE0468 when the job input is malformed, before any host is asked', async () => {
    const { result, log } = await runRestore({ jobId: 'job-r' }, { output: {} });
    expect(result).toMatchObject({ status: 'FAILED', error: 'AE0468' });
    expect(log).toEqual([]);
  });
});
