/**
 * Forwards the engines' events and alerts to the control plane: queued,
 * sent in batches on a timer (or at once when a batch fills), retried when
 * the control plane cannot be reached. The queue is bounded so an agent cut
 * off for days does not grow without limit: the oldest events go first.
 * Rewind point lists are not queued: only each scenario's latest matters.
 */
import type { AgentEvents, AlertKind, RewindPoint, ScenarioEvent } from '../scenario-runtime.js';
import { type ControlPlaneClient, type EventBatch, isTransient } from './control-plane-client.js';
import { describeError, type Logger } from './logger.js';

export interface EventReporterOptions {
  client: Pick<ControlPlaneClient, 'postEvents' | 'postRewindPoints'>;
  log: Logger;
  flushMs?: number;
  batchSize?: number;
  maxQueued?: number;
}

type Alert = NonNullable<EventBatch['alerts']>[number];

export class EventReporter implements AgentEvents {
  readonly #options: Required<Omit<EventReporterOptions, 'client' | 'log'>>;
  readonly #client: EventReporterOptions['client'];
  readonly #log: Logger;
  #events: ScenarioEvent[] = [];
  #alerts: Alert[] = [];
  /** The latest unsent list per scenario. */
  readonly #points = new Map<string, RewindPoint[]>();
  #timer: NodeJS.Timeout | undefined;
  #flushing: Promise<void> | undefined;
  #absentLogged = false;
  #dropped = 0;

  constructor(options: EventReporterOptions) {
    this.#client = options.client;
    this.#log = options.log;
    this.#options = {
      flushMs: options.flushMs ?? 2000,
      // The events route takes at most 100 events per batch.
      batchSize: Math.min(options.batchSize ?? 100, 100),
      maxQueued: options.maxQueued ?? 10_000,
    };
  }

  start(): void {
    this.#timer ??= setInterval(() => void this.flush(), this.#options.flushMs);
    this.#timer.unref();
  }

  event(event: ScenarioEvent): void {
    this.#events.push(event);
    this.#trim();
    if (this.#events.length >= this.#options.batchSize) void this.flush();
  }

  alert(scenarioId: string, kind: AlertKind, text: string): void {
    this.#alerts.push({ scenarioId, kind, text });
    this.#trim();
    void this.flush();
  }

  rewindPoints(scenarioId: string, points: RewindPoint[]): void {
    this.#points.set(scenarioId, points);
    void this.flush();
  }

  /** Sends what is queued; one flush at a time, the next picks up what arrived meanwhile. */
  flush(): Promise<void> {
    this.#flushing ??= this.#send().finally(() => {
      this.#flushing = undefined;
    });
    return this.#flushing;
  }

  /** Stops the timer and makes a last attempt to deliver. */
  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.flush();
  }

  get pending(): number {
    return this.#events.length + this.#alerts.length;
  }

  async #send(): Promise<void> {
    await this.#sendPoints();
    await this.#sendEvents();
  }

  async #sendPoints(): Promise<void> {
    for (const [scenarioId, points] of [...this.#points]) {
      try {
        await this.#client.postRewindPoints(scenarioId, points);
      } catch (error) {
        if (isTransient(error)) {
          this.#log.warn('could not report rewind points; will retry', {
            scenarioId,
            error: describeError(error),
          });
          return;
        }
        this.#log.error('the control plane refused a list of rewind points; dropped', {
          scenarioId,
          error: describeError(error),
        });
      }
      // A newer list that arrived meanwhile stays for the next flush.
      if (this.#points.get(scenarioId) === points) this.#points.delete(scenarioId);
    }
  }

  async #sendEvents(): Promise<void> {
    while (this.#events.length > 0 || this.#alerts.length > 0) {
      const events = this.#events.slice(0, this.#options.batchSize);
      // The events route takes at most 20 alerts per batch.
      const alerts = this.#alerts.slice(0, 20);
      let delivery: Awaited<ReturnType<EventReporterOptions['client']['postEvents']>>;
      try {
        delivery = await this.#client.postEvents(alerts.length > 0 ? { events, alerts } : { events });
      } catch (error) {
        if (!isTransient(error)) {
          // Refused (400, 403): sending the same batch again cannot help, and it must not block the ones after it.
          this.#log.error('the control plane refused a batch of events; dropped', {
            events: events.length,
            alerts: alerts.length,
            error: describeError(error),
          });
          this.#events.splice(0, events.length);
          this.#alerts.splice(0, alerts.length);
          continue;
        }
        // Kept for the next flush: the client already retried with back-off.
        this.#log.warn('could not deliver events; will retry', {
          pending: this.pending,
          error: describeError(error),
        });
        return;
      }
      if (delivery === 'absent' && !this.#absentLogged) {
        this.#absentLogged = true;
        this.#log.warn('the control plane has no events route yet; events are dropped until it has');
      }
      this.#events.splice(0, events.length);
      this.#alerts.splice(0, alerts.length);
    }
  }

  #trim(): void {
    const excess = this.pending - this.#options.maxQueued;
    if (excess <= 0) return;
    this.#events.splice(0, Math.min(excess, this.#events.length));
    this.#dropped += excess;
    if (this.#dropped === excess || this.#dropped % 1000 < excess) {
      this.#log.warn('event queue full; dropping the oldest events', { dropped: this.#dropped });
    }
  }
}
