/** `tidemark report …`: the scenario, replication, synchronization, difference and job reports. */
import type { Command } from 'commander';
import { contextOf } from '../context.js';
import { queryString, segment } from '../query-string.js';
import { runAction } from '../run-action.js';

/** Reports are nested records; they print as indented JSON either way, with --json adding nothing. */
const REPORTS = {
  scenario: (scenario: string) => `/reports/scenarios/${segment(scenario)}`,
  replication: (scenario: string) => `/reports/replication${queryString({ scenario })}`,
  synchronization: (scenario: string) => `/reports/synchronization${queryString({ scenario })}`,
  difference: (scenario: string) => `/reports/difference${queryString({ scenario })}`,
  job: (jobId: string) => `/reports/jobs/${segment(jobId)}`,
} as const;

export function registerReports(program: Command): void {
  const report = program.command('report').description('reports');
  for (const [name, path] of Object.entries(REPORTS)) {
    const argument = name === 'job' ? '<jobId>' : '<scenario>';
    report
      .command(`${name} ${argument}`)
      .description(`the ${name} report`)
      .action(
        runAction(async (target: string, _options: unknown, command: Command) => {
          const ctx = contextOf(command);
          process.stdout.write(`${JSON.stringify(await ctx.api.request('GET', path(target)), null, 2)}\n`);
        }),
      );
  }
}
