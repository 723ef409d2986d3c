/**
 * Items whose names are unique (hosts, scenarios): the item and a
 * name-claim item go in one transaction, conditional on the name being
 * free, so two creations under one name cannot both succeed.
 */
import { TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { TidemarkError } from '../../core/error-catalogue.js';
import { db, isConditionFailure, tableName } from './table.js';

export interface NamedItem {
  /** The name-claim item (its keys and what it points to). */
  claim: Record<string, unknown>;
  item: Record<string, unknown>;
  /** Further items written in the same transaction. */
  with?: Record<string, unknown>[];
  /** The 409 message when the name is taken, e.g. "a host named 'x' is already enrolled". */
  taken: string;
}

export async function putNamedItem({ claim, item, with: others = [], taken }: NamedItem): Promise<void> {
  const put = (Item: Record<string, unknown>) => ({ Put: { TableName: tableName(), Item } });
  try {
    await db().send(
      new TransactWriteCommand({
        TransactItems: [
          { Put: { TableName: tableName(), Item: claim, ConditionExpression: 'attribute_not_exists(PK)' } },
          put(item),
          ...others.map(put),
        ],
      }),
    );
  } catch (error) {
    if (isConditionFailure(error)) throw new TidemarkError('Conflict', taken, 409, 'name');
    throw error;
  }
}
