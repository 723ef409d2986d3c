/**
 * Records and commits the sessions a backup step reports, each with its
 * name index, so they become visible to restores only now. A retried step
 * finds its sessions already recorded or committed and carries on.
 */
import { z } from 'zod';
import { BackupOutput, PlannedSession, RepositoryLocation } from '../../core/agent-commands.js';
import { TidemarkError } from '../../core/error-catalogue.js';
import { commitSession, getSession, recordSession } from '../repositories/sessions.js';
import { stepHandler } from '../shared/step-handler.js';
import { checkAgainstPlan } from './planned-output.js';

const Input = z.object({
  jobId: z.string().min(1),
  scenarioId: z.string().min(1),
  scenarioName: z.string().min(1),
  applicationConsistent: z.boolean(),
  /** What the workflow asked the agent for (allocate-sessions.ts, prepare-scenario.ts): the report is checked against it. */
  masterHost: z.string().min(1),
  repository: RepositoryLocation,
  planned: z.array(PlannedSession).min(1),
  backup: z.unknown(),
});

export const handler = stepHandler(Input, async (input) => {
  const parsed = BackupOutput.safeParse(input.backup);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new TidemarkError(
      'AE0458',
      `Scenario ${input.scenarioName} (${input.scenarioId}): the backup step reported an unreadable result at '${issue?.path.join('.')}': ${issue?.message}`,
    );
  }
  checkAgainstPlan(parsed.data.sessions, {
    scenarioId: input.scenarioId,
    scenarioName: input.scenarioName,
    masterHost: input.masterHost,
    repository: input.repository,
    sessions: input.planned,
  });
  let files = 0;
  let directories = 0;
  let bytes = 0;
  let first = Number.POSITIVE_INFINITY;
  let last = 0;
  for (const session of parsed.data.sessions) {
    const existing = await getSession(session.number, { includeUncommitted: true });
    // A retried step finds its own sessions; a number held by another job is never taken over.
    if (existing && (existing.jobId !== input.jobId || existing.scenarioId !== input.scenarioId)) {
      throw new TidemarkError(
        'AE0458',
        `Scenario ${input.scenarioName} (${input.scenarioId}): session ${session.number} belongs to job ${existing.jobId}; nothing was committed`,
      );
    }
    if (!existing) {
      await recordSession({
        number: session.number,
        jobId: input.jobId,
        scenarioId: input.scenarioId,
        scenarioName: input.scenarioName,
        entity: session.entity,
        masterHost: session.masterHost,
        masterPaths: session.masterPaths,
        media: session.media,
        bytes: session.bytes,
        files: session.files,
        directories: session.directories,
        startedAt: session.startedAt,
        encryptionKeyId: session.encryptionKeyId,
        applicationConsistent: input.applicationConsistent,
      });
    }
    if (!existing?.committed) {
      await commitSession(session.number, {
        endedAt: session.endedAt,
        bytes: session.bytes,
        files: session.files,
        directories: session.directories,
        nameIndex: session.nameIndex,
      });
    }
    files += session.files;
    directories += session.directories;
    bytes += session.bytes;
    first = Math.min(first, Date.parse(session.startedAt));
    last = Math.max(last, Date.parse(session.endedAt));
  }
  return {
    sessions: parsed.data.sessions.map((session) => session.number),
    files,
    directories,
    bytes,
    backupMs: last > first ? last - first : 0,
  };
});
