/**
 * Task tokens of `waitForTaskToken` tasks: minting, waiting for
 * SendTaskSuccess / SendTaskFailure, heartbeats, and closing.
 *
 * A token stays valid from the moment it is minted until its task ends; the
 * binding closes it when the task times out, and the service closes all of an
 * execution's tokens when the execution stops or ends. A closed token answers
 * every later call with TaskTimedOut, as Step Functions does for a task that
 * timed out or already finished; a token never minted answers TaskDoesNotExist.
 */
import { randomBytes } from 'node:crypto';
import { serviceError } from './service-errors.js';
import { heartbeatTimeout, reportedFailure } from './task-errors.js';

export interface TokenOwner {
  executionArn: string;
  stateName: string;
}

export interface OpenedToken {
  token: string;
  /** Settles with the parsed SendTaskSuccess output, or rejects with the task's error. */
  outcome: Promise<unknown>;
}

interface OpenTask {
  owner: TokenOwner;
  resolve: (output: unknown) => void;
  reject: (error: Error) => void;
  heartbeatSeconds?: number;
  heartbeatTimer?: NodeJS.Timeout;
}

/** AWS accepts tokens of 1 to 2048 characters; anything else is malformed. */
const MAX_TOKEN_LENGTH = 2048;
/** Closed tokens remembered for TaskTimedOut answers; older ones fall back to TaskDoesNotExist. */
const REMEMBERED_CLOSED_TOKENS = 10_000;

export class TaskTokenRegistry {
  private readonly open = new Map<string, OpenTask>();
  private readonly closed = new Set<string>();

  /** Mints a token for a waiting task; `heartbeatSeconds` starts the heartbeat clock now. */
  mint(owner: TokenOwner, heartbeatSeconds?: number): OpenedToken {
    // Opaque and unguessable, like the real service's tokens; the prefix only helps reading logs.
    const token = `tdm-local-${randomBytes(48).toString('base64url')}`;
    let resolve!: OpenTask['resolve'];
    let reject!: OpenTask['reject'];
    const outcome = new Promise<unknown>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    // The binding may stop listening (the Lambda invoke failed first); a later rejection must not
    // surface as an unhandled rejection.
    outcome.catch(() => {});
    const task: OpenTask = { owner, resolve, reject };
    if (heartbeatSeconds !== undefined) {
      task.heartbeatSeconds = heartbeatSeconds;
      this.armHeartbeat(token, task);
    }
    this.open.set(token, task);
    return { token, outcome };
  }

  succeed(token: string, output: unknown): void {
    this.take(token).resolve(output);
  }

  fail(token: string, error: string, cause: string): void {
    this.take(token).reject(reportedFailure(error, cause));
  }

  heartbeat(token: string): void {
    const task = this.lookup(token);
    this.armHeartbeat(token, task);
  }

  /** Ends a task with `error` (its timeout, an aborted execution); later calls get TaskTimedOut. */
  expire(token: string, error: Error): void {
    const task = this.open.get(token);
    if (!task) return;
    this.close(token, task);
    task.reject(error);
  }

  /** Expires every open token of an execution that stopped or ended. */
  expireExecution(executionArn: string, error: Error): void {
    for (const [token, task] of [...this.open]) {
      if (task.owner.executionArn === executionArn) this.expire(token, error);
    }
  }

  private lookup(token: string): OpenTask {
    if (typeof token !== 'string' || token.length === 0 || token.length > MAX_TOKEN_LENGTH) {
      throw serviceError('InvalidToken', 'Invalid Token: the task token must be 1 to 2048 characters');
    }
    const task = this.open.get(token);
    if (task) return task;
    if (this.closed.has(token))
      throw serviceError('TaskTimedOut', 'Task Timed Out: Provided task does not exist anymore');
    throw serviceError('TaskDoesNotExist', 'Task Does Not Exist: no task has this token');
  }

  private take(token: string): OpenTask {
    const task = this.lookup(token);
    this.close(token, task);
    return task;
  }

  private close(token: string, task: OpenTask): void {
    clearTimeout(task.heartbeatTimer);
    this.open.delete(token);
    this.closed.add(token);
    if (this.closed.size > REMEMBERED_CLOSED_TOKENS) {
      const oldest = this.closed.values().next().value;
      if (oldest !== undefined) this.closed.delete(oldest);
    }
  }

  private armHeartbeat(token: string, task: OpenTask): void {
    const seconds = task.heartbeatSeconds;
    if (seconds === undefined) return;
    clearTimeout(task.heartbeatTimer);
    task.heartbeatTimer = setTimeout(() => this.expire(token, heartbeatTimeout(seconds)), seconds * 1000);
  }
}
