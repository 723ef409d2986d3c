/**
 * Polls a Glacier retrieval: HeadObject on each object still pending; one
 * whose `x-amz-restore` says the request is no longer ongoing is readable.
 * The next wait doubles, up to an hour (bulk Deep Archive takes up to 48 h).
 */
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { z } from 'zod';
import { clients } from '../../core/aws-clients.js';
import { stepHandler } from '../shared/step-handler.js';

const Input = z.object({
  bucket: z.string().min(3),
  pending: z.array(z.string().min(1)),
  waitSeconds: z.number().int().min(1),
  attempts: z.number().int().min(0),
});

const MAX_WAIT_SECONDS = 3600;

export function isRestored(restoreHeader: string | undefined): boolean {
  return restoreHeader !== undefined && /ongoing-request="false"/.test(restoreHeader);
}

export const handler = stepHandler(Input, async ({ bucket, pending, waitSeconds, attempts }) => {
  const still: string[] = [];
  for (const key of pending) {
    const head = await clients.s3().send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    if (!isRestored(head.Restore)) still.push(key);
  }
  return {
    bucket,
    pending: still,
    waitSeconds: Math.min(waitSeconds * 2, MAX_WAIT_SECONDS),
    attempts: attempts + 1,
  };
});
