/**
 * The command channel's storage. A command item holds the Step Functions
 * task token of the step waiting on it; agents only ever see id, kind, args
 * and deadline. Status moves pending → running → succeeded | failed, each
 * move a conditional write so two pollers never claim the same command.
 */
import { createHash, randomUUID } from 'node:crypto';
import { GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { type AgentCommand, Command, type CommandStatus, type DispatchRequest } from '../../core/command.js';
import { keys, withoutKeys } from '../../core/table.js';
import { db, isConditionFailure, setExpression, tableName } from './table.js';

interface StoredCommand extends Command {
  /** Absent for commands the API writes directly (scenario run/stop/discover): nobody waits on them. */
  taskToken?: string;
}

/** A command to write: a workflow step's carries its task token, the API's own commands none. */
export type NewCommand = Omit<DispatchRequest, 'taskToken'> & { taskToken?: string };

/**
 * A workflow step's command is named by its task token, and written only if no item has that name:
 * a dispatch Lambda retried (timeout, throttling) finds the command its first attempt wrote instead of
 * queueing a second one.
 */
export async function createCommand(request: NewCommand): Promise<Command> {
  const now = new Date();
  const id =
    request.taskToken === undefined
      ? `c-${randomUUID()}`
      : `c-${createHash('sha256').update(request.taskToken).digest('hex').slice(0, 40)}`;
  const command: Command = {
    id,
    hostId: request.hostId,
    kind: request.kind,
    args: request.args,
    status: 'pending',
    createdAt: now.toISOString(),
    deadline: new Date(now.getTime() + request.timeoutSeconds * 1000).toISOString(),
  };
  return db()
    .send(
      new PutCommand({
        TableName: tableName(),
        Item: {
          ...keys.command(command.id),
          ...keys.hostCommandEntry(command.hostId, 'pending', command.createdAt, command.id),
          ...command,
          taskToken: request.taskToken,
          // Finished commands are kept a week for the activity trail, then expire.
          expiresAt: Math.floor(now.getTime() / 1000) + request.timeoutSeconds + 7 * 86_400,
        },
        ConditionExpression: 'attribute_not_exists(PK)',
      }),
    )
    .then(
      () => command,
      async (error: unknown): Promise<Command> => {
        if (!isConditionFailure(error)) throw error;
        const existing = await getStoredCommand(id);
        if (!existing) throw error;
        const { taskToken: _, ...stored } = existing;
        return stored;
      },
    );
}

/** What a polling agent says of itself: the commands it runs, and which run (process start) it is. */
export interface AgentInHand {
  running?: readonly string[];
  run?: string;
}

/**
 * The next command for the host, claimed for it; undefined when none. First one of its own claimed
 * commands that is lost: not among those it says it runs (`running`), and either claimed by an earlier
 * run of the agent (a poll of a process since killed can still claim one, answering a dead socket), or
 * never heartbeated and claimed longer ago than a poll response takes (the response was lost). Then its
 * oldest pending command still wanted.
 */
export async function claimNextCommand(
  hostId: string,
  agent: AgentInHand = {},
): Promise<AgentCommand | undefined> {
  return (await reclaimLost(hostId, agent)) ?? (await claimPending(hostId, agent.run));
}

/** The host's oldest commands (up to 10) in `status`, from the host's command index. */
export async function hostCommandsIn(hostId: string, status: CommandStatus): Promise<Command[]> {
  const { Items = [] } = await db().send(
    new QueryCommand({
      TableName: tableName(),
      IndexName: 'GSI1',
      KeyConditionExpression: 'GSI1PK = :pk AND begins_with(GSI1SK, :status)',
      ExpressionAttributeValues: { ':pk': keys.hostCommands(hostId).GSI1PK, ':status': `${status}#` },
      Limit: 10,
    }),
  );
  return Items.map((item) => Command.parse(withoutKeys(item)));
}

/**
 * How long after its claim a command never heartbeated counts as lost: longer than any poll response
 * takes to arrive (API Gateway ends them at 29 s). An agent heartbeats a command from receipt.
 */
function redeliverAfterMs(): number {
  return Number(process.env.TIDEMARK_REDELIVER_AFTER_MS ?? 30_000);
}

async function reclaimLost(hostId: string, agent: AgentInHand): Promise<AgentCommand | undefined> {
  const now = new Date().toISOString();
  const { running = [], run } = agent;
  for (const command of await hostCommandsIn(hostId, 'running')) {
    // Past its deadline the agent would refuse it anyway.
    if (running.includes(command.id) || command.deadline <= now) continue;
    // Claimed by a process of this agent that is gone: nothing runs it. (One it had received, that
    // process's journal answered at this run's start, before its first poll.)
    const earlierRun =
      run !== undefined && command.claimedByRun !== undefined && command.claimedByRun !== run;
    // A heartbeated one reached its agent, which is still this run: not run again behind its back.
    const claimed = command.claimedAt ?? '';
    const reached = (command.lastHeartbeatAt ?? '') >= claimed;
    const recent = Date.now() - Date.parse(claimed) < redeliverAfterMs();
    if (!earlierRun && (reached || recent)) continue;
    try {
      // Conditional on the claim it lost: of two polls racing, one delivers it again.
      await db().send(
        new UpdateCommand({
          TableName: tableName(),
          Key: keys.command(command.id),
          UpdateExpression: `SET claimedAt = :now, redeliveries = if_not_exists(redeliveries, :zero) + :one${run ? ', claimedByRun = :run' : ''}`,
          ConditionExpression: '#status = :running AND claimedAt = :claimed',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: {
            ':now': now,
            ':zero': 0,
            ':one': 1,
            ':running': 'running',
            ':claimed': command.claimedAt ?? '',
            ...(run ? { ':run': run } : {}),
          },
        }),
      );
    } catch (error) {
      if (isConditionFailure(error)) continue;
      throw error;
    }
    return { id: command.id, kind: command.kind, args: command.args, deadline: command.deadline };
  }
  return undefined;
}

async function claimPending(hostId: string, run?: string): Promise<AgentCommand | undefined> {
  const now = new Date().toISOString();
  for (const command of await hostCommandsIn(hostId, 'pending')) {
    if (command.deadline <= now) {
      // Nobody waits for it any more; retire it so it leaves the queue.
      await moveStatus(command, 'pending', 'failed', {
        error: { code: 'AE0469', message: 'the command expired before the agent picked it up' },
        finishedAt: now,
      });
      continue;
    }
    if (await moveStatus(command, 'pending', 'running', { claimedAt: now, claimedByRun: run })) {
      return { id: command.id, kind: command.kind, args: command.args, deadline: command.deadline };
    }
  }
  return undefined;
}

export async function getStoredCommand(id: string): Promise<StoredCommand | undefined> {
  const { Item } = await db().send(
    new GetCommand({ TableName: tableName(), Key: keys.command(id), ConsistentRead: true }),
  );
  if (!Item) return undefined;
  const taskToken = typeof Item.taskToken === 'string' ? Item.taskToken : undefined;
  return { ...Command.parse(withoutKeys(Item)), taskToken };
}

export async function finishCommand(
  command: Command,
  status: 'succeeded' | 'failed',
  outcome: Pick<Command, 'output' | 'error'>,
): Promise<boolean> {
  return moveStatus(command, command.status, status, { ...outcome, finishedAt: new Date().toISOString() });
}

export async function touchCommand(command: Command): Promise<void> {
  await db().send(
    new UpdateCommand({
      TableName: tableName(),
      Key: keys.command(command.id),
      UpdateExpression: 'SET lastHeartbeatAt = :now',
      ExpressionAttributeValues: { ':now': new Date().toISOString() },
    }),
  );
}

/** Conditionally moves a command from one status to another; false when someone else moved it first. */
async function moveStatus(
  command: Command,
  from: CommandStatus,
  to: CommandStatus,
  fields: Partial<Command>,
): Promise<boolean> {
  const update = setExpression({
    ...fields,
    status: to,
    GSI1SK: keys.hostCommandEntry(command.hostId, to, command.createdAt, command.id).GSI1SK,
  });
  try {
    await db().send(
      new UpdateCommand({
        TableName: tableName(),
        Key: keys.command(command.id),
        UpdateExpression: update.expression,
        ConditionExpression: '#status = :from',
        ExpressionAttributeNames: update.names,
        ExpressionAttributeValues: { ...update.values, ':from': from },
      }),
    );
    return true;
  } catch (error) {
    if (isConditionFailure(error)) return false;
    throw error;
  }
}
