/** `tidemark credentials …`: mint, list and revoke operator credentials (admin). */
import type { Command } from 'commander';
import type { Json } from '../api-client.js';
import { contextOf } from '../context.js';
import { segment } from '../query-string.js';
import { collect, runAction } from '../run-action.js';

export function registerCredentials(program: Command): void {
  const credentials = program.command('credentials').description('operator credentials (admin)');

  credentials
    .command('create <name>')
    .description('mint an operator credential; prints its token once')
    .requiredOption('--role <role>', 'viewer, operator or admin')
    .option('--host <host>', 'limit it to this host (repeatable); omit for every host', collect, [])
    .action(
      runAction(async (name: string, options: { role: string; host: string[] }, command: Command) => {
        const ctx = contextOf(command);
        const answer = await ctx.api.request('POST', '/credentials', {
          name,
          role: options.role,
          hosts: options.host.length > 0 ? options.host : undefined,
        });
        const credential = answer.credential as Json;
        ctx.printRecord(answer, { ...credential, token: answer.token });
        ctx.say('Keep the token: it is shown only once (only its hash is stored).');
      }),
    );

  credentials
    .command('list')
    .description('list operator credentials (never their secrets)')
    .action(
      runAction(async (_options: unknown, command: Command) => {
        const ctx = contextOf(command);
        const answer = await ctx.api.request('GET', '/credentials');
        ctx.printList(answer, answer.credentials as Json[], [
          { header: 'id', value: (c) => c.id },
          { header: 'principal', value: (c) => c.principalId },
          { header: 'role', value: (c) => c.role },
          { header: 'hosts', value: (c) => c.hostScope ?? 'all' },
          { header: 'created', value: (c) => c.createdAt },
        ]);
      }),
    );

  credentials
    .command('revoke <credentialId>')
    .description('revoke an operator credential (it stops working at once; on AWS within 60 s)')
    .action(
      runAction(async (id: string, _options: unknown, command: Command) => {
        const ctx = contextOf(command);
        const answer = await ctx.api.request('DELETE', `/credentials/${segment(id)}`);
        const revoked = answer.revoked as Json;
        ctx.printRecord(answer, { revoked: revoked.id, principal: revoked.principalId });
      }),
    );
}
