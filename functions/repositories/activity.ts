/** A job's activity log: appended by workflow steps, read in time order. */
import { randomBytes } from 'node:crypto';
import { PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { ActivityEntry } from '../../core/activity.js';
import { TidemarkError } from '../../core/error-catalogue.js';
import { catalogKeys, withoutKeys } from '../../core/table.js';
import { db, decodeCursor, encodeCursor, tableName } from './table.js';

/**
 * Appends entries, one conditional put each (a job logs a handful per step);
 * the random suffix keeps two entries of the same millisecond apart.
 */
export async function appendActivity(entries: readonly ActivityEntry[]): Promise<void> {
  await Promise.all(
    entries.map((entry) =>
      db().send(
        new PutCommand({
          TableName: tableName(),
          Item: {
            ...catalogKeys.activity(entry.jobId, entry.time, randomBytes(4).toString('hex')),
            ...ActivityEntry.parse(entry),
          },
          ConditionExpression: 'attribute_not_exists(PK)',
        }),
      ),
    ),
  );
}

export async function listActivity(
  jobId: string,
  limit: number,
  cursor?: string,
): Promise<{ entries: ActivityEntry[]; next?: string }> {
  const startKey = decodeCursor(cursor);
  if (cursor && !startKey)
    throw new TidemarkError('BadRequest', "query field 'next': not a valid cursor", 400, 'next');
  const result = await db().send(
    new QueryCommand({
      TableName: tableName(),
      KeyConditionExpression: 'PK = :pk',
      ExpressionAttributeValues: { ':pk': catalogKeys.activityOfJob(jobId).PK },
      ScanIndexForward: true,
      Limit: limit,
      ExclusiveStartKey: startKey,
    }),
  );
  return {
    entries: (result.Items ?? []).map((item) => ActivityEntry.parse(withoutKeys(item))),
    next: encodeCursor(result.LastEvaluatedKey),
  };
}
