/**
 * Short-lived media credentials for the data commands. The agent asks the
 * control plane (`POST /agent/credentials`) for credentials scoped to one
 * scenario's repository and KMS key, and builds S3 and KMS clients that sign
 * with them. The clients ask this cache again whenever the SDK sees their
 * credentials near expiry, and the cache renews them from the control plane,
 * so a backup or restore that outlasts one set (a long multipart upload) goes
 * on signed with the next. The host's own AWS credentials are never used for
 * media.
 */
import type { KMSClient } from '@aws-sdk/client-kms';
import type { S3Client } from '@aws-sdk/client-s3';
import type { MediaCredentialsRequest, RepositoryLocation } from '../../core/agent-commands.js';
import { type ScopedCredentials, scopedClients } from '../../core/aws-clients.js';
import { TidemarkError } from '../../core/error-catalogue.js';
import type { ControlPlaneClient } from './control-plane-client.js';
import type { Logger } from './logger.js';

export interface MediaAccess {
  s3: S3Client;
  kms: KMSClient;
}

type Purpose = MediaCredentialsRequest['purpose'];

/** Renew this long before expiry; the SDK asks again from five minutes before, so both agree. */
const RENEW_BEFORE_MS = 5 * 60_000;

interface Scope {
  scenarioId: string;
  purpose: Purpose;
  jobId?: string;
  location: RepositoryLocation;
}

interface Issued {
  credentials: ScopedCredentials;
  region: string;
}

/** One scope's clients and the credentials they sign with. */
class ScopedAccess {
  access?: MediaAccess;
  #current?: Issued;
  /** A renewal in flight, shared by the calls that need it at once. */
  #renewing?: Promise<Issued>;

  constructor(
    readonly scope: Scope,
    private readonly issue: (scope: Scope, signal?: AbortSignal) => Promise<Issued>,
    private readonly now: () => number,
  ) {}

  /** Credentials valid for at least RENEW_BEFORE_MS more, renewed if need be. */
  async fresh(signal?: AbortSignal): Promise<Issued> {
    const current = this.#current;
    if (current && current.credentials.expiration.getTime() - RENEW_BEFORE_MS > this.now()) return current;
    this.#renewing ??= this.issue(this.scope, signal)
      .then((issued) => {
        this.#current = issued;
        return issued;
      })
      .finally(() => {
        this.#renewing = undefined;
      });
    return this.#renewing;
  }
}

export class MediaCredentialCache {
  readonly #cache = new Map<string, ScopedAccess>();

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
    const key = `${scenarioId}|${purpose}|${jobId ?? ''}|${location.bucket}|${location.prefix}`;
    let scoped = this.#cache.get(key);
    if (!scoped) {
      scoped = new ScopedAccess(
        { scenarioId, purpose, jobId, location },
        (s, sig) => this.#issue(s, sig),
        this.now,
      );
      this.#cache.set(key, scoped);
    }
    const { region } = await scoped.fresh(signal);
    const holder = scoped;
    // The SDK calls this before signing once its copy is near expiry: no signal, as the call is the SDK's.
    holder.access ??= scopedClients(region, async () => (await holder.fresh()).credentials);
    return holder.access;
  }

  async #issue(scope: Scope, signal?: AbortSignal): Promise<Issued> {
    const { scenarioId, purpose, jobId, location } = scope;
    const issued = await this.source.mediaCredentials({ scenarioId, purpose, jobId }, signal);
    const prefix = location.prefix.replace(/\/+$/, '');
    if (issued.bucket !== location.bucket || issued.prefix.replace(/\/+$/, '') !== prefix)
      throw new TidemarkError(
        'AE0468',
        `media credentials for scenario ${scenarioId} cover s3://${issued.bucket}/${issued.prefix}, not s3://${location.bucket}/${prefix}`,
      );
    // Only the key id is logged: the secret and the session token never reach the log.
    this.log.info('media credentials issued', {
      scenarioId,
      purpose,
      accessKeyId: issued.accessKeyId,
      expiration: issued.expiration,
    });
    const { accessKeyId, secretAccessKey, sessionToken } = issued;
    return {
      credentials: { accessKeyId, secretAccessKey, sessionToken, expiration: new Date(issued.expiration) },
      region: issued.region,
    };
  }
}
