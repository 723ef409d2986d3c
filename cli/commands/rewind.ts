/**
 * `tidemark rewind …`: data rewind. `points` lists a scenario's rewind
 * points, `bookmark` takes a named one now, and `tidemark rewind <scenario>
 * --to <point>` stops the scenario and rolls the replica back to it.
 */
import type { Command } from 'commander';
import type { Json } from '../api-client.js';
import { CliError } from '../cli-error.js';
import { contextOf } from '../context.js';
import { integer, runAction } from '../run-action.js';
import { waitForCommand } from '../wait-command.js';

const POINT_COLUMNS = [
  { header: 'id', value: (p: Json) => p.id },
  { header: 'created', value: (p: Json) => p.createdAt },
  { header: 'event', value: (p: Json) => p.event },
  { header: 'label', value: (p: Json) => p.label ?? '' },
  { header: 'replica', value: (p: Json) => p.host },
];

interface WaitOptions {
  wait?: boolean;
  timeout?: number;
}

export function registerRewind(program: Command): void {
  const path = (id: string, action: string) => `/scenarios/${encodeURIComponent(id)}${action}`;
  const rewind = program
    .command('rewind')
    .description('data rewind: list rewind points, take a bookmark, roll a replica back')
    .argument('[scenario]', 'the scenario to rewind (with --to)')
    .option('--to <point>', 'the rewind point (an id from `tidemark rewind points`)')
    .option('--wait', 'wait until the replica has rolled back and print what changed')
    .option('--timeout <seconds>', 'how long --wait waits, in seconds', integer, 600)
    .action(
      runAction(
        async (scenario: string | undefined, options: WaitOptions & { to?: string }, command: Command) => {
          if (!scenario || !options.to)
            throw new CliError(
              'BadRequest',
              'usage: tidemark rewind <scenario> --to <point> [--wait]',
              2,
              'point',
            );
          const ctx = contextOf(command);
          const answer = await ctx.api.request('POST', path(scenario, '/rewind'), { point: options.to });
          const sent = answer.commands as Json[];
          const rewound = sent.find((c) => c.kind === 'rewind') as Json;
          if (!options.wait) {
            ctx.printRecord(answer, {
              scenario: (answer.scenario as Json).name,
              state: (answer.scenario as Json).state,
              point: options.to,
              replica: rewound.host,
              command: rewound.id,
            });
            return;
          }
          const scenarioId = String((answer.scenario as Json).id);
          const done = await waitForCommand(ctx.api, scenarioId, String(rewound.id), options.timeout ?? 600);
          const report = (done.output ?? {}) as Json;
          ctx.printRecord(done, {
            scenario: (answer.scenario as Json).name,
            point: report.pointId,
            replica: rewound.host,
            'changes undone': report.entriesUndone,
            'paths changed': report.pathsChanged,
            paths: (report.paths as string[] | undefined)?.join(' '),
          });
          for (const warning of (report.warnings as string[] | undefined) ?? [])
            ctx.say(`warning: ${warning}`);
          ctx.say('The scenario is stopped; run it again to resynchronize the replica from the master.');
        },
      ),
    );

  rewind
    .command('points <scenario>')
    .description("list a scenario's rewind points, oldest first")
    .action(
      runAction(async (scenario: string, _options: unknown, command: Command) => {
        const ctx = contextOf(command);
        const answer = await ctx.api.request('GET', path(scenario, '/rewind-points'));
        ctx.printList(answer, answer.points as Json[], POINT_COLUMNS);
      }),
    );

  rewind
    .command('bookmark <scenario>')
    .description('take a named rewind point now on every replica')
    .requiredOption('--label <text>', 'what the bookmark marks')
    .option('--wait', 'wait until every replica has taken it')
    .option('--timeout <seconds>', 'how long --wait waits, in seconds (default 120)', integer)
    .action(
      runAction(async (scenario: string, _options: unknown, command: Command) => {
        // commander hands --wait and --timeout to `rewind` itself, which declares them too.
        const options = command.optsWithGlobals<WaitOptions & { label: string }>();
        const ctx = contextOf(command);
        const answer = await ctx.api.request('POST', path(scenario, '/rewind-points'), {
          label: options.label,
        });
        const scenarioId = String((answer.scenario as Json).id);
        const sent = answer.commands as Json[];
        if (!options.wait) {
          ctx.printList(answer, sent, [
            { header: 'command', value: (c: Json) => c.id },
            { header: 'replica', value: (c: Json) => c.host },
          ]);
          return;
        }
        const taken = await Promise.all(
          sent.map((c) => waitForCommand(ctx.api, scenarioId, String(c.id), options.timeout ?? 120)),
        );
        const points = taken.map((c) => ({
          ...(c.output as Json),
          host: sent.find((s) => s.id === c.id)?.host,
        }));
        ctx.printList({ points }, points, POINT_COLUMNS);
      }),
    );
}
