/**
 * Scenarios in the catalog. Names are unique (case-insensitively) through a
 * name-claim item written in the same transaction as the scenario; every
 * change is conditional on the scenario's `version` (optimistic locking),
 * and state moves are conditional on the state the rules in core allow.
 */
import { randomUUID } from 'node:crypto';
import { GetCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { TidemarkError } from '../../core/error-catalogue.js';
import {
  type CreateScenarioRequest,
  type Entity,
  SCENARIO_ACTIONS,
  type Scenario,
  type ScenarioAction,
  scenarioActionRefusal,
} from '../../core/scenario.js';
import { type HostStatusRecord, ScenarioView, stateAfterReport } from '../../core/scenario-status.js';
import { keys, withoutKeys } from '../../core/table.js';
import { putNamedItem } from './named-item.js';
import { allPages, queryPage } from './partition-query.js';
import { db, isConditionFailure, setExpression, tableName } from './table.js';

const SCENARIO_ID = /^s-[0-9a-f-]{36}$/;

export async function createScenario(request: CreateScenarioRequest): Promise<ScenarioView> {
  const now = new Date().toISOString();
  const scenario: ScenarioView = {
    ...request,
    master: request.master.toLowerCase(),
    replicas: request.replicas.map((replica) => ({ ...replica, host: replica.host.toLowerCase() })),
    id: `s-${randomUUID()}`,
    state: 'stopped',
    entities: [],
    createdAt: now,
    updatedAt: now,
    version: 1,
    reports: {},
  };
  await putNamedItem({
    claim: { ...keys.scenarioName(scenario.name), scenarioId: scenario.id },
    item: { ...keys.scenario(scenario.id), ...keys.scenarioListEntry(scenario.name), ...scenario },
    taken: `a scenario named '${scenario.name}' already exists`,
  });
  return scenario;
}

async function getById(id: string): Promise<ScenarioView | undefined> {
  const { Item } = await db().send(
    new GetCommand({ TableName: tableName(), Key: keys.scenario(id), ConsistentRead: true }),
  );
  return Item ? ScenarioView.parse(withoutKeys(Item)) : undefined;
}

/** A scenario by id (`s-…`) or by its unique name. */
export async function findScenario(idOrName: string): Promise<ScenarioView | undefined> {
  if (SCENARIO_ID.test(idOrName)) return getById(idOrName);
  const { Item } = await db().send(
    new GetCommand({ TableName: tableName(), Key: keys.scenarioName(idOrName), ConsistentRead: true }),
  );
  return typeof Item?.scenarioId === 'string' ? getById(Item.scenarioId) : undefined;
}

export async function requireScenario(idOrName: string, field = 'scenarioId'): Promise<ScenarioView> {
  const scenario = await findScenario(idOrName);
  if (!scenario) {
    throw new TidemarkError('NotFound', `no scenario has the id or name '${idOrName}'`, 404, field);
  }
  return scenario;
}

export async function listScenarios(
  limit: number,
  cursor?: string,
): Promise<{ scenarios: ScenarioView[]; next?: string }> {
  const page = await queryPage(
    { pk: keys.scenarioList().GSI1PK, index: { name: 'GSI1', attribute: 'GSI1PK' }, forward: true },
    limit,
    cursor,
  );
  return { scenarios: page.items.map((item) => ScenarioView.parse(withoutKeys(item))), next: page.next };
}

/** The names of the scenarios whose master or a replica is `hostName`. */
export async function scenariosUsingHost(hostName: string): Promise<string[]> {
  const all = await allPages(
    (cursor) => listScenarios(500, cursor),
    (page) => page.scenarios,
  );
  const host = hostName.toLowerCase();
  return all
    .filter((s) => s.master === host || s.replicas.some((replica) => replica.host === host))
    .map((s) => s.name);
}

function conflict(scenario: Pick<Scenario, 'name'>, what: string) {
  return new TidemarkError(
    'Conflict',
    `scenario '${scenario.name}' changed while ${what}; read it again and retry`,
    409,
  );
}

/**
 * Writes a new definition (options, roots, replicas) of a stopped scenario,
 * conditional on the version it was read at and on it still being stopped.
 */
export async function updateDefinition(
  scenario: Scenario,
  changes: Partial<Pick<Scenario, 'options' | 'roots' | 'replicas'>>,
): Promise<ScenarioView> {
  const refusal = scenarioActionRefusal(scenario, 'edit');
  if (refusal) throw new TidemarkError('Conflict', refusal, 409, 'state');
  const update = setExpression({
    ...changes,
    updatedAt: new Date().toISOString(),
    version: scenario.version + 1,
  });
  try {
    const { Attributes } = await db().send(
      new UpdateCommand({
        TableName: tableName(),
        Key: keys.scenario(scenario.id),
        UpdateExpression: update.expression,
        ConditionExpression: '#version = :expected AND #state = :stopped',
        ExpressionAttributeNames: { ...update.names, '#state': 'state' },
        ExpressionAttributeValues: { ...update.values, ':expected': scenario.version, ':stopped': 'stopped' },
        ReturnValues: 'ALL_NEW',
      }),
    );
    return ScenarioView.parse(withoutKeys(Attributes ?? {}));
  } catch (error) {
    if (isConditionFailure(error)) throw conflict(scenario, 'it was being edited');
    throw error;
  }
}

/**
 * Moves a scenario's state for an operator action (run → synchronizing,
 * stop → stopped), conditional on its version and on a state the rule allows.
 */
export async function applyAction(scenario: Scenario, action: ScenarioAction): Promise<ScenarioView> {
  const refusal = scenarioActionRefusal(scenario, action);
  if (refusal) throw new TidemarkError('Conflict', refusal, 409, 'state');
  const to = SCENARIO_ACTIONS[action].to;
  if (to === undefined) return ScenarioView.parse(scenario);
  try {
    const { Attributes } = await db().send(
      new UpdateCommand({
        TableName: tableName(),
        Key: keys.scenario(scenario.id),
        UpdateExpression: 'SET #state = :to, updatedAt = :now, #version = :next',
        ConditionExpression: '#version = :expected AND #state = :from',
        ExpressionAttributeNames: { '#state': 'state', '#version': 'version' },
        ExpressionAttributeValues: {
          ':to': to,
          ':from': scenario.state,
          ':now': new Date().toISOString(),
          ':expected': scenario.version,
          ':next': scenario.version + 1,
        },
        ReturnValues: 'ALL_NEW',
      }),
    );
    return ScenarioView.parse(withoutKeys(Attributes ?? {}));
  } catch (error) {
    if (isConditionFailure(error)) throw conflict(scenario, `the ${action} was requested`);
    throw error;
  }
}

/** Deletes a stopped scenario and its name claim in one transaction. */
export async function deleteScenario(scenario: Scenario): Promise<void> {
  const refusal = scenarioActionRefusal(scenario, 'edit');
  if (refusal) throw new TidemarkError('Conflict', refusal, 409, 'state');
  try {
    await db().send(
      new TransactWriteCommand({
        TransactItems: [
          {
            Delete: {
              TableName: tableName(),
              Key: keys.scenario(scenario.id),
              ConditionExpression: '#version = :expected AND #state = :stopped',
              ExpressionAttributeNames: { '#version': 'version', '#state': 'state' },
              ExpressionAttributeValues: { ':expected': scenario.version, ':stopped': 'stopped' },
            },
          },
          { Delete: { TableName: tableName(), Key: keys.scenarioName(scenario.name) } },
        ],
      }),
    );
  } catch (error) {
    if (isConditionFailure(error)) throw conflict(scenario, 'it was being deleted');
    throw error;
  }
}

/**
 * Stores one host's status report: its statistics under `reports.<host>`,
 * the state the report implies, and the entities when discovery sent them.
 * Reports do not bump `version`: it guards the definition and operator moves,
 * and agents report far more often than operators edit.
 */
export async function recordStatusReport(
  scenario: Scenario,
  record: HostStatusRecord,
  entities: Entity[] | undefined,
): Promise<ScenarioView> {
  const state = stateAfterReport(scenario.state, record.statistics.state);
  const names: Record<string, string> = { '#reports': 'reports', '#host': record.host, '#state': 'state' };
  const values: Record<string, unknown> = {
    ':record': record,
    ':state': state,
    ':seen': scenario.state,
    ':now': record.reportedAt,
  };
  let expression = 'SET #reports.#host = :record, #state = :state, updatedAt = :now';
  if (entities) {
    expression += ', entities = :entities';
    values[':entities'] = entities;
  }
  try {
    const { Attributes } = await db().send(
      new UpdateCommand({
        TableName: tableName(),
        Key: keys.scenario(scenario.id),
        UpdateExpression: expression,
        // The state read is the one the rule was applied to; a stop in between wins.
        ConditionExpression: 'attribute_exists(PK) AND #state = :seen',
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
        ReturnValues: 'ALL_NEW',
      }),
    );
    return ScenarioView.parse(withoutKeys(Attributes ?? {}));
  } catch (error) {
    if (isConditionFailure(error)) throw conflict(scenario, 'the report arrived');
    throw error;
  }
}
