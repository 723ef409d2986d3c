/**
 * Reports each running scenario's statistics to the control plane on a
 * timer, and entities found by discovery when they change. A scenario is
 * tracked from its `start` command until its `stop`.
 */
import type { Entity } from '../../core/scenario.js';
import type { ReplicationRuntime, ScenarioStatistics } from '../scenario-runtime.js';
import type { ControlPlaneClient } from './control-plane-client.js';
import { describeError, type Logger } from './logger.js';

export interface StatusReporterOptions {
  client: Pick<ControlPlaneClient, 'postStatus'>;
  runtime: Pick<ReplicationRuntime, 'statistics'>;
  log: Logger;
  intervalMs: number;
}

function idle(scenarioId: string): ScenarioStatistics {
  return { scenarioId, state: 'stopped', roots: [], spoolBytes: 0, spoolThresholdPercent: 0 };
}

export class StatusReporter {
  readonly #options: StatusReporterOptions;
  readonly #running = new Set<string>();
  #timer: NodeJS.Timeout | undefined;
  #absentLogged = false;

  constructor(options: StatusReporterOptions) {
    this.#options = options;
  }

  start(): void {
    this.#timer ??= setInterval(() => void this.reportAll(), this.#options.intervalMs);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  track(scenarioId: string): void {
    this.#running.add(scenarioId);
  }

  untrack(scenarioId: string): void {
    this.#running.delete(scenarioId);
  }

  get tracked(): string[] {
    return [...this.#running];
  }

  async reportAll(): Promise<void> {
    for (const scenarioId of this.#running) await this.report(scenarioId);
  }

  /** One scenario's statistics now (and its entities, after a discovery). */
  async report(scenarioId: string, entities?: Entity[]): Promise<void> {
    // Discovery may run while the engine does not run the scenario: report it as stopped, with the entities.
    const statistics =
      this.#options.runtime.statistics(scenarioId) ?? (entities ? idle(scenarioId) : undefined);
    if (!statistics) return;
    try {
      const delivery = await this.#options.client.postStatus(scenarioId, {
        statistics,
        ...(entities ? { entities } : {}),
      });
      if (delivery === 'absent' && !this.#absentLogged) {
        this.#absentLogged = true;
        this.#options.log.warn(
          'the control plane has no scenario status route yet; statistics are not reported',
        );
      }
    } catch (error) {
      this.#options.log.warn('could not report scenario status', { scenarioId, error: describeError(error) });
    }
  }
}
