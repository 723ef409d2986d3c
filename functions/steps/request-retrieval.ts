/**
 * Asks S3 to bring a restore's Glacier objects back (RestoreObject with the
 * job's tier). An object already being restored is fine; the workflow then
 * waits and polls (check-retrieval.ts) until every object is readable.
 */
import { RestoreObjectCommand } from '@aws-sdk/client-s3';
import { z } from 'zod';
import { clients } from '../../core/aws-clients.js';
import { RetrievalTier } from '../../core/workflow-input.js';
import { stepHandler } from '../shared/step-handler.js';

const Input = z.object({
  bucket: z.string().min(3),
  keys: z.array(z.string().min(1)).min(1),
  tier: RetrievalTier,
  pollSeconds: z.number().int().min(1),
});

const TIER = { expedited: 'Expedited', standard: 'Standard', bulk: 'Bulk' } as const;
/** Days a retrieved copy stays readable: long enough for a slow restore to finish. */
const RETRIEVED_DAYS = 3;

export const handler = stepHandler(Input, async ({ bucket, keys, tier, pollSeconds }) => {
  for (const key of keys) {
    try {
      await clients.s3().send(
        new RestoreObjectCommand({
          Bucket: bucket,
          Key: key,
          RestoreRequest: { Days: RETRIEVED_DAYS, GlacierJobParameters: { Tier: TIER[tier] } },
        }),
      );
    } catch (error) {
      if ((error as Error).name !== 'RestoreAlreadyInProgress') throw error;
    }
  }
  return { bucket, pending: keys, waitSeconds: pollSeconds, attempts: 0 };
});
