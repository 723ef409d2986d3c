/**
 * Reading one partition (of the table or of an index) page by page: the
 * shape every list in the catalog shares. Cursors are opaque to callers;
 * a cursor that does not decode is a 400 naming `next`.
 */
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { TidemarkError } from '../../core/error-catalogue.js';
import { db, decodeCursor, encodeCursor, tableName } from './table.js';

export interface PartitionQuery {
  /** The partition key's value. */
  pk: string;
  /** A global secondary index and its partition key attribute; the table's `PK` when absent. */
  index?: { name: string; attribute: string };
  /** Ascending sort key order (oldest first) when true, descending when false. */
  forward: boolean;
}

export interface ItemPage {
  items: Record<string, unknown>[];
  next?: string;
}

/** One page of a partition, at most `limit` items, from where `cursor` left off. */
export async function queryPage(query: PartitionQuery, limit: number, cursor?: string): Promise<ItemPage> {
  const startKey = decodeCursor(cursor);
  if (cursor && !startKey)
    throw new TidemarkError('BadRequest', "query field 'next': not a valid cursor", 400, 'next');
  const attribute = query.index?.attribute ?? 'PK';
  const result = await db().send(
    new QueryCommand({
      TableName: tableName(),
      IndexName: query.index?.name,
      KeyConditionExpression: `${attribute} = :pk`,
      ExpressionAttributeValues: { ':pk': query.pk },
      ScanIndexForward: query.forward,
      Limit: limit,
      ExclusiveStartKey: startKey,
    }),
  );
  return { items: result.Items ?? [], next: encodeCursor(result.LastEvaluatedKey) };
}

/** Every page of a paged list, concatenated (for views that need a whole partition). */
export async function allPages<P extends { next?: string }, T>(
  page: (cursor: string | undefined) => Promise<P>,
  itemsOf: (page: P) => readonly T[],
): Promise<T[]> {
  const all: T[] = [];
  let cursor: string | undefined;
  do {
    const current = await page(cursor);
    all.push(...itemsOf(current));
    cursor = current.next;
  } while (cursor);
  return all;
}

/** Every item of a partition. */
export function queryAll(query: PartitionQuery): Promise<Record<string, unknown>[]> {
  return allPages(
    (cursor) => queryPage(query, 1000, cursor),
    (page) => page.items,
  );
}
