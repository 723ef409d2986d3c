/** `tidemark scenarios …`: define what is protected, start and stop replication. */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import type { Json } from '../api-client.js';
import { CliError } from '../cli-error.js';
import { contextOf } from '../context.js';
import { collect, integer, runAction } from '../run-action.js';

interface CreateOptions {
  file?: string;
  type?: string;
  master?: string;
  replica: string[];
  root: string[];
  mode?: string;
  retention?: number;
  timeout?: number;
  syncMode?: string;
  spoolThreshold?: number;
  continueRestore?: boolean;
}

/** `host:/directory` → a replica spec. */
function replicaOf(text: string) {
  const at = text.indexOf(':');
  if (at <= 0 || !text.slice(at + 1).startsWith('/')) {
    throw new CliError(
      'BadRequest',
      `--replica must be <host>:<absolute directory>, not '${text}'`,
      2,
      'replicas',
    );
  }
  return { host: text.slice(0, at), directory: text.slice(at + 1) };
}

function readSpec(file: string): Json {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Json;
  } catch (error) {
    throw new CliError('BadRequest', `cannot read the scenario file ${file}: ${(error as Error).message}`, 2);
  }
}

/**
 * The options the flags set; absent flags are left to the API's defaults.
 * `--mode none` is a scenario without a backup mode (backups refuse it with
 * AE0471): nothing on create, a cleared mode (null) on update.
 */
function optionsOf(options: CreateOptions, update = false): Json {
  const set: Json = {};
  if (options.mode === 'none') {
    if (update) set.mode = null;
  } else if (options.mode) set.mode = options.mode;
  if (options.retention !== undefined) set.snapshotRetention = options.retention;
  if (options.timeout !== undefined) set.agentTimeoutSeconds = options.timeout;
  if (options.syncMode) set.syncMode = options.syncMode;
  if (options.spoolThreshold !== undefined) set.spoolThresholdBytes = options.spoolThreshold;
  if (options.continueRestore) set.continueRestoreIfCannotStop = true;
  return set;
}

const SCENARIO_COLUMNS = [
  { header: 'id', value: (s: Json) => s.id },
  { header: 'name', value: (s: Json) => s.name },
  { header: 'type', value: (s: Json) => s.type },
  { header: 'state', value: (s: Json) => s.state },
  { header: 'master', value: (s: Json) => s.master },
  { header: 'replicas', value: (s: Json) => (s.replicas as Json[] | undefined)?.map((r) => r.host) },
  { header: 'mode', value: (s: Json) => (s.options as Json | undefined)?.mode ?? 'none' },
];

function withOptionFlags(command: Command): Command {
  return command
    .option('--mode <mode>', 'how backups freeze the replica: suspend | assured_recovery | none')
    .option('--retention <n>', 'snapshots to keep', integer)
    .option('--timeout <seconds>', 'agent step timeout (default 180)', integer)
    .option('--sync-mode <mode>', 'file | block (default block)')
    .option('--spool-threshold <bytes>', 'spool size that raises queue_overflow', integer)
    .option('--continue-restore', 'restore to the original location even if replication cannot be stopped');
}

export function registerScenarios(program: Command): void {
  const scenarios = program.command('scenarios').description('replication scenarios');
  const path = (id: string, action = '') => `/scenarios/${encodeURIComponent(id)}${action}`;

  withOptionFlags(
    scenarios
      .command('create <name>')
      .description('define a scenario (flags, or --file with the JSON body)')
      .option('--file <file>', 'a JSON scenario definition (the POST /scenarios body)')
      .option('--type <type>', 'fileserver | sqlserver | exchange | postgresql')
      .option('--master <host>', 'the master host name')
      .option(
        '--replica <host:/dir>',
        'a replica and the directory its copy lives under (repeatable)',
        collect,
        [],
      )
      .option('--root <dir>', 'a master root directory (repeatable)', collect, []),
  ).action(
    runAction(async (name: string, options: CreateOptions, command: Command) => {
      const ctx = contextOf(command);
      const body = options.file
        ? { ...readSpec(options.file), name }
        : {
            name,
            type: options.type,
            master: options.master,
            replicas: options.replica.map(replicaOf),
            roots: options.root,
            options: optionsOf(options),
          };
      const answer = await ctx.api.request('POST', '/scenarios', body);
      ctx.printRecord(answer);
    }),
  );

  scenarios
    .command('list')
    .description('list scenarios and their states')
    .action(
      runAction(async (_options: unknown, command: Command) => {
        const ctx = contextOf(command);
        const answer = await ctx.api.request('GET', '/scenarios?limit=100');
        ctx.printList(answer, answer.scenarios as Json[], SCENARIO_COLUMNS);
      }),
    );

  scenarios
    .command('get <scenario>')
    .description('show one scenario (by id or name)')
    .action(
      runAction(async (id: string, _options: unknown, command: Command) => {
        const ctx = contextOf(command);
        ctx.printRecord(await ctx.api.request('GET', path(id)));
      }),
    );

  withOptionFlags(
    scenarios.command('update <scenario>').description("change a stopped scenario's options"),
  ).action(
    runAction(async (id: string, options: CreateOptions, command: Command) => {
      const ctx = contextOf(command);
      ctx.printRecord(await ctx.api.request('PATCH', path(id), { options: optionsOf(options, true) }));
    }),
  );

  scenarios
    .command('delete <scenario>')
    .description('delete a stopped scenario')
    .action(
      runAction(async (id: string, _options: unknown, command: Command) => {
        const ctx = contextOf(command);
        const answer = await ctx.api.request('DELETE', path(id));
        ctx.printRecord(answer, { deleted: id });
      }),
    );

  for (const [verb, description] of [
    ['run', 'start replication: synchronize, then replicate'],
    ['stop', 'stop replication'],
    ['discover', 'discover the entities (volumes, databases) on the master'],
  ] as const) {
    scenarios
      .command(`${verb} <scenario>`)
      .description(description)
      .action(
        runAction(async (id: string, _options: unknown, command: Command) => {
          const ctx = contextOf(command);
          ctx.printRecord(await ctx.api.request('POST', path(id, `/${verb}`)));
        }),
      );
  }
}
