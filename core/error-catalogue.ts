/**
 * The error catalogue: every code Tidemark reports, with its message
 * template, reason and action. The API, the CLI, the console and the
 * activity log all render codes through `renderError`, so an operator reads
 * the same words everywhere.
 */

export type Severity = 'error' | 'warning';

export interface CatalogueEntry {
  severity: Severity;
  /** `{name}` placeholders are filled from the parameters given to renderError. */
  template: string;
  reason: string;
  action: string;
}

export const ERROR_CATALOGUE = {
  E3370: {
    severity: 'error',
    template: 'Scenario {scenario} ({scenarioId}): the scenario definition cannot be loaded or parsed.',
    reason: 'The scenario item is missing or no longer matches the scenario schema when the backup starts.',
    action: 'Open the scenario, correct or re-save its definition, then submit the job again.',
  },
  E3371: {
    severity: 'error',
    template: 'Cannot find the location of session {session} on media {media} (id {mediaId}) in the catalog.',
    reason:
      'The catalog has no record of where the session is stored, or the record points to a missing object.',
    action: 'Pick another session or recovery point, or re-catalog the media.',
  },
  AE0457: {
    severity: 'error',
    template:
      'Scenario {scenario} ({scenarioId}): the replica on {host} could not be suspended, or assured recovery could not run.',
    reason: 'The replica agent refused or failed the suspend or assured-recovery step.',
    action: "Check the replica agent's events and log, then run the job again.",
  },
  AE0458: {
    severity: 'error',
    template: 'Scenario {scenario} ({scenarioId}): the backup image could not be created on {host}.',
    reason: 'The backup of an entity from the snapshot failed.',
    action: 'Read the activity log for the failing entity and the agent log on the replica.',
  },
  AE0459: {
    severity: 'error',
    template: 'Scenario {scenario} ({scenarioId}): the job lacks valid authority on the master {host}.',
    reason: 'The submitter is not authorized for the master host of the scenario.',
    action: 'Grant the submitter authority on the master host or submit the job as an operator who has it.',
  },
  AE0460: {
    severity: 'error',
    template: 'Scenario {scenario} ({scenarioId}): the snapshot could not be created on {host}.',
    reason: 'The snapshot provider failed, for example because there is no space for the difference area.',
    action: 'Free space on the replica or release old snapshots, then run the job again.',
  },
  AE0461: {
    severity: 'warning',
    template:
      'Scenario {scenario} ({scenarioId}): a snapshot could not be released on {host} after the backup.',
    reason: 'Snapshot retention could not release an old snapshot.',
    action: 'Release the snapshot by hand or check the replica agent; the backup itself succeeded.',
  },
  AE0463: {
    severity: 'error',
    template:
      'Scenario {scenario} ({scenarioId}): the agent on {host} could not reach the replication engine.',
    reason: 'The agent runs but its replication engine for the scenario does not answer.',
    action: 'Restart the agent on the host and check its log.',
  },
  AE0464: {
    severity: 'error',
    template:
      'Scenario {scenario} ({scenarioId}): the scenario could not be stopped before restoring to the original location.',
    reason: 'Replication must stop before data is restored over its source, and stopping failed.',
    action: 'Stop the scenario by hand, or set continueRestoreIfCannotStop on the job to restore anyway.',
  },
  AE0465: {
    severity: 'error',
    template:
      'Scenario {scenario} ({scenarioId}) is not replicating (state {state}); the backup cannot start.',
    reason: 'Backups are taken from a replica that is level with its master.',
    action: 'Run the scenario and wait until it is replicating, then submit the job again.',
  },
  AE0467: {
    severity: 'error',
    template: 'Scenario {scenario} ({scenarioId}): host {host} no longer resolves to an enrolled host.',
    reason: 'The master or replica named by the scenario is not enrolled (removed, or renamed).',
    action: 'Enroll the host again or edit the scenario to name an enrolled host.',
  },
  AE0468: {
    severity: 'error',
    template: 'Scenario {scenario} ({scenarioId}): bad parameters reached the replication engine on {host}.',
    reason: 'An internal error: the engine rejected the arguments of a command.',
    action: 'Report the job id and the activity log to support.',
  },
  AE0469: {
    severity: 'error',
    template:
      'Scenario {scenario} ({scenarioId}): the engine operation on {host} passed its timeout of {timeoutSeconds} s.',
    reason: 'The agent did not finish the step in time (it may be down, overloaded or cut off).',
    action: "Check that the host's agent runs and reaches the control plane, or raise agentTimeoutSeconds.",
  },
  AE0470: {
    severity: 'error',
    template: 'Scenario {scenario} ({scenarioId}) is already held by job {holder}.',
    reason: 'Only one job may work on a scenario at a time.',
    action: 'Wait for the other job to finish, or cancel it, then submit again.',
  },
  AE0471: {
    severity: 'error',
    template: 'Scenario {scenario} ({scenarioId}) has neither assured recovery nor suspend configured.',
    reason: 'A consistent backup needs the replica suspended or tested while the snapshot is taken.',
    action: 'Set the scenario option mode to suspend or assured_recovery.',
  },
  AE0472: {
    severity: 'error',
    template:
      'Scenario {scenario} ({scenarioId}): the replication engine on {host} reported an error: {detail}.',
    reason: 'Any other replication engine error.',
    action: "Read the scenario's events and the agent log on the host.",
  },
  AE0473: {
    severity: 'error',
    template: 'Scenario {scenario} ({scenarioId}): a file system on {host} is full: {detail}.',
    reason:
      'A write on the host (a restore target, a local repository, the spool or the replica) failed with no space left or over quota. Nothing half written was kept under a real name.',
    action: 'Free space or grow the file system named in the message, then run the job again.',
  },
  AE0474: {
    severity: 'error',
    template: 'Scenario {scenario} ({scenarioId}): the agent on {host} stopped while it ran the command.',
    reason:
      'The agent was killed, crashed or lost power before the command finished; at its next start it answered the command as failed and removed what the command had staged.',
    action:
      'Find out why the agent stopped (its log, the system journal), then run the job again: nothing half done was recorded.',
  },
  AE0475: {
    severity: 'error',
    template: 'Scenario {scenario} ({scenarioId}): the rewind point is not in the undo journal on {host}.',
    reason:
      'The point fell off the journal (rewindJournalBytes was reached), was rewound past, or belongs to another scenario. Nothing was rolled back.',
    action: "List the scenario's rewind points again and pick one of them.",
  },
} as const satisfies Record<string, CatalogueEntry>;

export type CatalogueCode = keyof typeof ERROR_CATALOGUE;

/** Codes of the HTTP API that are not in the product catalogue. */
export type ApiErrorCode =
  | 'BadRequest'
  | 'Unauthorized'
  | 'Forbidden'
  | 'NotFound'
  | 'Conflict'
  | 'InternalError';

export type ErrorCode = CatalogueCode | ApiErrorCode;

export function isCatalogueCode(code: string): code is CatalogueCode {
  return Object.hasOwn(ERROR_CATALOGUE, code);
}

/**
 * Fills a catalogue template. Missing parameters render as `?` rather than
 * throwing: a message with a gap is better than no message at all.
 */
export function renderError(code: CatalogueCode, params: Record<string, string | number | undefined> = {}) {
  const entry: CatalogueEntry = ERROR_CATALOGUE[code];
  const message = entry.template.replace(/\{(\w+)\}/g, (_, name: string) => String(params[name] ?? '?'));
  return { code, severity: entry.severity, message, reason: entry.reason, action: entry.action };
}

/** An error that carries a code from the catalogue or the API set, and the HTTP status to answer with. */
export class TidemarkError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly status = 400,
    readonly field?: string,
  ) {
    super(message);
    this.name = code;
  }

  static fromCatalogue(
    code: CatalogueCode,
    params: Record<string, string | number | undefined> = {},
    status = 409,
  ) {
    return new TidemarkError(code, renderError(code, params).message, status);
  }
}
