/**
 * The engines `tidemark-agent run` plugs into the daemon: the replication
 * engine (listening on the data port with the host's TLS material, its
 * spools and journals under `<stateDirectory>/replication`) and entity
 * discovery. Snapshot, backup and restore handlers join here as their
 * engines land.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { discoverEntities } from '../discovery/discover-entities.js';
import { ReplicationEngine } from '../replication/runtime.js';
import type { TlsMaterial } from '../tls/certificates.js';
import type { AgentConfig } from './config.js';
import type { EngineFactory } from './create-daemon.js';

async function tlsMaterial(config: AgentConfig): Promise<TlsMaterial> {
  const [cert, key, ca] = await Promise.all(
    [config.tls.cert, config.tls.key, config.tls.ca].map((file) => readFile(file, 'utf8')),
  );
  return { cert: cert ?? '', key: key ?? '', ca: ca ?? '' };
}

export const defaultEngines: EngineFactory = async ({ config, events }) => {
  const runtime = await ReplicationEngine.create({
    stateDir: path.join(config.stateDirectory, 'replication'),
    tls: await tlsMaterial(config),
    listen: { host: config.listenAddress, port: config.dataPort },
    events,
  });
  return { runtime, discover: discoverEntities };
};
