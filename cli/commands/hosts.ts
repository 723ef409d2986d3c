/** `tidemark hosts …`: enroll and unenroll machines, rotate their agents' tokens, see their heartbeats. */
import type { Command } from 'commander';
import type { Json } from '../api-client.js';
import { CliError } from '../cli-error.js';
import { type CommandContext, contextOf } from '../context.js';
import { segment } from '../query-string.js';
import { collect, runAction } from '../run-action.js';

/** A host given by id (`h-…`) or by name. */
async function hostIdOf(ctx: CommandContext, host: string): Promise<string> {
  if (host.startsWith('h-')) return host;
  const answer = await ctx.api.request('GET', '/hosts?limit=100');
  const found = (answer.hosts as Json[]).find((h) => h.name === host.toLowerCase());
  if (!found) throw new CliError('NotFound', `no enrolled host is named ${host}`);
  return String(found.id);
}

export function registerHosts(program: Command): void {
  const hosts = program.command('hosts').description('enrolled hosts and their agents');

  hosts
    .command('enroll <name>')
    .description("enroll a host; prints the agent's credential once")
    .option('--address <address>', 'an address the host is reached at (repeatable)', collect, [])
    .option('--os <os>', 'operating system')
    .action(
      runAction(async (name: string, options: { address: string[]; os?: string }, command: Command) => {
        const ctx = contextOf(command);
        const answer = await ctx.api.request('POST', '/hosts', {
          name,
          addresses: options.address,
          os: options.os,
        });
        const host = answer.host as Json;
        ctx.printRecord(answer, { ...host, agentToken: answer.agentToken });
        ctx.say('Keep the agentToken: it is shown only once (only its hash is stored).');
      }),
    );

  hosts
    .command('list')
    .description('list enrolled hosts')
    .action(
      runAction(async (_options: unknown, command: Command) => {
        const ctx = contextOf(command);
        const answer = await ctx.api.request('GET', '/hosts?limit=100');
        ctx.printList(answer, answer.hosts as Json[], [
          { header: 'id', value: (h) => h.id },
          { header: 'name', value: (h) => h.name },
          { header: 'addresses', value: (h) => h.addresses },
          { header: 'agent', value: (h) => h.agentVersion },
          { header: 'last heartbeat', value: (h) => h.lastHeartbeatAt },
        ]);
      }),
    );

  hosts
    .command('get <hostId>')
    .description('show one host')
    .action(
      runAction(async (hostId: string, _options: unknown, command: Command) => {
        const ctx = contextOf(command);
        ctx.printRecord(await ctx.api.request('GET', `/hosts/${encodeURIComponent(hostId)}`));
      }),
    );

  hosts
    .command('unenroll <host>')
    .description("remove a host no scenario uses (id or name); its agent's credentials are revoked")
    .action(
      runAction(async (host: string, _options: unknown, command: Command) => {
        const ctx = contextOf(command);
        const answer = await ctx.api.request('DELETE', `/hosts/${segment(await hostIdOf(ctx, host))}`);
        const gone = answer.unenrolled as Json;
        ctx.printRecord(answer, {
          unenrolled: gone.name,
          id: gone.id,
          revokedCredentials: answer.revokedCredentials,
        });
      }),
    );

  hosts
    .command('rotate-token <host>')
    .description("give a host's agent a new credential (id or name); the old one stops working")
    .action(
      runAction(async (host: string, _options: unknown, command: Command) => {
        const ctx = contextOf(command);
        const path = `/hosts/${segment(await hostIdOf(ctx, host))}/agent-token`;
        const answer = await ctx.api.request('POST', path);
        const record = answer.host as Json;
        ctx.printRecord(answer, { name: record.name, agentToken: answer.agentToken });
        ctx.say(
          "Put the new agentToken in the agent's config and restart it: the old token is revoked (on AWS within 60 s).",
        );
      }),
    );
}
