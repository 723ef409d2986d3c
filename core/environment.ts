/**
 * Names of the environment variables the CDK stack gives every Lambda
 * function, and the local cloud gives its handlers. One list, so infra and
 * functions cannot drift apart.
 */
export const ENV = {
  tableName: 'TIDEMARK_TABLE',
  mediaBucket: 'TIDEMARK_MEDIA_BUCKET',
  mediaKeyId: 'TIDEMARK_MEDIA_KEY_ID',
  backupStateMachineArn: 'TIDEMARK_BACKUP_STATE_MACHINE_ARN',
  restoreStateMachineArn: 'TIDEMARK_RESTORE_STATE_MACHINE_ARN',
  schedulerRoleArn: 'TIDEMARK_SCHEDULER_ROLE_ARN',
  alertsTopicArn: 'TIDEMARK_ALERTS_TOPIC_ARN',
  /** The role POST /agent/credentials assumes, scoped down per scenario by a session policy. */
  agentDataRoleArn: 'TIDEMARK_AGENT_DATA_ROLE_ARN',
} as const;

export type EnvName = (typeof ENV)[keyof typeof ENV];

/** Reads a required variable, naming it when it is missing. */
export function requireEnv(name: EnvName): string {
  const value = process.env[name];
  if (!value) throw new Error(`environment variable ${name} is not set`);
  return value;
}
