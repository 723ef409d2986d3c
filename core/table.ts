/**
 * The one DynamoDB table: its key schema and indexes, declared once. The CDK
 * stack and the local cloud both build the table from this, and repositories
 * build keys with the helpers below, so the layout lives in one file.
 */

export const TABLE_KEYS = {
  partitionKey: 'PK',
  sortKey: 'SK',
} as const;

/** Global secondary indexes: name, partition and sort attribute (all strings, all projections ALL). */
export const TABLE_INDEXES = [
  { indexName: 'GSI1', partitionKey: 'GSI1PK', sortKey: 'GSI1SK' },
  { indexName: 'GSI2', partitionKey: 'GSI2PK', sortKey: 'GSI2SK' },
  { indexName: 'GSI3', partitionKey: 'GSI3PK', sortKey: 'GSI3SK' },
] as const;

/** Items with this attribute (epoch seconds) are removed by DynamoDB TTL. */
export const TABLE_TTL_ATTRIBUTE = 'expiresAt';

/**
 * Access patterns and their keys. Every item type is listed here with the
 * key it is stored under and the index that serves its list query.
 *
 * | item            | PK                   | SK              | index: PK / SK                                 |
 * | --------------- | -------------------- | --------------- | ---------------------------------------------- |
 * | host            | HOST#<id>            | HOST            | GSI1: HOSTS / <name>            (list hosts)    |
 * | host name claim | HOSTNAME#<name>      | HOSTNAME        | (uniqueness of host names)                     |
 * | credential      | CREDENTIAL#<sha256>  | CREDENTIAL      | GSI1: PRINCIPAL#<id> / CREDENTIAL (revoke all); GSI2: CREDENTIALS / <created>#<sha256> (list) |
 * | command         | COMMAND#<id>         | COMMAND         | GSI1: HOST#<hostId>#COMMANDS / <status>#<created>#<id> |
 * | scenario        | SCENARIO#<id>        | SCENARIO        | GSI1: SCENARIOS / <lower-case name> (list, by name) |
 * | scenario name   | SCENARIONAME#<lower> | SCENARIONAME    | (uniqueness of names; name → id)              |
 * | scenario lock   | LOCK#<scenarioId>    | LOCK            | (conditional item with a lease; TTL expiresAt) |
 * | job             | JOB#<id>             | JOB             | GSI1: JOBS#<status> / <created>#<id> (queue by status, newest first); GSI2: JOBS / <created>#<id> (all) |
 * | counter         | COUNTER#<name>       | COUNTER         | (atomic ADD: session numbers)                 |
 */
export const keys = {
  host: (id: string) => ({ PK: `HOST#${id}`, SK: 'HOST' }),
  hostList: () => ({ GSI1PK: 'HOSTS' }),
  hostListEntry: (name: string) => ({ GSI1PK: 'HOSTS', GSI1SK: name }),
  hostName: (name: string) => ({ PK: `HOSTNAME#${name}`, SK: 'HOSTNAME' }),
  credential: (secretHash: string) => ({ PK: `CREDENTIAL#${secretHash}`, SK: 'CREDENTIAL' }),
  credentialOwner: (principalId: string) => ({ GSI1PK: `PRINCIPAL#${principalId}`, GSI1SK: 'CREDENTIAL' }),
  credentialList: () => ({ GSI2PK: 'CREDENTIALS' }),
  credentialListEntry: (createdAt: string, secretHash: string) => ({
    GSI2PK: 'CREDENTIALS',
    GSI2SK: `${createdAt}#${secretHash}`,
  }),
  command: (id: string) => ({ PK: `COMMAND#${id}`, SK: 'COMMAND' }),
  hostCommands: (hostId: string) => ({ GSI1PK: `HOST#${hostId}#COMMANDS` }),
  hostCommandEntry: (hostId: string, status: string, createdAt: string, id: string) => ({
    GSI1PK: `HOST#${hostId}#COMMANDS`,
    GSI1SK: `${status}#${createdAt}#${id}`,
  }),
  scenario: (id: string) => ({ PK: `SCENARIO#${id}`, SK: 'SCENARIO' }),
  scenarioList: () => ({ GSI1PK: 'SCENARIOS' }),
  scenarioListEntry: (name: string) => ({ GSI1PK: 'SCENARIOS', GSI1SK: name.toLowerCase() }),
  scenarioName: (name: string) => ({ PK: `SCENARIONAME#${name.toLowerCase()}`, SK: 'SCENARIONAME' }),
  scenarioLock: (scenarioId: string) => ({ PK: `LOCK#${scenarioId}`, SK: 'LOCK' }),
  job: (id: string) => ({ PK: `JOB#${id}`, SK: 'JOB' }),
  jobsByStatus: (status: string) => ({ GSI1PK: `JOBS#${status}` }),
  allJobs: () => ({ GSI2PK: 'JOBS' }),
  jobEntries: (status: string, createdAt: string, id: string) => ({
    GSI1PK: `JOBS#${status}`,
    GSI1SK: `${createdAt}#${id}`,
    GSI2PK: 'JOBS',
    GSI2SK: `${createdAt}#${id}`,
  }),
  counter: (name: string) => ({ PK: `COUNTER#${name}`, SK: 'COUNTER' }),
} as const;

/** Strips the key attributes from a stored item before it leaves a repository. */
export function withoutKeys<T extends Record<string, unknown>>(item: T): Omit<T, KeyAttribute> {
  const copy: Record<string, unknown> = { ...item };
  for (const name of KEY_ATTRIBUTES) delete copy[name];
  return copy as Omit<T, KeyAttribute>;
}

const KEY_ATTRIBUTES = [
  TABLE_KEYS.partitionKey,
  TABLE_KEYS.sortKey,
  ...TABLE_INDEXES.flatMap((index) => [index.partitionKey, index.sortKey]),
  TABLE_TTL_ATTRIBUTE,
] as const;
type KeyAttribute = (typeof KEY_ATTRIBUTES)[number];

/**
 * Catalog keys: sessions, their name indexes, activity and events. A session
 * joins the list indexes (GSI1–3) and gets its path items only when it is
 * committed, so an uncommitted session is invisible to every list.
 * Numbers are zero-padded to 12 digits so string order is numeric order;
 * "newest first" is a descending query.
 *
 * | item            | PK                                | SK                 | index: PK / SK                                  |
 * | --------------- | --------------------------------- | ------------------ | ----------------------------------------------- |
 * | session         | SESSION#<n>                       | SESSION            | GSI1: SCENARIO#<id>#SESSIONS / <n> (by scenario); GSI2: MEDIA#<bucket>/<prefix> / <n> (by media); GSI3: SESSIONS / <n> (all, for restore by query) — committed only |
 * | session of job  | JOBSESSIONS#<jobId>               | <n>                | (sessions of a job, committed or not: job report) |
 * | recovery point  | SESSIONPATH#<scenarioId>#<path>   | <n>                | (committed sessions holding a master path: restore by tree) |
 * | activity entry  | ACTIVITY#<jobId>                  | <time>#<n><random> | (activity of a job, time order)                 |
 * | event           | EVENTS#<scenarioId>               | <sequence>         | (events of a scenario, newest first)            |
 * | event sequence  | COUNTER#events:<scenarioId>       | COUNTER            | (atomic ADD of a batch's size)                  |
 * | rewind point    | REWIND#<scenarioId>               | <created>#<id>     | (a replica's rewind points, time order)         |
 */
export const catalogKeys = {
  padded: (n: number) => String(n).padStart(12, '0'),
  session: (n: number) => ({ PK: `SESSION#${catalogKeys.padded(n)}`, SK: 'SESSION' }),
  sessionsOfScenario: (scenarioId: string) => ({ GSI1PK: `SCENARIO#${scenarioId}#SESSIONS` }),
  sessionsOfMedia: (bucket: string, prefix: string) => ({ GSI2PK: `MEDIA#${bucket}/${prefix}` }),
  allSessions: () => ({ GSI3PK: 'SESSIONS' }),
  committedSessionEntries: (n: number, scenarioId: string, bucket: string, prefix: string) => ({
    ...catalogKeys.sessionsOfScenario(scenarioId),
    GSI1SK: catalogKeys.padded(n),
    ...catalogKeys.sessionsOfMedia(bucket, prefix),
    GSI2SK: catalogKeys.padded(n),
    ...catalogKeys.allSessions(),
    GSI3SK: catalogKeys.padded(n),
  }),
  jobSession: (jobId: string, n: number) => ({ PK: `JOBSESSIONS#${jobId}`, SK: catalogKeys.padded(n) }),
  jobSessions: (jobId: string) => ({ PK: `JOBSESSIONS#${jobId}` }),
  recoveryPoint: (scenarioId: string, path: string, n: number) => ({
    PK: `SESSIONPATH#${scenarioId}#${path}`,
    SK: catalogKeys.padded(n),
  }),
  recoveryPoints: (scenarioId: string, path: string) => ({ PK: `SESSIONPATH#${scenarioId}#${path}` }),
  activity: (jobId: string, time: string, unique: string) => ({
    PK: `ACTIVITY#${jobId}`,
    SK: `${time}#${unique}`,
  }),
  activityOfJob: (jobId: string) => ({ PK: `ACTIVITY#${jobId}` }),
  event: (scenarioId: string, sequence: number) => ({
    PK: `EVENTS#${scenarioId}`,
    SK: catalogKeys.padded(sequence),
  }),
  eventsOfScenario: (scenarioId: string) => ({ PK: `EVENTS#${scenarioId}` }),
  eventSequence: (scenarioId: string) => ({ PK: `COUNTER#events:${scenarioId}`, SK: 'COUNTER' }),
  rewindPoint: (scenarioId: string, createdAt: string, id: string) => ({
    PK: `REWIND#${scenarioId}`,
    SK: `${createdAt}#${id}`,
  }),
  rewindPointsOf: (scenarioId: string) => ({ PK: `REWIND#${scenarioId}` }),
} as const;
