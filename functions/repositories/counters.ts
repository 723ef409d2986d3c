/**
 * Atomic counters: one item per counter, incremented with UpdateItem ADD,
 * which DynamoDB serializes per item, so concurrent callers never get the
 * same value. Session numbers come from here.
 */
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { keys } from '../../core/table.js';
import { db, tableName } from './table.js';

/** Adds one to the counter (creating it at 0) and returns the new value. */
export async function nextCounterValue(name: string): Promise<number> {
  const { Attributes } = await db().send(
    new UpdateCommand({
      TableName: tableName(),
      Key: keys.counter(name),
      UpdateExpression: 'ADD #value :one',
      ExpressionAttributeNames: { '#value': 'value' },
      ExpressionAttributeValues: { ':one': 1 },
      ReturnValues: 'UPDATED_NEW',
    }),
  );
  const value = Attributes?.value;
  if (typeof value !== 'number') throw new Error(`counter ${name} returned no number`);
  return value;
}

/** The next session number: monotonic and unique in the deployment. */
export const nextSessionNumber = () => nextCounterValue('session');
