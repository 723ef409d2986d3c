/**
 * Scenario events. Each batch takes a block of sequence numbers with one
 * atomic ADD on the scenario's event counter, so numbers are unique and
 * increasing even when several agents post at once.
 */
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { ScenarioEventRecord } from '../../core/event.js';
import { catalogKeys, withoutKeys } from '../../core/table.js';
import { queryPage } from './partition-query.js';
import { db, tableName, writeAll } from './table.js';

export type NewEvent = Omit<ScenarioEventRecord, 'sequence'>;

/** Stores events of one scenario and returns them with their sequence numbers. */
export async function appendEvents(
  scenarioId: string,
  events: readonly NewEvent[],
): Promise<ScenarioEventRecord[]> {
  if (events.length === 0) return [];
  const { Attributes } = await db().send(
    new UpdateCommand({
      TableName: tableName(),
      Key: catalogKeys.eventSequence(scenarioId),
      UpdateExpression: 'ADD #value :n',
      ExpressionAttributeNames: { '#value': 'value' },
      ExpressionAttributeValues: { ':n': events.length },
      ReturnValues: 'UPDATED_NEW',
    }),
  );
  const last = Number(Attributes?.value);
  const first = last - events.length + 1;
  const records = events.map((event, i) =>
    ScenarioEventRecord.parse({ ...event, scenarioId, sequence: first + i }),
  );
  await writeAll(
    records.map((record) => ({
      PutRequest: { Item: { ...catalogKeys.event(scenarioId, record.sequence), ...record } },
    })),
  );
  return records;
}

/** Events of a scenario, newest first. */
export async function listEvents(
  scenarioId: string,
  limit: number,
  cursor?: string,
): Promise<{ events: ScenarioEventRecord[]; next?: string }> {
  const page = await queryPage(
    { pk: catalogKeys.eventsOfScenario(scenarioId).PK, forward: false },
    limit,
    cursor,
  );
  return { events: page.items.map((item) => ScenarioEventRecord.parse(withoutKeys(item))), next: page.next };
}
