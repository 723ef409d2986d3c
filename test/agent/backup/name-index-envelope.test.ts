/**
 * File names leave the host encrypted: the name index as stored holds no
 * name in the clear, opens only for its own scenario (the KMS encryption
 * context, which moto binds like KMS) and at its own object key, and a
 * session written before the envelope still reads. KMS in moto over HTTP.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clients } from '../../../core/aws-clients.js';
import {
  buildNameIndex,
  decodeNameIndex,
  encodeNameIndex,
} from '../../../core/file-index/name-index-codec.js';
import { openNameIndex, sealNameIndex } from '../../../core/file-index/name-index-envelope.js';
import { startTestCloud, type TestCloud } from './cloud.js';

let cloud: TestCloud;
const NAMES = ['/srv/finance/salaries-2026.xlsx', '/srv/hr/dismissal-letter.docx'];
const plain = encodeNameIndex(buildNameIndex(NAMES));
const objectKey = 'repos/sc-a/sessions/7/names';

beforeAll(async () => {
  cloud = await startTestCloud();
}, 120_000);

afterAll(async () => {
  await cloud?.moto.stop();
});

const seal = () =>
  sealNameIndex(plain, { kms: clients.kms(), keyId: cloud.kmsKeyId, scenarioId: 'sc-a', objectKey });

describe('name index envelope', () => {
  it('holds no file or directory name in the clear, and opens to the same index', async () => {
    const sealed = await seal();
    for (const text of ['salaries-2026', 'dismissal-letter', '/srv/finance', 'finance', 'hr'])
      expect(sealed.includes(text), text).toBe(false);
    const opened = await openNameIndex(sealed, { kms: clients.kms(), scenarioId: 'sc-a', objectKey });
    expect(decodeNameIndex(opened)).toEqual(decodeNameIndex(plain));
  });

  it("refuses to open as another scenario's index", async () => {
    await expect(
      openNameIndex(await seal(), { kms: clients.kms(), scenarioId: 'sc-b', objectKey }),
    ).rejects.toThrow(/the file-name index is corrupt: its key does not unwrap for scenario sc-b/);
  });

  it("refuses an index moved to another session's key", async () => {
    await expect(
      openNameIndex(await seal(), {
        kms: clients.kms(),
        scenarioId: 'sc-a',
        objectKey: 'repos/sc-a/sessions/8/names',
      }),
    ).rejects.toThrow('it does not authenticate as repos/sc-a/sessions/8/names');
  });

  it('refuses a truncated or foreign object with the corrupt-index error', async () => {
    const sealed = await seal();
    const scope = { kms: clients.kms(), scenarioId: 'sc-a', objectKey };
    await expect(openNameIndex(sealed.subarray(0, 20), scope)).rejects.toThrow(/truncated|does not unwrap/);
    await expect(openNameIndex(Buffer.from('PK\u0003\u0004 a zip file'), scope)).rejects.toThrow(
      'it is neither an encrypted nor a plain name index',
    );
  });

  it('reads an index written before the envelope (plain codec) as it is', async () => {
    const opened = await openNameIndex(plain, { kms: clients.kms(), scenarioId: 'sc-a', objectKey });
    expect(decodeNameIndex(opened)).toEqual(decodeNameIndex(plain));
  });
});
