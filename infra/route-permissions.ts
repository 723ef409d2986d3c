/**
 * What each API route's function may do beyond the table, keyed by handler
 * module. Kept apart from functions/api/routes.ts because it is
 * infrastructure: the local cloud serves the same routes without IAM.
 */

/**
 * Routes that hand an agent's outcome to the workflow step waiting on it, or ask it whether it still waits.
 * Step Functions cannot scope SendTask* to a state machine (a task token is
 * the only handle), so these actions are granted on `*`.
 */
export const TASK_TOKEN_ACTIONS: Readonly<Record<string, readonly string[]>> = {
  'functions/api/agent/post-command-result.ts': ['states:SendTaskSuccess', 'states:SendTaskFailure'],
  'functions/api/agent/post-command-heartbeat.ts': ['states:SendTaskHeartbeat'],
  // Asks a command's step whether it still waits before handing the command out (abandoned-commands.ts).
  'functions/api/agent/poll-commands.ts': ['states:SendTaskHeartbeat'],
};
