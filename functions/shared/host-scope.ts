/**
 * An operator credential's host scope: the hosts it may see and act on.
 * Absent means every host; a scenario is in scope only when its master and
 * every replica are, so a scoped operator can neither read another team's
 * catalog nor reach its media by adding a host of its own to a scenario.
 * Agents reach none of the operator routes; their scope is empty.
 */
import { TidemarkError } from '../../core/error-catalogue.js';
import type { Principal } from '../../core/principal.js';
import type { Scenario } from '../../core/scenario.js';

type ScenarioHosts = Pick<Scenario, 'id' | 'name' | 'master' | 'replicas'>;

export class HostScope {
  private constructor(private readonly hosts: ReadonlySet<string> | undefined) {}

  static readonly all = new HostScope(undefined);

  static of(hosts: readonly string[] | undefined): HostScope {
    return hosts === undefined ? HostScope.all : new HostScope(new Set(hosts.map((h) => h.toLowerCase())));
  }

  /** The scope carried by an authorized principal (see `hostScope` in core/principal.ts). */
  static ofPrincipal(principal: Principal): HostScope {
    if (principal.principalType === 'agent') return new HostScope(new Set());
    if (principal.hostScope === undefined) return HostScope.all;
    return HostScope.of(principal.hostScope === '' ? [] : principal.hostScope.split(','));
  }

  get unlimited(): boolean {
    return this.hosts === undefined;
  }

  /** The host names, for the job record; undefined when unlimited. */
  get list(): string[] | undefined {
    return this.hosts && [...this.hosts];
  }

  covers(host: string): boolean {
    return this.hosts === undefined || this.hosts.has(host.toLowerCase());
  }

  /** True when every host `other` covers is covered here (an unlimited scope only by an unlimited one). */
  coversScope(other: HostScope): boolean {
    if (this.hosts === undefined) return true;
    if (other.hosts === undefined) return false;
    return [...other.hosts].every((host) => this.covers(host));
  }

  coversScenario(scenario: Pick<Scenario, 'master' | 'replicas'>): boolean {
    return this.uncovered(scenario) === undefined;
  }

  /** 403 naming the first host of the scenario the scope misses. */
  requireScenario(scenario: ScenarioHosts, field = 'scenarioId'): void {
    const missing = this.uncovered(scenario);
    if (missing === undefined) return;
    throw new TidemarkError(
      'Forbidden',
      `scenario ${scenario.name} (${scenario.id}) is outside this credential's host scope: it does not cover ${missing}`,
      403,
      field,
    );
  }

  requireHost(host: string, field: string): void {
    if (this.covers(host)) return;
    throw new TidemarkError('Forbidden', `host ${host} is outside this credential's host scope`, 403, field);
  }

  /** The first host of the scenario the scope misses, or undefined. */
  uncovered(scenario: Pick<Scenario, 'master' | 'replicas'>): string | undefined {
    if (this.hosts === undefined) return undefined;
    return [scenario.master, ...scenario.replicas.map((replica) => replica.host)].find(
      (host) => !this.covers(host),
    );
  }
}
