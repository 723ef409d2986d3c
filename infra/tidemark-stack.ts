/**
 * The whole control plane in one stack: storage, the workflow state
 * machines, the scheduler role, the alert topic and the REST API. It is
 * environment-agnostic (no account or region lookups), so it synthesizes
 * offline.
 */
import { CfnOutput, Duration, Stack, type StackProps } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';
import { ENV, type EnvName } from '../core/environment.js';
import { Alerts } from './alerts.js';
import { Api } from './api.js';
import { grantNameIndexReads } from './catalog-route-grants.js';
import { grantJobRoutes } from './job-route-grants.js';
import { applyNagSuppressions } from './nag-suppressions.js';
import { SchedulerRole } from './scheduler-role.js';
import { readSettings } from './settings.js';
import { Storage } from './storage.js';
import { Workflows } from './workflows.js';

export interface TidemarkStackProps extends StackProps {
  /** Record the reviewed cdk-nag acknowledgements (default true; tests turn it off to list raw findings). */
  acknowledgeNagFindings?: boolean;
}

export class TidemarkStack extends Stack {
  readonly storage: Storage;
  readonly workflows: Workflows;
  readonly schedulerRole: SchedulerRole;
  readonly alerts: Alerts;
  readonly api: Api;
  readonly agentDataRole: iam.Role;

  constructor(scope: Construct, id: string, props: TidemarkStackProps = {}) {
    super(scope, id, props);
    const settings = readSettings(this);

    this.storage = new Storage(this, 'Storage', { settings });
    const { table, mediaBucket, catalogKey, mediaKey } = this.storage;

    // What every function may know: where the data lives.
    const dataEnvironment: Partial<Record<EnvName, string>> = {
      [ENV.tableName]: table.tableName,
      [ENV.mediaBucket]: mediaBucket.bucketName,
      [ENV.mediaKeyId]: mediaKey.keyArn,
    };

    // The alert topic comes first: the workflows' last steps publish job alerts to it.
    this.alerts = new Alerts(this, 'Alerts', { key: catalogKey });
    this.workflows = new Workflows(this, 'Workflows', {
      table,
      mediaBucket,
      mediaKey,
      alertTopic: this.alerts.topic,
      environment: { ...dataEnvironment, [ENV.alertsTopicArn]: this.alerts.topic.topicArn },
    });
    const backupStateMachine = this.workflows.backup.stateMachine;
    const restoreStateMachine = this.workflows.restore.stateMachine;

    this.schedulerRole = new SchedulerRole(this, 'Scheduler', { backupStateMachine });

    // What POST /agent/credentials hands agents, narrowed per scenario and purpose by a session policy
    // there. Its trust policy is set below, once the credentials function's role exists.
    this.agentDataRole = new iam.Role(this, 'AgentDataRole', {
      assumedBy: new iam.AccountRootPrincipal(),
      description:
        'Tidemark agents: scenario repositories in the media bucket (scoped per call by a session policy)',
      maxSessionDuration: Duration.hours(1),
    });
    this.agentDataRole.addToPolicy(
      new iam.PolicyStatement({
        actions: ['s3:GetObject', 's3:PutObject', 's3:PutObjectTagging', 's3:AbortMultipartUpload'],
        resources: [mediaBucket.arnForObjects('repos/*')],
      }),
    );
    this.agentDataRole.addToPolicy(
      new iam.PolicyStatement({
        actions: ['s3:ListBucket'],
        resources: [mediaBucket.bucketArn],
        conditions: { StringLike: { 's3:prefix': ['repos/*'] } },
      }),
    );
    // The media key only: the catalog key never reaches an agent.
    mediaKey.grant(this.agentDataRole, 'kms:GenerateDataKey', 'kms:Decrypt');

    this.api = new Api(this, 'Api', {
      table,
      authorizerEnvironment: dataEnvironment,
      // Routes also start jobs and create schedules (later issues), so they learn the workflows.
      routeEnvironment: {
        ...dataEnvironment,
        [ENV.backupStateMachineArn]: backupStateMachine.stateMachineArn,
        [ENV.restoreStateMachineArn]: restoreStateMachine.stateMachineArn,
        [ENV.schedulerRoleArn]: this.schedulerRole.role.roleArn,
        [ENV.alertsTopicArn]: this.alerts.topic.topicArn,
        [ENV.agentDataRoleArn]: this.agentDataRole.roleArn,
      },
    });

    // Agents' alerts (lost connection, queue overflow) reach operators through the alert topic.
    const postEvents = this.api.routeFunctions.get('POST /agent/events');
    if (postEvents) this.alerts.topic.grantPublish(postEvents);
    this.trustOnlyCredentialsFunction();
    // Canceling a job stops its execution, so the route itself raises the job_canceled alert.
    const cancelJob = this.api.routeFunctions.get('POST /jobs/{jobId}/cancel');
    if (cancelJob) this.alerts.topic.grantPublish(cancelJob);

    // Restore by tree and by query read the sessions' file-name indexes from the media bucket.
    grantNameIndexReads(this.api, { bucket: mediaBucket, key: mediaKey });

    grantJobRoutes(this.api, {
      backup: backupStateMachine,
      restore: restoreStateMachine,
      schedulerRole: this.schedulerRole.role,
    });

    new CfnOutput(this, 'ApiUrl', { value: this.api.restApi.url, description: 'Base URL of the REST API' });
    new CfnOutput(this, 'TableName', { value: table.tableName });
    new CfnOutput(this, 'MediaBucket', { value: mediaBucket.bucketName });
    new CfnOutput(this, 'BackupStateMachineArn', { value: backupStateMachine.stateMachineArn });
    new CfnOutput(this, 'RestoreStateMachineArn', { value: restoreStateMachine.stateMachineArn });

    if (props.acknowledgeNagFindings ?? true) applyNagSuppressions(this);
  }

  /** Only the POST /agent/credentials function may assume the agent data role: not the account, not a host. */
  private trustOnlyCredentialsFunction(): void {
    const role = this.api.routeFunctions.get('POST /agent/credentials')?.role;
    if (!role) throw new Error('no function serves POST /agent/credentials');
    this.agentDataRole.grantAssumeRole(role);
    const trust = new iam.PolicyDocument({
      statements: [new iam.PolicyStatement({ actions: ['sts:AssumeRole'], principals: [role] })],
    });
    (this.agentDataRole.node.defaultChild as iam.CfnRole).assumeRolePolicyDocument = trust;
  }
}
