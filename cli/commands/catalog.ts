/** `tidemark sessions …`, `tidemark restore …`, `tidemark events`: what was backed up, and getting it back. */
import type { Command } from 'commander';
import type { Json } from '../api-client.js';
import { contextOf } from '../context.js';
import { queryString, segment } from '../query-string.js';
import { integer, runAction } from '../run-action.js';
import { printJob } from './jobs.js';

const SESSION_COLUMNS = [
  { header: 'number', value: (s: Json) => s.number },
  { header: 'scenario', value: (s: Json) => s.scenarioName },
  { header: 'entity', value: (s: Json) => s.entity },
  { header: 'master', value: (s: Json) => s.masterHost },
  { header: 'paths', value: (s: Json) => s.masterPaths },
  { header: 'files', value: (s: Json) => s.files },
  { header: 'bytes', value: (s: Json) => s.bytes },
  { header: 'tier', value: (s: Json) => (s.media as Json | undefined)?.tier },
  { header: 'ended', value: (s: Json) => s.endedAt },
];

export function registerCatalog(program: Command): void {
  const sessions = program.command('sessions').description('backup sessions in the catalog');
  sessions
    .command('list')
    .description('committed sessions newest first')
    .option('--scenario <scenario>', 'of one scenario (id or name)')
    .option('--media <s3url>', 'on one media location, s3://bucket/prefix')
    .action(
      runAction(async (options: { scenario?: string; media?: string }, command: Command) => {
        const ctx = contextOf(command);
        const answer = await ctx.api.request('GET', `/sessions${queryString({ ...options, limit: 100 })}`);
        ctx.printList(answer, answer.sessions as Json[], SESSION_COLUMNS);
      }),
    );
  sessions
    .command('get <number>')
    .description('one session')
    .action(
      runAction(async (number: string, _options: unknown, command: Command) => {
        const ctx = contextOf(command);
        ctx.printRecord(await ctx.api.request('GET', `/sessions/${segment(number)}`));
      }),
    );

  const restore = program.command('restore').description('find what to restore, and restore it');
  restore
    .command('sessions <scenario>')
    .description("restore by session: the scenario's sessions")
    .action(
      runAction(async (scenario: string, _options: unknown, command: Command) => {
        const ctx = contextOf(command);
        const answer = await ctx.api.request('GET', `/restore/sessions${queryString({ scenario })}`);
        ctx.printList(answer, answer.sessions as Json[], SESSION_COLUMNS);
      }),
    );
  restore
    .command('tree <scenario> [path]')
    .description('restore by tree: browse a master path and list its recovery points')
    .option('--at <session>', 'the recovery point (session number) to browse; newest by default', integer)
    .action(
      runAction(
        async (scenario: string, path: string | undefined, options: { at?: number }, command: Command) => {
          const ctx = contextOf(command);
          const view = await ctx.api.request(
            'GET',
            `/restore/tree${queryString({ scenario, path: path ?? '/', session: options.at })}`,
          );
          ctx.printList(view, view.entries as Json[], [
            { header: 'type', value: (e) => e.type },
            { header: 'path', value: (e) => e.path },
          ]);
          const points = (view.recoveryPoints as Json[]).map(
            (p) => `${p.number} (${p.endedAt ?? p.startedAt})`,
          );
          ctx.say(
            `recovery points of ${view.path}: ${points.join(', ') || 'none'}; shown: session ${view.session}`,
          );
        },
      ),
    );
  restore
    .command('query <pattern>')
    .description('restore by query: file names matching a wildcard (* and ?) across sessions')
    .option('--scenario <scenario>', 'only this scenario')
    .option('--limit <n>', 'at most this many matches', integer)
    .action(
      runAction(async (pattern: string, options: { scenario?: string; limit?: number }, command: Command) => {
        const ctx = contextOf(command);
        const view = await ctx.api.request('GET', `/restore/query${queryString({ pattern, ...options })}`);
        ctx.printList(view, view.matches as Json[], [
          { header: 'session', value: (m) => m.sessionNumber },
          { header: 'path', value: (m) => m.path },
        ]);
        ctx.say(`${view.total} match(es) in ${view.sessionsSearched} session(s), ${view.elapsedMs} ms`);
      }),
    );
  restore
    .command('start <scenario>')
    .description('submit a restore job')
    .requiredOption('--session <number>', 'the session to restore')
    .requiredOption('--to <directory>', 'the destination directory on the destination host')
    .option('--host <host>', "the destination host (default: the scenario's master)")
    .action(
      runAction(
        async (scenario: string, options: { session: string; to: string; host?: string }, command) => {
          const ctx = contextOf(command as Command);
          const job = await ctx.api.request('POST', '/jobs', {
            kind: 'restore',
            scenarios: [scenario],
            restore: { sessionId: options.session, destination: options.to, host: options.host },
          });
          printJob(ctx, job);
        },
      ),
    );

  program
    .command('events <scenario>')
    .description("a scenario's events, newest first")
    .action(
      runAction(async (scenario: string, _options: unknown, command: Command) => {
        const ctx = contextOf(command);
        const answer = await ctx.api.request('GET', `/scenarios/${segment(scenario)}/events`);
        ctx.printList(answer, answer.events as Json[], [
          { header: 'seq', value: (e) => e.sequence },
          { header: 'time', value: (e) => e.time },
          { header: 'event', value: (e) => e.eventId },
          { header: 'severity', value: (e) => e.severity },
          { header: 'host', value: (e) => e.host },
          { header: 'text', value: (e) => e.text },
        ]);
      }),
    );
}
