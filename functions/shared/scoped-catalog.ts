/**
 * The catalog as one request may see it: every lookup an operator route
 * makes by id goes through here, and answers 403 for anything outside the
 * credential's host scope; every list leaves such items out. Keeping the
 * check in one place is what makes it hold on every route
 * (test/integration/host-scope.test.ts walks the route table to prove it).
 */
import { TidemarkError } from '../../core/error-catalogue.js';
import type { Host } from '../../core/host.js';
import type { Job, JobStatus } from '../../core/job.js';
import type { ScenarioView } from '../../core/scenario-status.js';
import type { Session } from '../../core/session.js';
import { listHosts, requireHost } from '../repositories/hosts.js';
import { listJobs, requireJob } from '../repositories/jobs.js';
import { findScenario, listScenarios, requireScenario } from '../repositories/scenarios.js';
import {
  allSessions,
  listSessions,
  requireSession,
  type SessionFilter,
  type SessionPage,
} from '../repositories/sessions.js';
import type { HostScope } from './host-scope.js';

export class ScopedCatalog {
  /** Scenarios by id, looked up once per request (sessions and jobs name them). */
  private readonly byId = new Map<string, Promise<ScenarioView | undefined>>();

  constructor(readonly scope: HostScope) {}

  async scenario(idOrName: string, field = 'scenarioId'): Promise<ScenarioView> {
    const scenario = await requireScenario(idOrName, field);
    this.scope.requireScenario(scenario, field);
    return scenario;
  }

  async scenarios(limit: number, next?: string): Promise<{ scenarios: ScenarioView[]; next?: string }> {
    const page = await listScenarios(limit, next);
    return { ...page, scenarios: page.scenarios.filter((s) => this.scope.coversScenario(s)) };
  }

  async host(id: string): Promise<Host> {
    const host = await requireHost(id);
    this.scope.requireHost(host.name, 'hostId');
    return host;
  }

  async hosts(limit: number, next?: string): Promise<{ hosts: Host[]; next?: string }> {
    const page = await listHosts(limit, next);
    return { ...page, hosts: page.hosts.filter((host) => this.scope.covers(host.name)) };
  }

  async job(id: string): Promise<Job> {
    const job = await requireJob(id);
    const outside = await this.outsideOf(job);
    if (outside) throw outsideScope(`job ${job.id} ${outside}`, 'jobId');
    return job;
  }

  async jobs(
    status: JobStatus | undefined,
    limit: number,
    next?: string,
  ): Promise<{ jobs: Job[]; next?: string }> {
    const page = await listJobs(status, limit, next);
    const visible: Job[] = [];
    for (const job of page.jobs) if (!(await this.outsideOf(job))) visible.push(job);
    return { ...page, jobs: visible };
  }

  async session(number: number): Promise<Session> {
    const session = await requireSession(number);
    const outside = await this.scenarioOutside(session.scenarioId, session.scenarioName);
    if (outside) throw outsideScope(`session ${number} belongs to ${outside}`, 'number');
    return session;
  }

  async sessions(filter: SessionFilter, limit: number, next?: string): Promise<SessionPage> {
    const page = await listSessions(filter, limit, next);
    return { ...page, sessions: await this.visibleSessions(page.sessions) };
  }

  async allSessions(filter: SessionFilter): Promise<Session[]> {
    return this.visibleSessions(await allSessions(filter));
  }

  private async visibleSessions(sessions: Session[]): Promise<Session[]> {
    if (this.scope.unlimited) return sessions;
    const visible: Session[] = [];
    for (const session of sessions) {
      if (!(await this.scenarioOutside(session.scenarioId, session.scenarioName))) visible.push(session);
    }
    return visible;
  }

  /** What puts a job outside the scope (a scenario or the restore's destination), or undefined. */
  private async outsideOf(job: Job): Promise<string | undefined> {
    if (this.scope.unlimited) return undefined;
    for (const child of job.scenarios) {
      const outside = await this.scenarioOutside(child.scenarioId, child.scenarioName);
      if (outside) return `runs ${outside}`;
    }
    const host = job.restore?.host;
    return host && !this.scope.covers(host) ? `restores to host ${host}, which it does not cover` : undefined;
  }

  /** `scenario X (id), …` when the scenario is outside the scope; a deleted scenario is outside any limited scope. */
  private async scenarioOutside(id: string, name: string): Promise<string | undefined> {
    if (this.scope.unlimited) return undefined;
    let found = this.byId.get(id);
    if (!found) {
      found = findScenario(id);
      this.byId.set(id, found);
    }
    const scenario = await found;
    if (!scenario) return `scenario ${name} (${id}), which no longer exists to check its hosts`;
    const missing = this.scope.uncovered(scenario);
    return missing ? `scenario ${name} (${id}), whose host ${missing} it does not cover` : undefined;
  }
}

function outsideScope(what: string, field: string): TidemarkError {
  return new TidemarkError('Forbidden', `outside this credential's host scope: ${what}`, 403, field);
}
