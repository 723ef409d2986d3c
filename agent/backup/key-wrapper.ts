/**
 * Wraps the repository data key with KMS: `GenerateDataKey` gives the plain
 * key (kept only in memory) and its wrapped form (the only one stored, in the
 * repository config); `Decrypt` unwraps it when the repository is opened.
 * Both carry an encryption context (the scenario, for media repositories):
 * KMS binds it to the wrapped key, and the media credentials' session policy
 * allows only the scenario's own context.
 */
import { DecryptCommand, GenerateDataKeyCommand, type KMSClient } from '@aws-sdk/client-kms';
import { clients } from '../../core/aws-clients.js';

export interface KeyWrapper {
  /** Which master key wraps the data key (stored in the config for operators). */
  readonly keyId: string;
  generate(): Promise<{ plain: Buffer; wrapped: Buffer }>;
  unwrap(wrapped: Buffer): Promise<Buffer>;
}

export class KmsKeyWrapper implements KeyWrapper {
  /** `client`: e.g. one with the agent's scoped credentials; by default the shared client from core/aws-clients. */
  constructor(
    readonly keyId: string,
    private readonly client?: KMSClient,
    private readonly context?: Record<string, string>,
  ) {}

  private kms(): KMSClient {
    return this.client ?? clients.kms();
  }

  async generate(): Promise<{ plain: Buffer; wrapped: Buffer }> {
    const out = await this.kms().send(
      new GenerateDataKeyCommand({ KeyId: this.keyId, KeySpec: 'AES_256', EncryptionContext: this.context }),
    );
    if (!out.Plaintext || !out.CiphertextBlob) throw new Error('KMS GenerateDataKey returned no key');
    return { plain: Buffer.from(out.Plaintext), wrapped: Buffer.from(out.CiphertextBlob) };
  }

  async unwrap(wrapped: Buffer): Promise<Buffer> {
    const out = await this.kms().send(
      new DecryptCommand({ CiphertextBlob: wrapped, KeyId: this.keyId, EncryptionContext: this.context }),
    );
    if (!out.Plaintext) throw new Error('KMS Decrypt returned no key');
    return Buffer.from(out.Plaintext);
  }
}
