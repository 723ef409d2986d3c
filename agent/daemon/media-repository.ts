/**
 * Opens a scenario's deduplicating repository on its media (`s3://<bucket>/repos/<scenarioId>/`,
 * data key wrapped by the media KMS key under the scenario's encryption
 * context). A backup creates it on first use, never once the catalog holds
 * sessions there (AE0458); a restore needs it to exist (E3371 otherwise: the
 * catalog names a session the media does not hold).
 */
import { type RepositoryLocation, repositoryPrefixOf } from '../../core/agent-commands.js';
import { TidemarkError } from '../../core/error-catalogue.js';
import { repositoryKeyContextOf } from '../../core/media-session-policy.js';
import { KmsKeyWrapper } from '../backup/key-wrapper.js';
import { initRepository, openRepository, type Repository } from '../backup/repository.js';
import { S3Storage } from '../backup/storage-s3.js';
import type { MediaAccess } from './media-credentials.js';

export async function openMediaRepository(
  scenarioId: string,
  location: RepositoryLocation,
  /** A backup creates a missing repository; a restore of `session` needs it. */
  mode: { create: true } | { session: number },
  /** Clients signed with the scenario's short-lived media credentials. */
  access: Pick<MediaAccess, 's3' | 'kms'>,
): Promise<Repository> {
  const prefix = location.prefix.replace(/\/+$/, '');
  // S3Storage keeps repositories under `repos/`: one per scenario, never another scenario's.
  if (prefix !== repositoryPrefixOf(scenarioId))
    throw new TidemarkError(
      'AE0468',
      `repository prefix ${location.prefix} is not ${repositoryPrefixOf(scenarioId)}, the repository of scenario ${scenarioId}`,
      400,
      'repository.prefix',
    );
  const storage = new S3Storage({ bucket: location.bucket, repo: scenarioId, client: access.s3 });
  const wrapper = new KmsKeyWrapper(location.kmsKeyId, access.kms, repositoryKeyContextOf(scenarioId));
  try {
    return await openRepository(storage, wrapper);
  } catch (error) {
    const missing = error instanceof TidemarkError && error.code === 'NotFound';
    if (!missing) throw error;
    if ('session' in mode)
      throw TidemarkError.fromCatalogue(
        'E3371',
        { session: mode.session, media: storage.location, mediaId: scenarioId },
        404,
      );
    // A vanished config with sessions in the catalog is damage or tampering: a fresh repository would
    // hide it and orphan every earlier session, so the backup stops and the operator looks.
    if (location.cataloged)
      throw new TidemarkError(
        'AE0458',
        `the repository at ${storage.location} has no config, yet the catalog holds sessions of scenario ${scenarioId} there; no new repository was created (restore the config object from its bucket version)`,
        409,
      );
    return initRepository(storage, wrapper);
  }
}
