/** `tidemark sessions …`, `tidemark restore …`, `tidemark events`: what was backed up, and getting it back. */
import type { Command } from 'commander';
import type { Json } from '../api-client.js';
import { CliError } from '../cli-error.js';
import { contextOf } from '../context.js';
import { queryString, segment } from '../query-string.js';
import { collect, integer, runAction } from '../run-action.js';
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

interface RestoreStartOptions {
  session: string;
  to?: string;
  original?: boolean;
  replica?: boolean;
  host?: string;
  path: string[];
  pattern?: string;
  tier?: string;
  continueIfCannotStop?: boolean;
}

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
    .description(
      'submit a restore job: a whole session, some paths of it (by tree), or the files matching a pattern',
    )
    .requiredOption('--session <number>', 'the session (recovery point) to restore from')
    .option('--to <directory>', 'an alternate folder on --host (master paths are recreated under it)')
    .option('--original', "over the master's own paths (replication is stopped first, then restarted)")
    .option('--replica', "into the replica's copy (then it resynchronizes to the master)")
    .option('--host <host>', "the destination host for --to (default: the scenario's master)")
    .option('--path <masterPath>', 'restore only this file or directory (repeatable)', collect, [])
    .option('--pattern <wildcard>', 'restore only files whose names match (* and ?)')
    .option('--tier <tier>', 'Glacier retrieval tier: expedited | standard | bulk')
    .option(
      '--continue-if-cannot-stop',
      'for --original: go on even if replication cannot be stopped (else AE0464)',
    )
    .action(
      runAction(async (scenario: string, options: RestoreStartOptions, command) => {
        const ctx = contextOf(command as Command);
        const targets = [options.to !== undefined, options.original === true, options.replica === true];
        if (targets.filter(Boolean).length !== 1) {
          throw new CliError(
            'BadRequest',
            'say where to restore: exactly one of --to <directory>, --original, --replica',
            2,
          );
        }
        const job = await ctx.api.request('POST', '/jobs', {
          kind: 'restore',
          scenarios: [scenario],
          restore: {
            sessionId: options.session,
            to: options.original ? 'original' : options.replica ? 'replica' : 'alternate',
            destination: options.to,
            host: options.host,
            paths: options.path.length > 0 ? options.path : undefined,
            pattern: options.pattern,
            tier: options.tier,
            continueRestoreIfCannotStop: options.continueIfCannotStop,
          },
        });
        printJob(ctx, job);
      }),
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
