/**
 * The engines `tidemark-agent run` plugs into the daemon: the replication
 * engine (listening on the data port with the host's TLS material, its
 * spools and journals under `<stateDirectory>/replication`) and entity
 * discovery; copy-on-write snapshots of the replicas (difference areas
 * under `<stateDirectory>/snapshots`, hooked into the apply path, so they
 * survive agent restarts), and the snapshot, backup, restore and
 * assured-recovery handlers over them.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { discoverEntities } from '../discovery/discover-entities.js';
import { ReplicationEngine } from '../replication/runtime.js';
import { CowSnapshots } from '../snapshots/cow-snapshots.js';
import type { TlsMaterial } from '../tls/certificates.js';
import { AssignmentStore } from './assignment-store.js';
import { assuredRecoveryHandlers } from './assured-recovery.js';
import { backupHandlers } from './backup-handlers.js';
import type { AgentConfig } from './config.js';
import { ControlPlaneClient } from './control-plane-client.js';
import type { EngineFactory } from './create-daemon.js';
import { MediaCredentialCache } from './media-credentials.js';
import { restoreHandlers } from './restore-handlers.js';
import { snapshotHandlers } from './snapshot-handlers.js';

async function tlsMaterial(config: AgentConfig): Promise<TlsMaterial> {
  const [cert, key, ca] = await Promise.all(
    [config.tls.cert, config.tls.key, config.tls.ca].map((file) => readFile(file, 'utf8')),
  );
  return { cert: cert ?? '', key: key ?? '', ca: ca ?? '' };
}

export const defaultEngines: EngineFactory = async ({ config, events, log }) => {
  // The snapshots need the engine's ApplyGate and the engine needs the snapshots' hook: the gate is bound once both exist.
  let engine: ReplicationEngine | undefined;
  const snapshots = new CowSnapshots({
    liveRoot: '/', // one provider serves every scenario's replica tree on this host
    diffRoot: path.join(config.stateDirectory, 'snapshots'),
    gate: {
      pause: (scenarioId) => {
        if (!engine) throw new Error('the replication engine is not running yet');
        return engine.pause(scenarioId);
      },
    },
  });
  await snapshots.load();
  const runtime = await ReplicationEngine.create({
    stateDir: path.join(config.stateDirectory, 'replication'),
    tls: await tlsMaterial(config),
    listen: { host: config.listenAddress, port: config.dataPort },
    events,
    hooks: [snapshots],
  });
  engine = runtime;
  const media = new MediaCredentialCache(
    new ControlPlaneClient({ apiUrl: config.apiUrl, credential: config.credential }),
    log,
  );
  const assignments = new AssignmentStore(path.join(config.stateDirectory, 'assignments'));
  const handlers = {
    ...snapshotHandlers(snapshots, { runtime, log }),
    ...backupHandlers({ snapshots, media }),
    ...assuredRecoveryHandlers(snapshots, runtime),
    ...restoreHandlers(
      {
        runtime,
        gate: runtime,
        hook: snapshots,
        assignments: async () => (await assignments.list()).assignments,
      },
      media,
    ),
  };
  return { runtime, discover: discoverEntities, handlers };
};
