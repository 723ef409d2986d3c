/**
 * At agent start: starts again every scenario the agent was running when it
 * stopped, from the assignment store. A scenario that fails to start is
 * reported in the log and left for the control plane's next command.
 */
import type { ReplicationRuntime } from '../scenario-runtime.js';
import type { StoredAssignments } from './assignment-store.js';
import { describeError, type Logger } from './logger.js';
import type { StatusReporter } from './status-reporter.js';

export async function resumeAssignments(
  store: Pick<StoredAssignments, 'list'>,
  runtime: Pick<ReplicationRuntime, 'start'>,
  status: Pick<StatusReporter, 'track'>,
  log: Logger,
): Promise<string[]> {
  const { assignments, unreadable } = await store.list();
  for (const file of unreadable) log.error('ignoring an unreadable scenario assignment', { file });
  const resumed: string[] = [];
  for (const assignment of assignments) {
    const scenarioId = assignment.scenario.id;
    try {
      await runtime.start(assignment);
      status.track(scenarioId);
      resumed.push(scenarioId);
      log.info('scenario resumed after agent start', { scenarioId });
    } catch (error) {
      log.error('could not resume a scenario after agent start', { scenarioId, error: describeError(error) });
    }
  }
  return resumed;
}
