/**
 * The engines `tidemark-agent run` plugs into the daemon: entity discovery,
 * and the replication engine when this build has it — a module
 * `agent/replication/runtime.ts` exporting `createReplicationRuntime(context)`.
 * Without it, replication commands fail with AE0463 (the agent cannot reach
 * its replication engine) instead of pretending to succeed.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { TidemarkError } from '../../core/error-catalogue.js';
import { discoverEntities } from '../discovery/discover-entities.js';
import type { ReplicationRuntime } from '../scenario-runtime.js';
import type { EngineContext, EngineFactory } from './create-daemon.js';

const ENGINE_MODULE = new URL('../replication/runtime.ts', import.meta.url);

type RuntimeFactory = (context: EngineContext) => ReplicationRuntime | Promise<ReplicationRuntime>;

function unavailable(): never {
  throw new TidemarkError(
    'AE0463',
    'this agent build has no replication engine (agent/replication/runtime.ts)',
  );
}

/** Stands in while the engine is absent: every replication call fails with AE0463. */
export const absentReplicationRuntime: ReplicationRuntime = {
  start: async () => unavailable(),
  stop: async () => unavailable(),
  suspend: async () => unavailable(),
  resume: async () => unavailable(),
  statistics: () => undefined,
  createRewindPoint: async () => unavailable(),
  rewind: async () => unavailable(),
  close: async () => {},
};

async function loadRuntimeFactory(): Promise<RuntimeFactory | undefined> {
  if (!existsSync(fileURLToPath(ENGINE_MODULE))) return undefined;
  // The module is optional, so it is imported by URL and its export checked rather than typed.
  const engine = (await import(ENGINE_MODULE.href)) as { createReplicationRuntime?: unknown };
  return typeof engine.createReplicationRuntime === 'function'
    ? (engine.createReplicationRuntime as RuntimeFactory)
    : undefined;
}

export const defaultEngines: EngineFactory = async (context) => {
  const factory = await loadRuntimeFactory();
  if (!factory)
    context.log.warn('no replication engine in this build; replication commands will fail with AE0463');
  return { runtime: factory ? await factory(context) : absentReplicationRuntime, discover: discoverEntities };
};
