/**
 * The synthesized backup state machine, run by the local Step Functions
 * service with its real step handlers, driving an agent through the real
 * command channel: dispatch writes a command item to DynamoDB (moto), the
 * agent long-polls GET /agent/commands over HTTP and answers with
 * POST /agent/commands/{id}/result, which reaches Step Functions through the
 * SFN API. The "agent" here is a small loop in the test standing in for the
 * agent program, which a later issue delivers; everything it talks to is real.
 */
import {
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BackupArgs } from '../../core/agent-commands.js';
import { clients } from '../../core/aws-clients.js';
import { type LocalCloud, startLocalCloud } from '../../infra/local/local-cloud.js';
import { apiClient } from './api-client.js';
import { backedUpSessions } from './workflow-agent.js';

let cloud: LocalCloud;
let call: ReturnType<typeof apiClient>;
let admin: string;
let master: { hostId: string; token: string };
let nextPort = 49300;

beforeAll(async () => {
  cloud = await startLocalCloud();
  call = apiClient(cloud.apiUrl);
  admin = await cloud.mintOperatorToken('admin');
  master = await enroll('cc-master');
});
afterAll(async () => {
  await cloud?.stop();
});

async function enroll(name: string) {
  const response = await call('POST', '/hosts', { token: admin, body: { name } });
  expect(response.status).toBe(201);
  const token = response.body.agentToken as string;
  // Replication needs every host's address and data port before a scenario may run.
  const beat = { addresses: ['127.0.0.1'], dataPort: nextPort++ };
  expect((await call('POST', '/agent/heartbeat', { token, body: beat })).status).toBe(200);
  return { hostId: (response.body.host as { id: string }).id, token, name };
}

type Answer = { status: 'succeeded'; output?: unknown } | { status: 'failed'; code: string; message: string };

/** Polls for `count` commands and answers each with `answer(kind)`; returns the kinds seen, in order. */
async function serveCommands(
  token: string,
  count: number,
  answer: (kind: string, args: Record<string, unknown>) => Answer | Promise<Answer>,
) {
  const kinds: string[] = [];
  while (kinds.length < count) {
    const poll = await call('GET', '/agent/commands?waitSeconds=5', { token });
    if (poll.status === 204) continue;
    expect(poll.status).toBe(200);
    expect(poll.body).not.toHaveProperty('taskToken');
    const kind = poll.body.kind as string;
    if (kind === 'start') {
      // The run route's own start command: no workflow waits on it.
      await call('POST', `/agent/commands/${poll.body.id}/result`, { token, body: { status: 'succeeded' } });
      continue;
    }
    kinds.push(kind);
    const result = await call('POST', `/agent/commands/${poll.body.id}/result`, {
      token,
      body: await answer(kind, poll.body.args as Record<string, unknown>),
    });
    expect(result.status).toBe(200);
  }
  return kinds;
}

function backupStateMachineArn() {
  const machine = cloud.provisioned.stateMachines.find((m) => m.logicalId.includes('Backup'));
  if (!machine) throw new Error('no backup state machine in the template');
  return machine.arn;
}

/** The next command a workflow waits on; the run route's start commands are answered and skipped. */
async function nextWorkflowCommand(token: string) {
  for (;;) {
    const poll = await call('GET', '/agent/commands?waitSeconds=5', { token });
    if (poll.status === 204) continue;
    if (poll.body.kind !== 'start') return poll;
    await call('POST', `/agent/commands/${poll.body.id}/result`, { token, body: { status: 'succeeded' } });
  }
}

/** A replicating scenario from the master to `replica`, brought there the way agents do. */
async function replicatingScenario(replica: { name: string; token: string }, timeoutSeconds: number) {
  const created = await call('POST', '/scenarios', {
    token: admin,
    body: {
      name: `cc-${replica.name}`,
      type: 'fileserver',
      master: 'cc-master',
      replicas: [{ host: replica.name, directory: '/replica' }],
      roots: ['/srv'],
      options: { mode: 'suspend', agentTimeoutSeconds: timeoutSeconds },
    },
  });
  expect(created.status).toBe(201);
  const scenarioId = created.body.id as string;
  expect((await call('POST', `/scenarios/${scenarioId}/run`, { token: admin })).status).toBe(202);
  const statistics = { scenarioId, state: 'replicating', roots: [], spoolBytes: 0, spoolThresholdPercent: 0 };
  await call('POST', `/agent/scenarios/${scenarioId}/status`, { token: master.token, body: { statistics } });
  return { scenarioId, scenarioName: `cc-${replica.name}` };
}

async function runBackup(replica: { name: string; token: string }, timeoutSeconds = 30) {
  const scenario = await replicatingScenario(replica, timeoutSeconds);
  const { executionArn } = await clients.sfn().send(
    new StartExecutionCommand({
      stateMachineArn: backupStateMachineArn(),
      input: JSON.stringify({ jobId: `job-${Date.now()}`, scenarios: [scenario] }),
    }),
  );
  if (!executionArn) throw new Error('no execution ARN');
  return executionArn;
}

/** A replica agent whose every step succeeds with output of the contract's shape (the planned sessions, no file data). */
const healthy = async (kind: string, args: Record<string, unknown>): Promise<Answer> => {
  if (kind === 'snapshot') {
    return {
      status: 'succeeded',
      output: { snapshotId: 'snap-1', takenAt: new Date().toISOString(), pauseMs: 1 },
    };
  }
  if (kind === 'backup')
    return { status: 'succeeded', output: await backedUpSessions(args as unknown as BackupArgs) };
  if (kind === 'release_snapshots') return { status: 'succeeded', output: { released: [], kept: 1 } };
  return { status: 'succeeded' };
};

async function finished(executionArn: string) {
  for (;;) {
    const execution = await clients.sfn().send(new DescribeExecutionCommand({ executionArn }));
    if (execution.status !== 'RUNNING') return execution;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('backup workflow over the command channel', () => {
  it('suspends, snapshots and resumes on the replica, and completes the job', async () => {
    const replica = await enroll('replica-ok');
    const executionArn = await runBackup(replica);
    const kinds = await serveCommands(replica.token, 5, healthy);
    expect(kinds).toEqual(['suspend', 'snapshot', 'resume', 'backup', 'release_snapshots']);

    const execution = await finished(executionArn);
    expect(execution.status).toBe('SUCCEEDED');
    const output = JSON.parse(execution.output ?? '{}');
    expect(output.result).toBe('completed');
    expect(output.scenarios).toMatchObject([{ status: 'completed', sessions: [expect.any(Number)] }]);

    const { events = [] } = await clients.sfn().send(new GetExecutionHistoryCommand({ executionArn }));
    const entered = events.map((event) => event.stateEnteredEventDetails?.name).filter(Boolean);
    expect(entered).toEqual(
      expect.arrayContaining([
        'ValidateJob',
        'PrepareScenario',
        'SuspendReplica',
        'ResumeReplica',
        'ReleaseLock',
        'FinishJob',
      ]),
    );
  });

  it('resumes replication even when the snapshot fails, and reports the agent error code', async () => {
    const replica = await enroll('replica-no-space');
    const executionArn = await runBackup(replica);
    const kinds = await serveCommands(replica.token, 3, (kind) =>
      kind === 'snapshot'
        ? { status: 'failed', code: 'AE0460', message: 'no space left for the difference area' }
        : { status: 'succeeded' },
    );
    expect(kinds).toEqual(['suspend', 'snapshot', 'resume']);

    const execution = await finished(executionArn);
    expect(execution.status).toBe('SUCCEEDED');
    const output = JSON.parse(execution.output ?? '{}');
    expect(output.result).toBe('failed');
    expect(output.scenarios[0]).toMatchObject({ status: 'failed', error: { code: 'AE0460' } });
    expect(output.scenarios[0].error.message).toContain('no space left');
  });

  it("refuses an agent's result for another host's command (403), and the rightful agent still answers", async () => {
    const replica = await enroll('replica-owner');
    const intruder = await enroll('replica-intruder');
    const executionArn = await runBackup(replica);

    const poll = await nextWorkflowCommand(replica.token);
    const stolen = await call('POST', `/agent/commands/${poll.body.id}/result`, {
      token: intruder.token,
      body: { status: 'succeeded' },
    });
    expect(stolen.status).toBe(403);
    expect((await call('GET', '/agent/commands?waitSeconds=0', { token: intruder.token })).status).toBe(204);

    expect(
      (
        await call('POST', `/agent/commands/${poll.body.id}/result`, {
          token: replica.token,
          body: { status: 'succeeded' },
        })
      ).status,
    ).toBe(200);
    await serveCommands(replica.token, 4, healthy);
    expect((await finished(executionArn)).status).toBe('SUCCEEDED');
  });

  it('turns a silent agent into AE0469 when the step passes its timeout', async () => {
    const replica = await enroll('replica-silent');
    const executionArn = await runBackup(replica, 5);
    const execution = await finished(executionArn);
    const output = JSON.parse(execution.output ?? '{}');
    expect(output.result).toBe('failed');
    expect(output.scenarios[0]).toMatchObject({ status: 'failed', error: { code: 'AE0469' } });
  });

  it('rejects a malformed result with 400 naming the field, and leaves the command running', async () => {
    const replica = await enroll('replica-bad-result');
    await runBackup(replica);
    const poll = await nextWorkflowCommand(replica.token);
    const bad = await call('POST', `/agent/commands/${poll.body.id}/result`, {
      token: replica.token,
      body: { status: 'failed', code: 'E9999', message: 'x' },
    });
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ code: 'BadRequest', field: 'code' });
    const good = await call('POST', `/agent/commands/${poll.body.id}/result`, {
      token: replica.token,
      body: { status: 'failed', code: 'AE0457', message: 'replica busy' },
    });
    expect(good.status).toBe(200);
  });
});
