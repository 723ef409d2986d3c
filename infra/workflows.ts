/**
 * The workflow step functions and the two state machines that run them.
 * Step functions get the data-plane environment (and the alert topic) only:
 * a state machine's ARN in the environment of a function the state machine
 * invokes would be a circular reference.
 */
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import type { EnvName } from '../core/environment.js';
import { BackupWorkflow } from '../workflows/backup-workflow.js';
import { RestoreWorkflow } from '../workflows/restore-workflow.js';
import { createFunction, LOG_RETENTION } from './lambda-function.js';

export interface WorkflowsProps {
  table: dynamodb.ITable;
  mediaBucket: s3.IBucket;
  /** The media key: restore planning reads repository objects encrypted with it. */
  mediaKey: kms.IKey;
  alertTopic: sns.ITopic;
  environment: Partial<Record<EnvName, string>>;
}

export class Workflows extends Construct {
  readonly dispatchCommand: NodejsFunction;
  readonly validateBackupJob: NodejsFunction;
  readonly prepareScenario: NodejsFunction;
  readonly allocateSessions: NodejsFunction;
  readonly commitSessions: NodejsFunction;
  readonly releaseLock: NodejsFunction;
  readonly finishBackupJob: NodejsFunction;
  readonly resolveRestore: NodejsFunction;
  readonly requestRetrieval: NodejsFunction;
  readonly checkRetrieval: NodejsFunction;
  readonly restartScenario: NodejsFunction;
  readonly finishRestoreJob: NodejsFunction;
  readonly backup: BackupWorkflow;
  readonly restore: RestoreWorkflow;

  constructor(scope: Construct, id: string, props: WorkflowsProps) {
    super(scope, id);
    const step = (name: string, entry: string, description: string) =>
      createFunction(this, name, { entry, description, environment: props.environment });

    this.dispatchCommand = step(
      'DispatchCommandFunction',
      'functions/steps/dispatch-command.ts',
      'workflow step: write a command for an agent',
    );
    this.validateBackupJob = step(
      'ValidateBackupJobFunction',
      'functions/steps/validate-backup-job.ts',
      'workflow step: validate a backup job',
    );
    this.prepareScenario = step(
      'PrepareScenarioFunction',
      'functions/steps/prepare-scenario.ts',
      'workflow step: check a scenario and take its lock',
    );
    this.allocateSessions = step(
      'AllocateSessionsFunction',
      'functions/steps/allocate-sessions.ts',
      'workflow step: number one session per entity',
    );
    this.commitSessions = step(
      'CommitSessionsFunction',
      'functions/steps/commit-sessions.ts',
      'workflow step: record and commit backed-up sessions',
    );
    this.releaseLock = step(
      'ReleaseLockFunction',
      'functions/steps/release-lock.ts',
      "workflow step: release a scenario's lock and report its outcome",
    );
    this.finishBackupJob = step(
      'FinishBackupJobFunction',
      'functions/steps/finish-backup-job.ts',
      'workflow step: result, activity log and alert of a backup job',
    );
    this.resolveRestore = step(
      'ResolveRestoreFunction',
      'functions/steps/resolve-restore.ts',
      'workflow step: resolve what a restore job restores and where',
    );
    this.requestRetrieval = step(
      'RequestRetrievalFunction',
      'functions/steps/request-retrieval.ts',
      'workflow step: request Glacier retrieval of restore objects',
    );
    this.checkRetrieval = step(
      'CheckRetrievalFunction',
      'functions/steps/check-retrieval.ts',
      'workflow step: poll a Glacier retrieval',
    );
    this.restartScenario = step(
      'RestartScenarioFunction',
      'functions/steps/restart-scenario.ts',
      'workflow step: restart a scenario stopped for a restore',
    );
    this.finishRestoreJob = step(
      'FinishRestoreJobFunction',
      'functions/steps/finish-restore-job.ts',
      'workflow step: result, activity log and alert of a restore job',
    );

    // Each step gets only what it touches: the table, and S3/KMS/SNS where named.
    for (const fn of this.tableWriters()) props.table.grantReadWriteData(fn);
    // Only the repositories' objects (repos/<scenarioId>/...), and no more than each step calls.
    const repositories = props.mediaBucket.arnForObjects('repos/*');
    const objects = (fn: NodejsFunction, actions: string[]) =>
      fn.addToRolePolicy(new iam.PolicyStatement({ actions, resources: [repositories] }));
    objects(this.resolveRestore, ['s3:GetObject']);
    this.resolveRestore.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['s3:ListBucket'],
        resources: [props.mediaBucket.bucketArn],
        conditions: { StringLike: { 's3:prefix': ['repos/*'] } },
      }),
    );
    props.mediaKey.grantDecrypt(this.resolveRestore);
    objects(this.requestRetrieval, ['s3:RestoreObject']);
    objects(this.checkRetrieval, ['s3:GetObject']);
    props.alertTopic.grantPublish(this.finishBackupJob);
    props.alertTopic.grantPublish(this.finishRestoreJob);

    this.backup = new BackupWorkflow(this, 'Backup', {
      validateJob: this.validateBackupJob,
      dispatchCommand: this.dispatchCommand,
      prepareScenario: this.prepareScenario,
      allocateSessions: this.allocateSessions,
      commitSessions: this.commitSessions,
      releaseLock: this.releaseLock,
      finishJob: this.finishBackupJob,
      logRetention: LOG_RETENTION,
    });
    this.restore = new RestoreWorkflow(this, 'Restore', {
      dispatchCommand: this.dispatchCommand,
      resolveRestore: this.resolveRestore,
      requestRetrieval: this.requestRetrieval,
      checkRetrieval: this.checkRetrieval,
      restartScenario: this.restartScenario,
      finishJob: this.finishRestoreJob,
      logRetention: LOG_RETENTION,
    });
  }

  /** The steps that read or write the catalog table. */
  tableWriters(): NodejsFunction[] {
    return [
      this.dispatchCommand,
      this.prepareScenario,
      this.allocateSessions,
      this.commitSessions,
      this.releaseLock,
      this.finishBackupJob,
      this.resolveRestore,
      this.restartScenario,
      this.finishRestoreJob,
    ];
  }
}
