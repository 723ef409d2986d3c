/**
 * Encrypts a session's file-name index on the host, before it leaves: file
 * names are data, and the media bucket's SSE alone would let anyone who can
 * read the object (or a local bucket without default encryption) read them.
 *
 * The agent asks KMS for a fresh data key under the media key, with the
 * encryption context `tidemark:scenario = <scenarioId>` and
 * `tidemark:content = name-index`; the catalog functions that answer restore
 * by tree and by query may decrypt keys with that content only, never a
 * repository key. The body is AES-256-GCM with the header and the object key
 * as associated data, so an index moved to another session does not open.
 *
 * envelope: "TMNE" · version 1 (1 byte) · wrapped key length (uint16 BE) · wrapped key ·
 *   nonce (12) · ciphertext · tag (16)
 * An object that starts with the plain codec's "TMNI" is a session written
 * before this envelope; it is returned as it is (its SHA-256 in the catalog
 * still pins it).
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { DecryptCommand, GenerateDataKeyCommand, type KMSClient } from '@aws-sdk/client-kms';
import { SCENARIO_CONTEXT_KEY } from '../media-session-policy.js';
import { CorruptNameIndexError } from './name-index-codec.js';

const MAGIC = Buffer.from('TMNE', 'ascii');
const PLAIN_MAGIC = Buffer.from('TMNI', 'ascii');
const VERSION = 1;
const NONCE = 12;
const TAG = 16;

/** The encryption-context key and value that mark a data key as a name index's. */
export const NAME_INDEX_CONTEXT = { key: 'tidemark:content', value: 'name-index' } as const;

export interface NameIndexKeyScope {
  kms: KMSClient;
  scenarioId: string;
  /** Where the index is stored: bound into the seal. */
  objectKey: string;
}

function contextOf(scenarioId: string): Record<string, string> {
  return { [SCENARIO_CONTEXT_KEY]: scenarioId, [NAME_INDEX_CONTEXT.key]: NAME_INDEX_CONTEXT.value };
}

export async function sealNameIndex(
  plain: Buffer,
  scope: NameIndexKeyScope & { keyId: string },
): Promise<Buffer> {
  const out = await scope.kms.send(
    new GenerateDataKeyCommand({
      KeyId: scope.keyId,
      KeySpec: 'AES_256',
      EncryptionContext: contextOf(scope.scenarioId),
    }),
  );
  if (!out.Plaintext || !out.CiphertextBlob) throw new Error('KMS GenerateDataKey returned no key');
  const wrapped = Buffer.from(out.CiphertextBlob);
  const header = Buffer.alloc(MAGIC.length + 1 + 2);
  MAGIC.copy(header, 0);
  header.writeUInt8(VERSION, MAGIC.length);
  header.writeUInt16BE(wrapped.length, MAGIC.length + 1);
  const nonce = randomBytes(NONCE);
  const cipher = createCipheriv('aes-256-gcm', Buffer.from(out.Plaintext), nonce);
  cipher.setAAD(Buffer.concat([header, wrapped, Buffer.from(scope.objectKey, 'utf8')]));
  const body = Buffer.concat([cipher.update(plain), cipher.final()]);
  return Buffer.concat([header, wrapped, nonce, body, cipher.getAuthTag()]);
}

/** The plain index (the codec's bytes); CorruptNameIndexError when it does not open. */
export async function openNameIndex(sealed: Uint8Array, scope: NameIndexKeyScope): Promise<Uint8Array> {
  const bytes = Buffer.from(sealed.buffer, sealed.byteOffset, sealed.byteLength);
  if (bytes.subarray(0, PLAIN_MAGIC.length).equals(PLAIN_MAGIC)) return sealed;
  const headerLength = MAGIC.length + 1 + 2;
  if (bytes.length < headerLength || !bytes.subarray(0, MAGIC.length).equals(MAGIC))
    throw new CorruptNameIndexError('it is neither an encrypted nor a plain name index');
  if (bytes.readUInt8(MAGIC.length) !== VERSION)
    throw new CorruptNameIndexError(`unknown envelope version ${bytes.readUInt8(MAGIC.length)}`);
  const wrappedLength = bytes.readUInt16BE(MAGIC.length + 1);
  const bodyStart = headerLength + wrappedLength + NONCE;
  if (bytes.length < bodyStart + TAG) throw new CorruptNameIndexError('the envelope is truncated');
  const wrapped = bytes.subarray(headerLength, headerLength + wrappedLength);
  let key: Uint8Array;
  try {
    const out = await scope.kms.send(
      new DecryptCommand({ CiphertextBlob: wrapped, EncryptionContext: contextOf(scope.scenarioId) }),
    );
    if (!out.Plaintext) throw new Error('KMS Decrypt returned no key');
    key = out.Plaintext;
  } catch (error) {
    throw new CorruptNameIndexError(
      `its key does not unwrap for scenario ${scope.scenarioId} (${(error as Error).name})`,
    );
  }
  const decipher = createDecipheriv('aes-256-gcm', key, bytes.subarray(bodyStart - NONCE, bodyStart));
  decipher.setAAD(
    Buffer.concat([bytes.subarray(0, headerLength + wrappedLength), Buffer.from(scope.objectKey, 'utf8')]),
  );
  decipher.setAuthTag(bytes.subarray(bytes.length - TAG));
  const plain = decipher.update(bytes.subarray(bodyStart, bytes.length - TAG));
  try {
    decipher.final();
  } catch {
    throw new CorruptNameIndexError(`it does not authenticate as ${scope.objectKey}`);
  }
  return plain;
}
