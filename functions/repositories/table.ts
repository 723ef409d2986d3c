/** The table name and document client every repository uses. */
import { BatchWriteCommand } from '@aws-sdk/lib-dynamodb';
import { clients } from '../../core/aws-clients.js';
import { ENV, requireEnv } from '../../core/environment.js';

export const tableName = () => requireEnv(ENV.tableName);
export const db = () => clients.dynamo();

export type WriteRequest =
  | { PutRequest: { Item: Record<string, unknown> } }
  | { DeleteRequest: { Key: Record<string, unknown> } };

/** Puts and deletes in batches of 25, resending what DynamoDB leaves unprocessed. */
export async function writeAll(writes: readonly WriteRequest[]): Promise<void> {
  for (let i = 0; i < writes.length; i += 25) {
    let request: Record<string, WriteRequest[]> | undefined = { [tableName()]: writes.slice(i, i + 25) };
    while (request && Object.keys(request).length > 0) {
      const result = await db().send(new BatchWriteCommand({ RequestItems: request }));
      request = result.UnprocessedItems as typeof request;
    }
  }
}

/** True when a DynamoDB write was refused by its condition (or a transaction's). */
export function isConditionFailure(error: unknown): boolean {
  const name = (error as { name?: string } | undefined)?.name;
  return name === 'ConditionalCheckFailedException' || name === 'TransactionCanceledException';
}

/** Opaque pagination cursors: the LastEvaluatedKey, base64url-encoded. */
export function encodeCursor(key: Record<string, unknown> | undefined): string | undefined {
  return key ? Buffer.from(JSON.stringify(key)).toString('base64url') : undefined;
}

export function decodeCursor(cursor: string | undefined): Record<string, unknown> | undefined {
  if (!cursor) return undefined;
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (value && typeof value === 'object' && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch {
    // fall through to undefined: the caller reports a bad cursor
  }
  return undefined;
}

/**
 * `SET #a = :a, #b = :b` for the defined fields of an object, with its name
 * and value maps; undefined fields are left untouched.
 */
export function setExpression(fields: Record<string, unknown>) {
  const sets: string[] = [];
  const names: Record<string, string> = {};
  const values: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(fields)) {
    if (value === undefined) continue;
    sets.push(`#${name} = :${name}`);
    names[`#${name}`] = name;
    values[`:${name}`] = value;
  }
  return { expression: `SET ${sets.join(', ')}`, names, values };
}
