/**
 * Sessions in the catalog. A backup step records a session uncommitted;
 * `commitSession` makes it visible (list indexes and recovery-point items in
 * one transaction, conditional on it still being uncommitted), after its
 * file-name index is durable in S3. Lists only ever see committed sessions.
 */
import { BatchGetCommand, GetCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { TidemarkError } from '../../core/error-catalogue.js';
import { type NewSession, Session } from '../../core/session.js';
import { catalogKeys, withoutKeys } from '../../core/table.js';
import { allPages, type PartitionQuery, queryAll, queryPage } from './partition-query.js';
import { db, isConditionFailure, tableName } from './table.js';

export interface SessionPage {
  sessions: Session[];
  next?: string;
}

/** Records a session before its data uploads: invisible to lists until committed. */
export async function recordSession(session: NewSession): Promise<Session> {
  const stored: Session = { ...session, committed: false };
  await db()
    .send(
      new TransactWriteCommand({
        TransactItems: [
          {
            Put: {
              TableName: tableName(),
              Item: { ...catalogKeys.session(stored.number), ...stored },
              // Numbers come from the deployment's counter; a reuse is a bug, never an overwrite.
              ConditionExpression: 'attribute_not_exists(PK)',
            },
          },
          {
            Put: {
              TableName: tableName(),
              Item: { ...catalogKeys.jobSession(stored.jobId, stored.number), sessionNumber: stored.number },
            },
          },
        ],
      }),
    )
    .catch((error: unknown) => {
      if (isConditionFailure(error))
        throw new TidemarkError('Conflict', `session ${stored.number} already exists`, 409, 'number');
      throw error;
    });
  return stored;
}

export interface CommitDetails {
  endedAt: string;
  bytes: number;
  files: number;
  directories: number;
  nameIndex: NonNullable<Session['nameIndex']>;
}

/**
 * Commits a session: from now on lists, recovery points and queries see it.
 * Conditional on the session existing uncommitted; committing twice is 409.
 */
export async function commitSession(number: number, details: CommitDetails): Promise<Session> {
  const session = await requireSession(number, { includeUncommitted: true });
  if (session.committed)
    throw new TidemarkError('Conflict', `session ${number} is already committed`, 409, 'number');
  const committed: Session = { ...session, ...details, committed: true };
  const { bucket, prefix } = committed.media;
  try {
    await db().send(
      new TransactWriteCommand({
        TransactItems: [
          {
            Put: {
              TableName: tableName(),
              Item: {
                ...catalogKeys.session(number),
                ...catalogKeys.committedSessionEntries(number, committed.scenarioId, bucket, prefix),
                ...committed,
              },
              ConditionExpression: 'attribute_exists(PK) AND committed = :false',
              ExpressionAttributeValues: { ':false': false },
            },
          },
          ...committed.masterPaths.map((path) => ({
            Put: {
              TableName: tableName(),
              Item: {
                ...catalogKeys.recoveryPoint(committed.scenarioId, path, number),
                sessionNumber: number,
                masterPath: path,
              },
            },
          })),
        ],
      }),
    );
  } catch (error) {
    if (isConditionFailure(error))
      throw new TidemarkError(
        'Conflict',
        `session ${number} was committed by another request`,
        409,
        'number',
      );
    throw error;
  }
  return committed;
}

export async function getSession(
  number: number,
  options: { includeUncommitted?: boolean } = {},
): Promise<Session | undefined> {
  const { Item } = await db().send(
    new GetCommand({ TableName: tableName(), Key: catalogKeys.session(number), ConsistentRead: true }),
  );
  if (!Item) return undefined;
  const session = Session.parse(withoutKeys(Item));
  return session.committed || options.includeUncommitted ? session : undefined;
}

export async function requireSession(
  number: number,
  options: { includeUncommitted?: boolean } = {},
): Promise<Session> {
  const session = await getSession(number, options);
  if (!session)
    throw new TidemarkError('NotFound', `no committed session has number ${number}`, 404, 'number');
  return session;
}

export type SessionFilter =
  | { scenarioId: string }
  | { media: { bucket: string; prefix: string } }
  | undefined;

/** Committed sessions, newest first: of one scenario, on one media location, or all. */
export async function listSessions(
  filter: SessionFilter,
  limit: number,
  cursor?: string,
): Promise<SessionPage> {
  const page = await queryPage(sessionsPartition(filter), limit, cursor);
  return { sessions: page.items.map((item) => Session.parse(withoutKeys(item))), next: page.next };
}

/** Every committed session of the filter, newest first (the query and tree views need them all). */
export function allSessions(filter: SessionFilter): Promise<Session[]> {
  return allPages(
    (cursor) => listSessions(filter, 500, cursor),
    (page) => page.sessions,
  );
}

function sessionsPartition(filter: SessionFilter): PartitionQuery {
  if (filter && 'scenarioId' in filter) {
    const pk = catalogKeys.sessionsOfScenario(filter.scenarioId).GSI1PK;
    return { pk, index: { name: 'GSI1', attribute: 'GSI1PK' }, forward: false };
  }
  if (filter && 'media' in filter) {
    const pk = catalogKeys.sessionsOfMedia(filter.media.bucket, filter.media.prefix).GSI2PK;
    return { pk, index: { name: 'GSI2', attribute: 'GSI2PK' }, forward: false };
  }
  return {
    pk: catalogKeys.allSessions().GSI3PK,
    index: { name: 'GSI3', attribute: 'GSI3PK' },
    forward: false,
  };
}

/**
 * Recovery points of a master path: the numbers of committed sessions of the
 * scenario whose master paths hold it (the path itself or one of its
 * ancestors), newest first.
 */
export async function recoveryPointNumbers(scenarioId: string, path: string): Promise<number[]> {
  const numbers = new Set<number>();
  for (const candidate of selfAndAncestors(path)) {
    const items = await queryAll({
      pk: catalogKeys.recoveryPoints(scenarioId, candidate).PK,
      forward: false,
    });
    for (const item of items) numbers.add(Number(item.sessionNumber));
  }
  return [...numbers].sort((a, b) => b - a);
}

/** Sessions by number, in the order given; missing or uncommitted ones are left out. */
export async function getSessions(numbers: readonly number[]): Promise<Session[]> {
  const found = new Map<number, Session>();
  for (let i = 0; i < numbers.length; i += 100) {
    let request: Record<string, { Keys: Record<string, unknown>[] }> | undefined = {
      [tableName()]: { Keys: numbers.slice(i, i + 100).map((n) => catalogKeys.session(n)) },
    };
    while (request && Object.keys(request).length > 0) {
      const result = await db().send(new BatchGetCommand({ RequestItems: request }));
      for (const item of result.Responses?.[tableName()] ?? []) {
        const session = Session.parse(withoutKeys(item));
        if (session.committed) found.set(session.number, session);
      }
      request = result.UnprocessedKeys as typeof request;
    }
  }
  return numbers.flatMap((n) => found.get(n) ?? []);
}

/** Sessions of a job, committed or not, by number (the job report counts both). */
export async function sessionsOfJob(jobId: string): Promise<Session[]> {
  const items = await queryAll({ pk: catalogKeys.jobSessions(jobId).PK, forward: true });
  const numbers = items.map((item) => Number(item.sessionNumber));
  const sessions = await Promise.all(numbers.map((n) => getSession(n, { includeUncommitted: true })));
  return sessions.filter((s): s is Session => s !== undefined);
}

function selfAndAncestors(path: string): string[] {
  const paths = [path];
  let current = path;
  while (current.lastIndexOf('/') > 0) {
    current = current.slice(0, current.lastIndexOf('/'));
    paths.push(current);
  }
  if (path !== '/') paths.push('/');
  return paths;
}
