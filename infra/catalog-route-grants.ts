/**
 * What the catalog routes that read file-name indexes (restore by tree and
 * by query) may do beyond the table: read the index objects of the media
 * bucket (`<prefix>/sessions/<number>/names`, nothing else: not packs, not
 * manifests), decrypt them with the media key through S3, and unwrap the
 * data keys of the indexes' own envelopes (encryption context
 * `tidemark:content = name-index`), never a repository key. They also get
 * the memory a decoded million-name index needs.
 */
import { Aws } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { NAME_INDEX_CONTEXT } from '../core/file-index/name-index-envelope.js';
import { type Api, routeKey } from './api.js';

/** The routes that load name indexes from S3 (functions/repositories/file-index.ts). */
export const NAME_INDEX_ROUTES = [
  { method: 'GET', path: '/restore/tree' },
  { method: 'GET', path: '/restore/query' },
] as const;

/** The object keys of name indexes (core/session.ts nameIndexKey), below any media prefix. */
export const NAME_INDEX_OBJECTS = '*/sessions/*/names';

/**
 * Measured with `NODE_OPTIONS=--expose-gc npm run bench -- query`: 1,000,000
 * decoded names (20 sessions) hold 64 MB of heap. The warm cache keeps up to
 * 3 million (functions/repositories/file-index.ts), about 200 MB, plus the
 * runtime and the garbage of decoding a cold query's indexes: 512 MB would
 * hold it. 1024 MB because decoding is CPU-bound and Lambda's CPU share grows
 * with memory, so the cold query (about 160 ms of decoding on a full core) stays short.
 */
export const NAME_INDEX_MEMORY_MB = 1024;

export function nameIndexReaders(api: Api): NodejsFunction[] {
  return NAME_INDEX_ROUTES.map((route) => {
    const fn = api.routeFunctions.get(routeKey(route));
    if (!fn) throw new Error(`no function serves the catalog route ${routeKey(route)}`);
    return fn;
  });
}

export function grantNameIndexReads(api: Api, media: { bucket: s3.IBucket; key: kms.IKey }): void {
  for (const fn of nameIndexReaders(api)) {
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['s3:GetObject'],
        resources: [media.bucket.arnForObjects(NAME_INDEX_OBJECTS)],
      }),
    );
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['kms:Decrypt'],
        resources: [media.key.keyArn],
        conditions: { StringEquals: { 'kms:ViaService': `s3.${Aws.REGION}.amazonaws.com` } },
      }),
    );
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['kms:Decrypt'],
        resources: [media.key.keyArn],
        conditions: {
          StringEquals: { [`kms:EncryptionContext:${NAME_INDEX_CONTEXT.key}`]: NAME_INDEX_CONTEXT.value },
        },
      }),
    );
    // Routes share one memory size in infra/api.ts; these two need more (see above).
    (fn.node.defaultChild as lambda.CfnFunction).memorySize = NAME_INDEX_MEMORY_MB;
  }
}
