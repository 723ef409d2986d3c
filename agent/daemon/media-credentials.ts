/**
 * Short-lived media credentials for the data commands. The agent asks the
 * control plane (`POST /agent/credentials`) for credentials scoped to one
 * scenario's repository and KMS key, builds S3 and KMS clients that sign
 * with them, and reuses them until shortly before they expire. The host's
 * own AWS credentials are never used for media.
 */
import type { KMSClient } from '@aws-sdk/client-kms';
import type { S3Client } from '@aws-sdk/client-s3';
import type { MediaCredentialsRequest, RepositoryLocation } from '../../core/agent-commands.js';
import { scopedClients } from '../../core/aws-clients.js';
import { TidemarkError } from '../../core/error-catalogue.js';
import type { ControlPlaneClient } from './control-plane-client.js';
import type { Logger } from './logger.js';

export interface MediaAccess {
  s3: S3Client;
  kms: KMSClient;
}

type Purpose = MediaCredentialsRequest['purpose'];

/** Renew this long before expiry, so a long upload does not start with credentials about to lapse. */
const RENEW_BEFORE_MS = 5 * 60_000;

export class MediaCredentialCache {
  readonly #cache = new Map<string, { access: MediaAccess; expiresAt: number }>();

  constructor(
    private readonly source: Pick<ControlPlaneClient, 'mediaCredentials'>,
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  /** Clients for the scenario's media; the issued scope must be the repository the command names. */
  async access(
    scenarioId: string,
    purpose: Purpose,
    location: RepositoryLocation,
    signal?: AbortSignal,
    /** The restore job, for a destination host that is not part of the scenario. */
    jobId?: string,
  ): Promise<MediaAccess> {
    const key = `${scenarioId}|${purpose}|${jobId ?? ''}`;
    const hit = this.#cache.get(key);
    if (hit && hit.expiresAt - RENEW_BEFORE_MS > this.now()) return hit.access;
    const issued = await this.source.mediaCredentials({ scenarioId, purpose, jobId }, signal);
    const prefix = location.prefix.replace(/\/+$/, '');
    if (issued.bucket !== location.bucket || issued.prefix.replace(/\/+$/, '') !== prefix)
      throw new TidemarkError(
        'AE0468',
        `media credentials for scenario ${scenarioId} cover s3://${issued.bucket}/${issued.prefix}, not s3://${location.bucket}/${prefix}`,
      );
    const expiration = new Date(issued.expiration);
    const access = scopedClients({ ...issued, expiration });
    this.#cache.set(key, { access, expiresAt: expiration.getTime() });
    // Only the key id is logged: the secret and the session token never reach the log.
    this.log.info('media credentials issued', {
      scenarioId,
      purpose,
      accessKeyId: issued.accessKeyId,
      expiration: issued.expiration,
    });
    return access;
  }
}
