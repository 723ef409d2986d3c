/** `tidemark backup`, `tidemark jobs …`: submit backups, watch and steer the job queue. */
import type { Command } from 'commander';
import type { Json } from '../api-client.js';
import { contextOf } from '../context.js';
import { queryString, segment } from '../query-string.js';
import { runAction } from '../run-action.js';

export const JOB_COLUMNS = [
  { header: 'id', value: (j: Json) => j.id },
  { header: 'kind', value: (j: Json) => j.kind },
  { header: 'status', value: (j: Json) => j.status },
  { header: 'result', value: (j: Json) => j.result },
  { header: 'scenarios', value: (j: Json) => (j.scenarios as Json[]).map((s) => s.scenarioName) },
  {
    header: 'schedule',
    value: (j: Json) => (j.schedule as Json | undefined)?.cron ?? (j.schedule as Json)?.rate,
  },
  { header: 'created', value: (j: Json) => j.createdAt },
];

/** One job: its fields, then a line per scenario with its result and error code. */
export function printJob(ctx: ReturnType<typeof contextOf>, job: Json): void {
  const { scenarios, ...rest } = job;
  ctx.printRecord(job, rest);
  for (const child of scenarios as Json[]) {
    const error = child.error as Json | undefined;
    const outcome = child.result ?? child.status;
    ctx.say(`  ${child.scenarioName}: ${outcome}${error ? ` — ${error.code}: ${error.message}` : ''}`);
  }
}

export function registerJobs(program: Command): void {
  program
    .command('backup <scenario...>')
    .description('back up scenarios now, or on a schedule with --cron/--rate')
    .option('--cron <expression>', 'EventBridge Scheduler cron, e.g. "cron(0 2 * * ? *)"')
    .option('--rate <expression>', 'EventBridge Scheduler rate, e.g. "rate(6 hours)"')
    .option('--name <name>', 'a name for the job')
    .action(
      runAction(
        async (scenarios: string[], options: { cron?: string; rate?: string; name?: string }, command) => {
          const ctx = contextOf(command as Command);
          const schedule = options.cron
            ? { cron: options.cron }
            : options.rate
              ? { rate: options.rate }
              : undefined;
          const job = await ctx.api.request('POST', '/jobs', {
            kind: 'backup',
            name: options.name,
            scenarios,
            schedule,
          });
          printJob(ctx, job);
        },
      ),
    );

  const jobs = program.command('jobs').description('the job queue');

  jobs
    .command('list')
    .description('jobs newest first')
    .option('--status <status>', 'ready | active | hold | done')
    .action(
      runAction(async (options: { status?: string }, command: Command) => {
        const ctx = contextOf(command);
        const answer = await ctx.api.request(
          'GET',
          `/jobs${queryString({ status: options.status, limit: 100 })}`,
        );
        ctx.printList(answer, answer.jobs as Json[], JOB_COLUMNS);
      }),
    );

  jobs
    .command('get <jobId>')
    .description('one job and the outcome of each scenario')
    .action(
      runAction(async (jobId: string, _options: unknown, command: Command) => {
        const ctx = contextOf(command);
        printJob(ctx, await ctx.api.request('GET', `/jobs/${segment(jobId)}`));
      }),
    );

  for (const [verb, description] of [
    ['hold', 'hold a scheduled job (its schedule is disabled)'],
    ['release', 'release a held job'],
    ['cancel', 'cancel a job: stops its execution, resumes replication, releases the lock'],
  ] as const) {
    jobs
      .command(`${verb} <jobId>`)
      .description(description)
      .action(
        runAction(async (jobId: string, _options: unknown, command: Command) => {
          const ctx = contextOf(command);
          printJob(ctx, await ctx.api.request('POST', `/jobs/${segment(jobId)}/${verb}`));
        }),
      );
  }

  jobs
    .command('delete <jobId>')
    .description('delete a job that is not running, and its schedule')
    .action(
      runAction(async (jobId: string, _options: unknown, command: Command) => {
        const ctx = contextOf(command);
        ctx.printRecord(await ctx.api.request('DELETE', `/jobs/${segment(jobId)}`), { deleted: jobId });
      }),
    );

  jobs
    .command('activity <jobId>')
    .description("the job's activity log")
    .action(
      runAction(async (jobId: string, _options: unknown, command: Command) => {
        const ctx = contextOf(command);
        const answer = await ctx.api.request('GET', `/jobs/${segment(jobId)}/activity`);
        ctx.printList(answer, answer.entries as Json[], [
          { header: 'time', value: (e) => e.time },
          { header: 'severity', value: (e) => e.severity },
          { header: 'code', value: (e) => e.code },
          { header: 'session', value: (e) => e.sessionNumber },
          { header: 'message', value: (e) => e.message },
        ]);
      }),
    );
}
