/** `tidemark hosts …`: enroll machines and see their agents' heartbeats. */
import type { Command } from 'commander';
import type { Json } from '../api-client.js';
import { contextOf } from '../context.js';
import { collect, runAction } from '../run-action.js';

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
}
