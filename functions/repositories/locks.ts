/**
 * The scenario lock: one job at a time works on a scenario. The lock is a
 * conditional item with a lease, so a job that dies without releasing it
 * blocks the scenario only until its lease runs out; then the next job may
 * take it over. Only the holder may renew or release it.
 */
import { DeleteCommand, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { TidemarkError } from '../../core/error-catalogue.js';
import { keys } from '../../core/table.js';
import { db, isConditionFailure, tableName } from './table.js';

export interface ScenarioLock {
  scenarioId: string;
  holder: string;
  /** Epoch milliseconds after which anyone may take the lock over. */
  leaseUntil: number;
}

/**
 * Takes the scenario's lock for a job for `leaseSeconds`. Succeeds when the
 * lock is free, its lease has expired, or the job already holds it (which
 * renews it); otherwise throws AE0470 naming the holder.
 */
export async function acquireLock(
  scenarioId: string,
  jobId: string,
  leaseSeconds: number,
  scenarioName?: string,
): Promise<ScenarioLock> {
  const now = Date.now();
  const lock: ScenarioLock = { scenarioId, holder: jobId, leaseUntil: now + leaseSeconds * 1000 };
  try {
    await db().send(
      new PutCommand({
        TableName: tableName(),
        Item: {
          ...keys.scenarioLock(scenarioId),
          ...lock,
          scenarioName,
          acquiredAt: new Date(now).toISOString(),
          // TTL only tidies up: correctness comes from leaseUntil, since TTL deletes late.
          expiresAt: Math.ceil(lock.leaseUntil / 1000) + 86_400,
        },
        ConditionExpression: 'attribute_not_exists(PK) OR leaseUntil < :now OR holder = :holder',
        ExpressionAttributeValues: { ':now': now, ':holder': jobId },
      }),
    );
    return lock;
  } catch (error) {
    if (!isConditionFailure(error)) throw error;
    const current = await readLock(scenarioId);
    throw TidemarkError.fromCatalogue('AE0470', {
      scenario: scenarioName ?? (current?.scenarioName as string | undefined),
      scenarioId,
      holder: current?.holder as string | undefined,
    });
  }
}

async function readLock(scenarioId: string): Promise<Record<string, unknown> | undefined> {
  const { Item } = await db().send(
    new GetCommand({ TableName: tableName(), Key: keys.scenarioLock(scenarioId), ConsistentRead: true }),
  );
  return Item;
}

/** Extends the holder's lease; AE0470 when the lock was taken over (or never held). */
export async function renewLock(
  scenarioId: string,
  jobId: string,
  leaseSeconds: number,
): Promise<ScenarioLock> {
  const leaseUntil = Date.now() + leaseSeconds * 1000;
  try {
    await db().send(
      new UpdateCommand({
        TableName: tableName(),
        Key: keys.scenarioLock(scenarioId),
        UpdateExpression: 'SET leaseUntil = :until, expiresAt = :expires',
        ConditionExpression: 'holder = :holder',
        ExpressionAttributeValues: {
          ':until': leaseUntil,
          ':expires': Math.ceil(leaseUntil / 1000) + 86_400,
          ':holder': jobId,
        },
      }),
    );
    return { scenarioId, holder: jobId, leaseUntil };
  } catch (error) {
    if (!isConditionFailure(error)) throw error;
    throw new TidemarkError(
      'AE0470',
      `job ${jobId} no longer holds the lock of scenario ${scenarioId}: its lease ran out and another job took it`,
      409,
    );
  }
}

/** Releases the lock; only its holder may. Releasing a lock that is already gone is not an error. */
export async function releaseLock(scenarioId: string, jobId: string): Promise<void> {
  try {
    await db().send(
      new DeleteCommand({
        TableName: tableName(),
        Key: keys.scenarioLock(scenarioId),
        ConditionExpression: 'attribute_not_exists(PK) OR holder = :holder',
        ExpressionAttributeValues: { ':holder': jobId },
      }),
    );
  } catch (error) {
    if (!isConditionFailure(error)) throw error;
    throw new TidemarkError(
      'Conflict',
      `job ${jobId} cannot release the lock of scenario ${scenarioId}: another job holds it`,
      409,
    );
  }
}
