/**
 * `tidemark`: the operator's command line, a thin client of the REST API.
 * Readable tables by default, `--json` for scripts; a failure prints
 * `error <code>: <message>` and exits non-zero (1 refused by the API,
 * 2 bad usage or configuration, 3 API unreachable).
 */
import { Command, CommanderError } from 'commander';
import { registerCatalog } from './commands/catalog.js';
import { registerCredentials } from './commands/credentials.js';
import { registerHosts } from './commands/hosts.js';
import { registerJobs } from './commands/jobs.js';
import { registerReports } from './commands/reports.js';
import { registerRewind } from './commands/rewind.js';
import { registerScenarios } from './commands/scenarios.js';

export function buildProgram(): Command {
  const program = new Command('tidemark')
    .description('Tidemark: continuous replication and replica-side backup')
    .option('--api-url <url>', 'the API (else TIDEMARK_API_URL, else the profile)')
    .option('--token <token>', 'operator token (else TIDEMARK_TOKEN, else the profile)')
    .option(
      '--profile <file>',
      'profile file (else TIDEMARK_PROFILE, else .tidemark/profile.json found upwards)',
    )
    .option('--json', 'print the API answer as JSON')
    .showHelpAfterError('(add --help for usage)')
    .exitOverride();
  registerHosts(program);
  registerCredentials(program);
  registerScenarios(program);
  registerRewind(program);
  registerJobs(program);
  registerCatalog(program);
  registerReports(program);
  return program;
}

export async function main(argv = process.argv): Promise<void> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version exit 0; every usage error is exit code 2.
      process.exitCode = error.exitCode === 0 ? 0 : 2;
      return;
    }
    throw error;
  }
}

await main();
