/**
 * `tidemark-agent`: the on-host agent. `run` is the daemon (systemd starts
 * it), `check-config` validates a config file, `discover` lists the
 * entities of roots by hand. Exit codes: 0 success, 1 the operation failed,
 * 2 bad usage or configuration.
 */
import { Command, CommanderError, Option } from 'commander';
import { ScenarioType } from '../../core/scenario.js';
import { ConfigError, loadConfig } from '../daemon/config.js';
import { createDaemon } from '../daemon/create-daemon.js';
import { defaultEngines } from '../daemon/default-engines.js';
import { describeError } from '../daemon/logger.js';
import { discoverByType } from '../discovery/discover-entities.js';

class UsageError extends Error {}

function configOrExit(file: string) {
  try {
    return loadConfig(file);
  } catch (error) {
    if (error instanceof ConfigError) throw new UsageError(error.message);
    throw error;
  }
}

async function runDaemon(options: { config: string }): Promise<void> {
  const config = configOrExit(options.config);
  const daemon = await createDaemon(config, defaultEngines);
  const stop = (signal: string) => {
    void daemon.stop(signal).then(() => process.exit(0));
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
  await daemon.start();
}

function checkConfig(options: { config: string }): void {
  const config = configOrExit(options.config);
  // Everything but the credential, which is never printed.
  process.stdout.write(
    `${config.configPath}: OK (host ${config.hostName}, API ${config.apiUrl}, data port ${config.dataPort}, state ${config.stateDirectory})\n`,
  );
}

async function discover(options: { type: string; root: string[] }): Promise<void> {
  const type = ScenarioType.safeParse(options.type);
  if (!type.success) throw new UsageError(`--type must be one of ${ScenarioType.options.join(', ')}`);
  const bad = options.root.find((root) => !root.startsWith('/'));
  if (bad) throw new UsageError(`--root ${bad}: must be an absolute path`);
  const entities = await discoverByType(type.data, options.root);
  process.stdout.write(`${JSON.stringify(entities, null, 2)}\n`);
}

export function buildProgram(): Command {
  const program = new Command('tidemark-agent')
    .description('Tidemark agent: replication, snapshots and backup on this host')
    .showHelpAfterError('(add --help for usage)')
    .exitOverride();
  program
    .command('run')
    .description('run the agent daemon')
    .requiredOption('--config <file>', 'the agent config file (JSON or YAML)')
    .action(runDaemon);
  program
    .command('check-config')
    .description('validate a config file and exit')
    .requiredOption('--config <file>', 'the agent config file (JSON or YAML)')
    .action(checkConfig);
  program
    .command('discover')
    .description('print the entities (volumes, databases, storage groups) under the roots as JSON')
    .addOption(
      new Option('--type <type>', 'application type').choices(ScenarioType.options).makeOptionMandatory(),
    )
    .requiredOption('--root <dir...>', 'root directories (absolute)')
    .action(discover);
  return program;
}

export async function main(argv = process.argv): Promise<void> {
  try {
    await buildProgram().parseAsync(argv);
  } catch (error) {
    if (error instanceof CommanderError) {
      process.exitCode = error.exitCode === 0 ? 0 : 2;
      return;
    }
    process.stderr.write(`error: ${describeError(error)}\n`);
    process.exitCode = error instanceof UsageError ? 2 : 1;
  }
}

await main();
