/** A job's activity log: appended by workflow steps, read in time order. */
import { randomBytes } from 'node:crypto';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { ActivityEntry } from '../../core/activity.js';
import { catalogKeys, withoutKeys } from '../../core/table.js';
import { queryPage } from './partition-query.js';
import { db, tableName } from './table.js';

/**
 * Appends entries, one conditional put each (a job logs a handful per step).
 * Entries of one call that share a millisecond keep the order they were
 * given (their position leads the key's suffix); the random rest keeps
 * entries of different calls apart.
 */
export async function appendActivity(entries: readonly ActivityEntry[]): Promise<void> {
  await Promise.all(
    entries.map((entry, position) =>
      db().send(
        new PutCommand({
          TableName: tableName(),
          Item: {
            ...catalogKeys.activity(
              entry.jobId,
              entry.time,
              `${String(position).padStart(4, '0')}${randomBytes(4).toString('hex')}`,
            ),
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
  const page = await queryPage({ pk: catalogKeys.activityOfJob(jobId).PK, forward: true }, limit, cursor);
  return { entries: page.items.map((item) => ActivityEntry.parse(withoutKeys(item))), next: page.next };
}
