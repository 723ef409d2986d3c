/**
 * Jobs in the catalog. The queue is served by GSI1 (`JOBS#<status>`, newest
 * first) and the whole list by GSI2; every status move is conditional on the
 * status the caller read, so two operators cannot both act on one job.
 */
import { DeleteCommand, GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { TidemarkError } from '../../core/error-catalogue.js';
import { Job, type JobStatus } from '../../core/job.js';
import { keys, withoutKeys } from '../../core/table.js';
import { db, decodeCursor, encodeCursor, isConditionFailure, setExpression, tableName } from './table.js';

export async function putNewJob(job: Job): Promise<Job> {
  await db().send(
    new PutCommand({
      TableName: tableName(),
      Item: { ...keys.job(job.id), ...keys.jobEntries(job.status, job.createdAt, job.id), ...job },
      ConditionExpression: 'attribute_not_exists(PK)',
    }),
  );
  return job;
}

export async function getJob(id: string): Promise<Job | undefined> {
  const { Item } = await db().send(
    new GetCommand({ TableName: tableName(), Key: keys.job(id), ConsistentRead: true }),
  );
  return Item ? Job.parse(withoutKeys(Item)) : undefined;
}

export async function requireJob(id: string): Promise<Job> {
  const job = await getJob(id);
  if (!job) throw new TidemarkError('NotFound', `no job has id '${id}'`, 404, 'jobId');
  return job;
}

/** Jobs newest first: those in one status (the queue), or all of them. */
export async function listJobs(
  status: JobStatus | undefined,
  limit: number,
  cursor?: string,
): Promise<{ jobs: Job[]; next?: string }> {
  const startKey = decodeCursor(cursor);
  if (cursor && !startKey)
    throw new TidemarkError('BadRequest', "query field 'next': not a valid cursor", 400, 'next');
  const [index, partitionKey, partition] = status
    ? (['GSI1', 'GSI1PK', keys.jobsByStatus(status).GSI1PK] as const)
    : (['GSI2', 'GSI2PK', keys.allJobs().GSI2PK] as const);
  const result = await db().send(
    new QueryCommand({
      TableName: tableName(),
      IndexName: index,
      KeyConditionExpression: `${partitionKey} = :pk`,
      ExpressionAttributeValues: { ':pk': partition },
      ScanIndexForward: false,
      Limit: limit,
      ExclusiveStartKey: startKey,
    }),
  );
  return {
    jobs: (result.Items ?? []).map((item) => Job.parse(withoutKeys(item))),
    next: encodeCursor(result.LastEvaluatedKey),
  };
}

/**
 * Moves a job to `to`, conditional on it still being in the status it was
 * read in; 409 when another request moved it first.
 */
export async function moveJob(
  job: Job,
  to: JobStatus,
  fields: Partial<Omit<Job, 'id' | 'status'>> = {},
): Promise<Job> {
  const update = setExpression({
    ...fields,
    status: to,
    GSI1PK: keys.jobsByStatus(to).GSI1PK,
  });
  try {
    const { Attributes } = await db().send(
      new UpdateCommand({
        TableName: tableName(),
        Key: keys.job(job.id),
        UpdateExpression: update.expression,
        ConditionExpression: '#status = :from',
        ExpressionAttributeNames: update.names,
        ExpressionAttributeValues: { ...update.values, ':from': job.status },
        ReturnValues: 'ALL_NEW',
      }),
    );
    return Job.parse(withoutKeys(Attributes ?? {}));
  } catch (error) {
    if (isConditionFailure(error)) {
      throw new TidemarkError('Conflict', `job ${job.id} is no longer ${job.status}; read it again`, 409);
    }
    throw error;
  }
}

/** Deletes a job that is not running, conditional on the status it was read in. */
export async function deleteJob(job: Job): Promise<void> {
  try {
    await db().send(
      new DeleteCommand({
        TableName: tableName(),
        Key: keys.job(job.id),
        ConditionExpression: '#status = :from AND #status <> :active',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':from': job.status, ':active': 'active' },
      }),
    );
  } catch (error) {
    if (isConditionFailure(error)) {
      throw new TidemarkError('Conflict', `job ${job.id} is running or changed; cancel it first`, 409);
    }
    throw error;
  }
}
