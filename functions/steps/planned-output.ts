/**
 * What a backup agent may report: exactly the sessions the workflow planned
 * for it (numbers and entities), on the scenario's own repository, for the
 * scenario's master. The agent's output is data from a host, so a replica
 * that is buggy or taken over must not be able to commit a session number
 * of another job, point the catalog at another scenario's media, or claim
 * another master (AE0458 names what it reported).
 */
import type { BackedUpSession, PlannedSession, RepositoryLocation } from '../../core/agent-commands.js';
import { TidemarkError } from '../../core/error-catalogue.js';

export interface BackupPlan {
  scenarioId: string;
  scenarioName: string;
  masterHost: string;
  repository: Pick<RepositoryLocation, 'bucket' | 'prefix'>;
  sessions: readonly PlannedSession[];
}

export function checkAgainstPlan(reported: readonly BackedUpSession[], plan: BackupPlan): void {
  const refuse = (what: string) =>
    new TidemarkError(
      'AE0458',
      `Scenario ${plan.scenarioName} (${plan.scenarioId}): the backup step reported ${what}; nothing was committed`,
    );
  const planned = new Map(plan.sessions.map((session) => [session.number, session]));
  const seen = new Set<number>();
  for (const session of reported) {
    const wanted = planned.get(session.number);
    if (!wanted) throw refuse(`session ${session.number}, which this job did not plan`);
    if (seen.has(session.number)) throw refuse(`session ${session.number} twice`);
    seen.add(session.number);
    if (session.entity !== wanted.entity.name) {
      throw refuse(
        `session ${session.number} as entity '${session.entity}', planned as '${wanted.entity.name}'`,
      );
    }
    const outside = session.masterPaths.find((p) => !wanted.entity.paths.includes(p));
    if (outside) throw refuse(`session ${session.number} holding ${outside}, outside its entity`);
    if (session.masterHost.toLowerCase() !== plan.masterHost.toLowerCase()) {
      throw refuse(`session ${session.number} from master ${session.masterHost}, not ${plan.masterHost}`);
    }
    const { bucket, prefix } = plan.repository;
    if (session.media.bucket !== bucket || session.media.prefix !== prefix) {
      throw refuse(
        `session ${session.number} on s3://${session.media.bucket}/${session.media.prefix}, not s3://${bucket}/${prefix}`,
      );
    }
    if (!session.nameIndex.key.startsWith(`${prefix}/`)) {
      throw refuse(
        `session ${session.number} with a name index outside its repository (${session.nameIndex.key})`,
      );
    }
  }
  const missing = plan.sessions.find((session) => !seen.has(session.number));
  if (missing) throw refuse(`no session ${missing.number} (entity '${missing.entity.name}')`);
}
