/**
 * A repository under `s3://<bucket>/repos/<repo>/`. Large objects go up with
 * `@aws-sdk/lib-storage` (multipart, bounded part concurrency); every call
 * is retried with back-off on top of the SDK's own retries, because a
 * backup of many packs meets throttling (SlowDown) and 5xx sooner or later.
 */
import { Readable } from 'node:stream';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  NoSuchKey,
  NotFound,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { clients } from '../../core/aws-clients.js';
import { withRetry } from './retry.js';
import { ObjectMissing, type PutOptions, type StorageBackend, type StoredObject } from './storage.js';

/** Objects up to this size whose hash is known go up in one PutObject (S3 takes up to 5 GiB). */
const SINGLE_PUT_MAX = 256 * 1024 * 1024;

export interface S3StorageOptions {
  bucket: string;
  repo: string;
  /** Multipart part size; S3's minimum is 5 MiB. */
  partSize?: number;
  /** Parts of one object uploaded at once. */
  queueSize?: number;
  /**
   * The client to use, e.g. one holding the agent's short-lived credentials scoped to its scenario's
   * prefix; by default the shared client from core/aws-clients.
   */
  client?: S3Client;
}

export class S3Storage implements StorageBackend {
  readonly location: string;
  private readonly prefix: string;
  private readonly s3: () => S3Client;

  constructor(private readonly options: S3StorageOptions) {
    this.s3 = () => options.client ?? clients.s3();
    this.prefix = `repos/${options.repo}/`;
    this.location = `s3://${options.bucket}/${this.prefix}`;
  }

  async put(key: string, parts: Buffer | Buffer[], options: PutOptions = {}): Promise<void> {
    // lib-storage slices a Buffer into parts without copying; a list of blobs it would buffer anyway.
    const body = Array.isArray(parts) ? Buffer.concat(parts) : parts;
    if (options.sha256 && body.length <= SINGLE_PUT_MAX) {
      await this.putWithHash(key, body, options.sha256, options.tags);
      return;
    }
    await withRetry(
      () =>
        new Upload({
          client: this.s3(),
          params: { Bucket: this.options.bucket, Key: this.prefix + key, Body: body },
          tags: Object.entries(options.tags ?? {}).map(([Key, Value]) => ({ Key, Value })),
          partSize: this.options.partSize ?? 8 * 1024 * 1024,
          queueSize: this.options.queueSize ?? 4,
          leavePartsOnError: false,
        }).done(),
      { fatal },
    );
  }

  /**
   * One PutObject whose SHA-256 is known (a pack, named by it): S3 checks the body against
   * `x-amz-checksum-sha256`, and the same hash, given as `x-amz-content-sha256`, is what SigV4 signs,
   * so the SDK neither hashes the body for the signature nor computes its default CRC32 (together
   * ≈0.7 CPU-s of the main thread for the benchmark's 540 MB of packs). restic also puts each pack
   * in one request.
   */
  private async putWithHash(
    key: string,
    body: Buffer,
    sha256: string,
    tags: PutOptions['tags'],
  ): Promise<void> {
    await withRetry(
      () => {
        const command = new PutObjectCommand({
          Bucket: this.options.bucket,
          Key: this.prefix + key,
          Body: body,
          ChecksumSHA256: Buffer.from(sha256, 'hex').toString('base64'),
          Tagging: tags ? new URLSearchParams(tags).toString() : undefined,
        });
        command.middlewareStack.add(
          (next) => (args) => {
            const request = args.request as { headers?: Record<string, string> };
            if (request.headers) request.headers['x-amz-content-sha256'] = sha256;
            return next(args);
          },
          { step: 'build', name: 'tidemarkKnownPayloadHash' },
        );
        return this.s3().send(command);
      },
      { fatal },
    );
  }

  async get(key: string): Promise<Buffer> {
    return this.read(key);
  }

  async getRange(key: string, offset: number, length: number): Promise<Buffer> {
    if (length === 0) return Buffer.alloc(0);
    return this.read(key, `bytes=${offset}-${offset + length - 1}`);
  }

  async getStream(key: string, offset: number, length: number): Promise<AsyncIterable<Uint8Array>> {
    if (length === 0) return Readable.from([]);
    return withRetry(
      async () => {
        try {
          const out = await this.s3().send(
            new GetObjectCommand({
              Bucket: this.options.bucket,
              Key: this.prefix + key,
              Range: `bytes=${offset}-${offset + length - 1}`,
            }),
          );
          if (!out.Body) throw new Error(`empty body for ${key}`);
          // In Node the body is the response stream (an IncomingMessage).
          return out.Body as AsyncIterable<Uint8Array>;
        } catch (error) {
          if (error instanceof NoSuchKey || error instanceof NotFound) throw new ObjectMissing(key);
          throw error;
        }
      },
      { fatal },
    );
  }

  private read(key: string, range?: string): Promise<Buffer> {
    return withRetry(
      async () => {
        try {
          const out = await this.s3().send(
            new GetObjectCommand({ Bucket: this.options.bucket, Key: this.prefix + key, Range: range }),
          );
          if (!out.Body) throw new Error(`empty body for ${key}`);
          return Buffer.from(await out.Body.transformToByteArray());
        } catch (error) {
          if (error instanceof NoSuchKey || error instanceof NotFound) throw new ObjectMissing(key);
          throw error;
        }
      },
      { fatal },
    );
  }

  async list(prefix: string): Promise<StoredObject[]> {
    const out: StoredObject[] = [];
    let token: string | undefined;
    do {
      const page = await withRetry(
        () =>
          this.s3().send(
            new ListObjectsV2Command({
              Bucket: this.options.bucket,
              Prefix: this.prefix + prefix,
              ContinuationToken: token,
            }),
          ),
        { fatal },
      );
      for (const item of page.Contents ?? []) {
        if (!item.Key) continue;
        out.push({
          key: item.Key.slice(this.prefix.length),
          size: item.Size ?? 0,
          modified: item.LastModified ?? new Date(0),
        });
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return out;
  }

  async delete(key: string): Promise<void> {
    await withRetry(
      () => this.s3().send(new DeleteObjectCommand({ Bucket: this.options.bucket, Key: this.prefix + key })),
      { fatal },
    );
  }

  async storageClass(key: string): Promise<{ storageClass?: string; restored: boolean }> {
    const head = await withRetry(
      async () => {
        try {
          return await this.s3().send(
            new HeadObjectCommand({ Bucket: this.options.bucket, Key: this.prefix + key }),
          );
        } catch (error) {
          if (error instanceof NotFound || error instanceof NoSuchKey) throw new ObjectMissing(key);
          throw error;
        }
      },
      { fatal },
    );
    // `Restore: ongoing-request="false", expiry-date=…` means a readable restored copy exists.
    return { storageClass: head.StorageClass, restored: /ongoing-request="false"/.test(head.Restore ?? '') };
  }
}

/** Errors another attempt cannot fix. */
function fatal(error: unknown): boolean {
  if (error instanceof ObjectMissing) return true;
  const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  return status === 403 || status === 400 || (error as { name?: string }).name === 'InvalidObjectState';
}
