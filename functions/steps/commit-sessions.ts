/**
 * Records and commits the sessions a backup step reports, each with its
 * name index, so they become visible to restores only now. A retried step
 * finds its sessions already recorded or committed and carries on.
 */
import { z } from 'zod';
import { BackupOutput } from '../../core/agent-commands.js';
import { TidemarkError } from '../../core/error-catalogue.js';
import { commitSession, getSession, recordSession } from '../repositories/sessions.js';
import { stepHandler } from '../shared/step-handler.js';

const Input = z.object({
  jobId: z.string().min(1),
  scenarioId: z.string().min(1),
  scenarioName: z.string().min(1),
  applicationConsistent: z.boolean(),
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
  let files = 0;
  let directories = 0;
  let bytes = 0;
  let first = Number.POSITIVE_INFINITY;
  let last = 0;
  for (const session of parsed.data.sessions) {
    const existing = await getSession(session.number, { includeUncommitted: true });
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
