/**
 * The agent's control loop: heartbeats the host on an interval, long-polls
 * the command channel, runs commands through the dispatcher (heartbeating
 * each while it runs) and delivers their outcomes. Commands of one scenario
 * run one after another, in the order they came; different scenarios' run
 * side by side (up to `maxConcurrentCommands`), so a long backup of one
 * scenario does not hold up a `stop` or `suspend` of another. It
 * never exits on its own: an unreachable control plane is retried with
 * back-off. `stop()` is the clean shutdown for SIGTERM/SIGINT.
 */
import { rm } from 'node:fs/promises';
import os from 'node:os';
import type { AgentCommand, CommandResult } from '../../core/command.js';
import { TidemarkError } from '../../core/error-catalogue.js';
import { HostAddress } from '../../core/host.js';
import type { ReplicationRuntime } from '../scenario-runtime.js';
import { backoffDelay, sleep } from './backoff.js';
import type { CommandJournal } from './command-journal.js';
import { type ControlPlaneClient, isTransient } from './control-plane-client.js';
import { type Dispatcher, failureResult } from './dispatcher.js';
import type { EventReporter } from './event-reporter.js';
import { describeError, type Logger } from './logger.js';
import type { StatusReporter } from './status-reporter.js';

export interface ControlLoopOptions {
  self: string;
  dataPort: number;
  /** Addresses to advertise to peers; absent means the interface addresses. */
  addresses?: string[];
  agentVersion: string;
  heartbeatMs: number;
  pollWaitSeconds: number;
  /** How often a running command is heartbeated. */
  commandHeartbeatMs?: number;
  /** How long shutdown waits for the running commands before failing them. */
  shutdownGraceMs?: number;
  /** Commands run at once (of different scenarios); default 4. */
  maxConcurrentCommands?: number;
  /** Runs once after the first heartbeat, before polling: takes up the scenarios of the last run. */
  onStart?: () => Promise<unknown>;
  /** Where received commands are noted until answered; absent, a killed agent's commands time out instead. */
  journal?: CommandJournal;
  client: Pick<ControlPlaneClient, 'heartbeat' | 'pollCommand' | 'postResult' | 'heartbeatCommand'>;
  dispatcher: Dispatcher;
  runtime: Pick<ReplicationRuntime, 'close'>;
  events: Pick<EventReporter, 'start' | 'stop'>;
  status: Pick<StatusReporter, 'start' | 'stop'>;
  log: Logger;
}

interface Running {
  command: AgentCommand;
  done: Promise<void>;
  /** Set once an outcome was posted (or given up on), so it is posted once only. */
  settled: boolean;
  /** The command's heartbeat timer: stopped before its outcome is posted, so no beat lands after it. */
  beat?: NodeJS.Timeout;
}

/** Addresses other agents may reach this host on (never loopback). */
function hostAddresses(): string[] {
  return (
    Object.values(os.networkInterfaces())
      .flatMap((list) => list ?? [])
      .filter((entry) => !entry.internal)
      .map((entry) => entry.address)
      // Only what the heartbeat route accepts: one odd interface must not make every heartbeat a 400.
      .filter((address) => HostAddress.safeParse(address).success)
      .slice(0, 16)
  );
}

export class ControlLoop {
  readonly #options: Required<Omit<ControlLoopOptions, 'addresses' | 'onStart' | 'journal'>> &
    Pick<ControlLoopOptions, 'addresses' | 'onStart' | 'journal'>;
  readonly #abort = new AbortController();
  #heartbeatTimer: NodeJS.Timeout | undefined;
  #polling: Promise<void> | undefined;
  /** Commands received and not yet settled, by id: running, or queued behind their scenario's previous one. */
  readonly #running = new Map<string, Running>();
  /** Per scenario, the last command's completion: the next one of that scenario starts after it. */
  readonly #scenarioTail = new Map<string, Promise<void>>();
  #stopped: Promise<void> | undefined;
  #handled = 0;

  constructor(options: ControlLoopOptions) {
    this.#options = {
      ...options,
      commandHeartbeatMs: options.commandHeartbeatMs ?? 10_000,
      shutdownGraceMs: options.shutdownGraceMs ?? 20_000,
      maxConcurrentCommands: options.maxConcurrentCommands ?? 4,
    };
  }

  /** Commands run so far (for tests and the log). */
  get handled(): number {
    return this.#handled;
  }

  /** First heartbeat (retried until it lands or the loop stops), then the loops. */
  async start(): Promise<void> {
    const { log } = this.#options;
    await this.#heartbeatUntilAccepted();
    if (this.#abort.signal.aborted) return;
    log.info('agent registered with the control plane', { host: this.#options.self });
    // Before polling: answered now, a command the last run left does not wait out its step's timeout.
    await this.#answerInterrupted();
    await this.#options.onStart?.();
    this.#heartbeatTimer = setInterval(() => void this.#heartbeat(), this.#options.heartbeatMs);
    this.#options.events.start();
    this.#options.status.start();
    this.#polling = this.#pollLoop();
  }

  /** Stops polling, lets the running command finish within the grace period (else fails it), closes the engines. */
  stop(reason = 'shutdown'): Promise<void> {
    this.#stopped ??= this.#shutdown(reason);
    return this.#stopped;
  }

  async #shutdown(reason: string): Promise<void> {
    const { log } = this.#options;
    log.info('agent stopping', { reason });
    this.#abort.abort(new Error(`agent ${reason}`));
    clearInterval(this.#heartbeatTimer);
    const grace = sleep(this.#options.shutdownGraceMs).then(() => false);
    const outcomes = await Promise.all(
      [...this.#running.values()].map(async (running) => {
        const finished = await Promise.race([running.done.then(() => true), grace]);
        if (!finished && !running.settled) {
          running.settled = true;
          clearInterval(running.beat);
          const failure = failureResult(
            running.command,
            this.#options.self,
            new Error(`the agent shut down (${reason}) before the command finished`),
          );
          await this.#deliver(running.command, failure, new AbortController().signal);
        }
        return finished;
      }),
    );
    const stuck = outcomes.includes(false);
    // The poll loop waits on a stuck engine call; it ends by itself when that returns, so do not wait for it.
    if (!stuck) await this.#polling?.catch(() => {});
    this.#options.status.stop();
    await this.#options.events.stop();
    await this.#options.runtime.close();
    log.info('agent stopped', { commandsHandled: this.#handled });
  }

  /** Fails each command a previous run received and never answered, after removing its scratch paths. */
  async #answerInterrupted(): Promise<void> {
    const { journal, log, self } = this.#options;
    if (!journal) return;
    const left = await journal.interrupted().catch((error: unknown) => {
      log.error('could not read the command journal', { error: describeError(error) });
      return [];
    });
    for (const { command, receivedAt, scratch } of left) {
      await Promise.all(scratch.map((p) => rm(p, { recursive: true, force: true })));
      const why = `the agent stopped (killed, crashed or lost power) after it received ${command.kind} command ${command.id} at ${receivedAt}, before it finished; ${scratch.length} staged path(s) removed`;
      log.warn('answering a command the last run did not finish', {
        commandId: command.id,
        kind: command.kind,
        staged: scratch.length,
      });
      const failure = failureResult(command, self, new TidemarkError('AE0474', why));
      await this.#deliver(command, failure, this.#abort.signal);
    }
  }

  #report() {
    return {
      agentVersion: this.#options.agentVersion,
      os: `${os.type()} ${os.release()}`.slice(0, 100),
      addresses: this.#options.addresses ?? hostAddresses(),
      dataPort: this.#options.dataPort,
    };
  }

  async #heartbeat(): Promise<boolean> {
    try {
      await this.#options.client.heartbeat(this.#report(), this.#abort.signal);
      return true;
    } catch (error) {
      if (!this.#abort.signal.aborted) {
        this.#options.log.warn('heartbeat failed', { error: describeError(error) });
      }
      return false;
    }
  }

  async #heartbeatUntilAccepted(): Promise<void> {
    for (let attempt = 1; !(await this.#heartbeat()); attempt++) {
      await sleep(backoffDelay(attempt, 1000, 60_000), this.#abort.signal).catch(() => {});
      if (this.#abort.signal.aborted) return;
    }
  }

  async #pollLoop(): Promise<void> {
    const { client, log, pollWaitSeconds } = this.#options;
    let failures = 0;
    while (!this.#abort.signal.aborted) {
      let command: AgentCommand | undefined;
      try {
        // Not aborted on shutdown: the server may already have claimed a command for this poll, and an
        // abandoned poll would leave that command claimed by nobody until its deadline.
        // What it runs, so that a command claimed for it whose response was lost comes back.
        command = await client.pollCommand(pollWaitSeconds, [...this.#running.keys()]);
        failures = 0;
      } catch (error) {
        if (this.#abort.signal.aborted) return;
        failures++;
        log.warn('polling for commands failed', { error: describeError(error), failures });
        // Past the client's own retries: wait longer, up to a minute, and keep trying.
        await sleep(backoffDelay(failures, 1000, 60_000), this.#abort.signal).catch(() => {});
        continue;
      }
      if (!command || this.#running.has(command.id)) continue;
      if (this.#abort.signal.aborted) {
        // Claimed while shutting down: hand it back as failed at once rather than let its step time out.
        const refusal = failureResult(
          command,
          this.#options.self,
          new Error('the agent is shutting down; command not run'),
        );
        await this.#deliver(command, refusal, new AbortController().signal);
        return;
      }
      if (Date.now() > Date.parse(command.deadline)) {
        // Its workflow step stopped waiting (this agent was stalled, or frozen, after the claim): running
        // it now would act behind the workflow's back, e.g. stop a scenario the workflow has restarted.
        const refusal = failureResult(
          command,
          this.#options.self,
          new Error(
            `its deadline ${command.deadline} passed before this agent could start it; command not run`,
          ),
        );
        log.warn('command arrived after its deadline; not run', {
          commandId: command.id,
          kind: command.kind,
        });
        await this.#deliver(command, refusal, new AbortController().signal);
        continue;
      }
      // Durable before it runs: a kill from here on is answered at the next start (#answerInterrupted).
      await this.#options.journal?.record(command).catch((error: unknown) => {
        log.warn('could not note a received command in the journal', {
          commandId: command.id,
          error: describeError(error),
        });
      });
      this.#begin(command);
      // At the limit, the next poll waits for a free place.
      while (this.#running.size >= this.#options.maxConcurrentCommands && !this.#abort.signal.aborted) {
        await Promise.race([...this.#running.values()].map((r) => r.done));
      }
    }
  }

  /** Runs `command` once its scenario's previous command is done; a command without a scenario at once. */
  #begin(command: AgentCommand): void {
    const scenarioId = typeof command.args.scenarioId === 'string' ? command.args.scenarioId : undefined;
    const before = (scenarioId && this.#scenarioTail.get(scenarioId)) || Promise.resolve();
    const { client, log } = this.#options;
    log.info('command received', { commandId: command.id, kind: command.kind });
    // From receipt, not from its start: one queued behind its scenario's previous command is alive too.
    const running: Running = { command, settled: false, done: Promise.resolve() };
    running.beat = setInterval(() => {
      client.heartbeatCommand(command.id).catch((error: unknown) => {
        log.warn('command heartbeat failed', { commandId: command.id, error: describeError(error) });
      });
    }, this.#options.commandHeartbeatMs);
    running.done = before
      .then(() => this.#execute(running))
      .finally(() => {
        clearInterval(running.beat);
        this.#running.delete(command.id);
        if (scenarioId && this.#scenarioTail.get(scenarioId) === running.done)
          this.#scenarioTail.delete(scenarioId);
      });
    this.#running.set(command.id, running);
    if (scenarioId) this.#scenarioTail.set(scenarioId, running.done);
  }

  async #execute(running: Running): Promise<void> {
    const { command } = running;
    // Shutdown failed it while it waited for its turn, or began since: it does not start now.
    if (running.settled) return;
    // Queued behind a command that ran long, its step may have stopped waiting: as at receipt, not run late.
    const late = Date.now() > Date.parse(command.deadline);
    if (this.#abort.signal.aborted || late) {
      clearInterval(running.beat);
      running.settled = true;
      const why = late
        ? `its deadline ${command.deadline} passed while it waited for its scenario's previous command; command not run`
        : 'the agent is shutting down; command not run';
      const refusal = failureResult(command, this.#options.self, new Error(why));
      await this.#deliver(command, refusal, new AbortController().signal);
      return;
    }
    const result = await this.#options.dispatcher.run(command, this.#abort.signal);
    clearInterval(running.beat);
    this.#handled++;
    if (running.settled) return;
    running.settled = true;
    // Delivery outlives a shutdown request: the outcome is what the workflow waits for.
    await this.#deliver(command, result, new AbortController().signal);
  }

  /** Posts an outcome (retrying transient failures until the command's deadline has passed), then forgets it. */
  async #deliver(command: AgentCommand, result: CommandResult, signal: AbortSignal): Promise<void> {
    await this.#post(command, result, signal).catch(() => {});
    await this.#options.journal?.settle(command.id).catch((error: unknown) => {
      this.#options.log.warn('could not clear a command from the journal', {
        commandId: command.id,
        error: describeError(error),
      });
    });
  }

  async #post(command: AgentCommand, result: CommandResult, signal: AbortSignal): Promise<void> {
    const { client, log } = this.#options;
    const giveUpAt = Date.parse(command.deadline) + 60_000;
    for (let attempt = 1; ; attempt++) {
      try {
        const delivery = await client.postResult(command.id, result, signal);
        const fields = { commandId: command.id, kind: command.kind, status: result.status };
        if (delivery === 'late')
          log.warn('command outcome recorded, but its workflow step stopped waiting', fields);
        else log.info('command finished', fields);
        return;
      } catch (error) {
        if (!isTransient(error) || Date.now() > giveUpAt) {
          log.error('could not deliver a command outcome', {
            commandId: command.id,
            error: describeError(error),
          });
          return;
        }
        await sleep(backoffDelay(attempt, 1000, 30_000), signal);
      }
    }
  }
}
