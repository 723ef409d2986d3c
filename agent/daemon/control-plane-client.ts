/**
 * The agent's side of the control-plane API: heartbeat, the command long
 * poll, command results and heartbeats, events and scenario status. Every
 * call carries the agent credential as a bearer token; transient failures
 * (network, 408, 429, 5xx) are retried with back-off, the rest surface as
 * ApiError with the API's code and status.
 */

import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { MediaCredentials, type MediaCredentialsRequest } from '../../core/agent-commands.js';
import { type AgentCommand, Command, type CommandResult } from '../../core/command.js';
import { Host } from '../../core/host.js';
import type { RewindPoint } from '../../core/rewind-point.js';
import type { Entity } from '../../core/scenario.js';
import type { AlertKind, ScenarioEvent, ScenarioStatistics } from '../scenario-runtime.js';
import { withBackoff } from './backoff.js';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** Network failures and answers another attempt may turn around. */
export function isTransient(error: unknown): boolean {
  if (error instanceof ApiError) return error.status === 408 || error.status === 429 || error.status >= 500;
  return error instanceof TypeError || (error instanceof Error && error.name === 'TimeoutError');
}

const AgentCommandBody = Command.pick({ id: true, kind: true, args: true, deadline: true });
const ErrorBody = z.object({ code: z.string(), message: z.string() }).partial();

export interface HeartbeatReport {
  agentVersion?: string;
  os?: string;
  addresses?: string[];
  dataPort?: number;
}

export interface EventBatch {
  events: ScenarioEvent[];
  alerts?: Array<{ scenarioId: string; kind: AlertKind; text: string }>;
}

/** The body of POST /agent/scenarios/{id}/status (core/scenario-status.ts). */
export interface ScenarioStatusReport {
  statistics: ScenarioStatistics;
  /** After a discovery on the master: the scenario's entities. */
  entities?: Entity[];
}

/** Whether the control plane took a report, or does not offer its route yet (404). */
export type Delivery = 'delivered' | 'absent';

export interface ControlPlaneClientOptions {
  apiUrl: string;
  credential: string;
  /** Attempts per call for transient failures. */
  attempts?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** Per-request limit, beyond the long poll's own wait. */
  requestTimeoutMs?: number;
}

interface RequestOptions {
  body?: unknown;
  signal?: AbortSignal;
  timeoutMs?: number;
}

export class ControlPlaneClient {
  readonly #base: string;
  readonly #credential: string;
  readonly #attempts: number;
  readonly #baseDelayMs: number;
  readonly #maxDelayMs: number;
  readonly #timeoutMs: number;
  /** This process's run id, on every poll: what an earlier run of this agent claimed and left is sent again. */
  readonly run = randomBytes(8).toString('hex');

  constructor(options: ControlPlaneClientOptions) {
    this.#base = options.apiUrl.replace(/\/+$/, '');
    this.#credential = options.credential;
    this.#attempts = options.attempts ?? 6;
    this.#baseDelayMs = options.baseDelayMs ?? 250;
    this.#maxDelayMs = options.maxDelayMs ?? 10_000;
    this.#timeoutMs = options.requestTimeoutMs ?? 15_000;
  }

  async heartbeat(report: HeartbeatReport, signal?: AbortSignal): Promise<Host> {
    return Host.parse(await this.#call('POST', '/agent/heartbeat', { body: report, signal }));
  }

  /**
   * The next command for this host, or undefined when none arrived within `waitSeconds`. `running`
   * names the commands this agent is running: any other the control plane claimed for this host is
   * sent again (its first delivery was lost, or a poll of this agent's previous process claimed it).
   */
  async pollCommand(
    waitSeconds: number,
    running: readonly string[] = [],
    signal?: AbortSignal,
  ): Promise<AgentCommand | undefined> {
    const query = new URLSearchParams({ waitSeconds: String(waitSeconds), run: this.run });
    if (running.length > 0) query.set('running', running.join(','));
    const body = await this.#call('GET', `/agent/commands?${query}`, {
      signal,
      timeoutMs: waitSeconds * 1000 + this.#timeoutMs,
    });
    return body === undefined ? undefined : AgentCommandBody.parse(body);
  }

  /** 'late' when the control plane recorded the outcome but nobody waits for it any more (409). */
  async postResult(
    commandId: string,
    result: CommandResult,
    signal?: AbortSignal,
  ): Promise<'delivered' | 'late'> {
    try {
      await this.#call('POST', `/agent/commands/${encodeURIComponent(commandId)}/result`, {
        body: result,
        signal,
      });
      return 'delivered';
    } catch (error) {
      if (error instanceof ApiError && error.status === 409) return 'late';
      throw error;
    }
  }

  /** False when the command is no longer running or its step stopped waiting (409). */
  async heartbeatCommand(commandId: string, signal?: AbortSignal): Promise<boolean> {
    try {
      await this.#call('POST', `/agent/commands/${encodeURIComponent(commandId)}/heartbeat`, { signal });
      return true;
    } catch (error) {
      if (error instanceof ApiError && error.status === 409) return false;
      throw error;
    }
  }

  async postEvents(batch: EventBatch, signal?: AbortSignal): Promise<Delivery> {
    return this.#report('/agent/events', batch, signal);
  }

  async postStatus(
    scenarioId: string,
    report: ScenarioStatusReport,
    signal?: AbortSignal,
  ): Promise<Delivery> {
    return this.#report(`/agent/scenarios/${encodeURIComponent(scenarioId)}/status`, report, signal);
  }

  /** A replica's whole list of rewind points: the catalog is made to match it. */
  async postRewindPoints(scenarioId: string, points: RewindPoint[], signal?: AbortSignal): Promise<Delivery> {
    return this.#report(
      `/agent/scenarios/${encodeURIComponent(scenarioId)}/rewind-points`,
      { points },
      signal,
    );
  }

  /** Short-lived credentials for a scenario's media; undefined while the control plane lacks the route (404). */
  async mediaCredentials(request: MediaCredentialsRequest, signal?: AbortSignal): Promise<MediaCredentials> {
    return MediaCredentials.parse(await this.#call('POST', '/agent/credentials', { body: request, signal }));
  }

  async #report(path: string, body: unknown, signal?: AbortSignal): Promise<Delivery> {
    try {
      await this.#call('POST', path, { body, signal });
      return 'delivered';
    } catch (error) {
      // Routes the control plane does not offer yet (an older deployment) answer 404.
      if (error instanceof ApiError && error.status === 404) return 'absent';
      throw error;
    }
  }

  #call(method: string, path: string, options: RequestOptions): Promise<unknown> {
    return withBackoff(() => this.#once(method, path, options), {
      attempts: this.#attempts,
      baseMs: this.#baseDelayMs,
      maxMs: this.#maxDelayMs,
      retryable: isTransient,
      signal: options.signal,
    });
  }

  async #once(method: string, path: string, options: RequestOptions): Promise<unknown> {
    const timeout = AbortSignal.timeout(options.timeoutMs ?? this.#timeoutMs);
    const headers: Record<string, string> = { authorization: `Bearer ${this.#credential}` };
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    const response = await fetch(`${this.#base}${path}`, {
      method,
      headers,
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
      signal: options.signal ? AbortSignal.any([options.signal, timeout]) : timeout,
    });
    const text = await response.text();
    if (response.ok && (response.status === 204 || text === '')) return undefined;
    let parsed: unknown;
    try {
      parsed = text === '' ? undefined : JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    if (!response.ok) {
      const error = ErrorBody.safeParse(parsed);
      const body = error.success ? error.data : {};
      throw new ApiError(
        response.status,
        body.code ?? `HTTP${response.status}`,
        `${method} ${path.split('?')[0]}: ${response.status} ${body.message ?? response.statusText}`,
      );
    }
    return parsed;
  }
}
