/**
 * The workflow step functions and the two state machines that run them.
 * Step functions get the data-plane environment only: a state machine's ARN
 * in the environment of a function the state machine invokes would be a
 * circular reference.
 */
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { Construct } from 'constructs';
import type { EnvName } from '../core/environment.js';
import { BackupWorkflow } from '../workflows/backup-workflow.js';
import { RestoreWorkflow } from '../workflows/restore-workflow.js';
import { createFunction, LOG_RETENTION } from './lambda-function.js';

export interface WorkflowsProps {
  table: dynamodb.ITable;
  environment: Partial<Record<EnvName, string>>;
}

export class Workflows extends Construct {
  readonly dispatchCommand: NodejsFunction;
  readonly validateBackupJob: NodejsFunction;
  readonly summarizeBackupJob: NodejsFunction;
  readonly validateRestoreJob: NodejsFunction;
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
    // It checks the host and writes the command item; nothing else.
    props.table.grantReadWriteData(this.dispatchCommand);
    this.validateBackupJob = step(
      'ValidateBackupJobFunction',
      'functions/steps/validate-backup-job.ts',
      'workflow step: validate a backup job',
    );
    this.summarizeBackupJob = step(
      'SummarizeBackupJobFunction',
      'functions/steps/summarize-backup-job.ts',
      'workflow step: fold scenario outcomes into the job result',
    );
    this.validateRestoreJob = step(
      'ValidateRestoreJobFunction',
      'functions/steps/validate-restore-job.ts',
      'workflow step: validate a restore job',
    );

    this.backup = new BackupWorkflow(this, 'Backup', {
      validateJob: this.validateBackupJob,
      dispatchCommand: this.dispatchCommand,
      summarizeJob: this.summarizeBackupJob,
      logRetention: LOG_RETENTION,
    });
    this.restore = new RestoreWorkflow(this, 'Restore', {
      validateRestore: this.validateRestoreJob,
      dispatchCommand: this.dispatchCommand,
      logRetention: LOG_RETENTION,
    });
  }
}
