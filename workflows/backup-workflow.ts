/**
 * The backup job (docs/workflows.md): validate the job, then for each
 * scenario (at most four at a time) check and lock it, freeze the replica
 * (suspend, or the assured-recovery test against the master's checksums),
 * snapshot it, resume replication —
 * always, also after a failure —, allocate one session per entity, back them
 * up from the snapshot, commit them, apply snapshot retention (a failure is
 * the warning AE0461), and release the lock on every path once it was
 * taken. Finally the job's result, activity log and alert.
 *
 * Every state name is unique in the whole definition: the local runner binds
 * tasks by state name.
 */
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import type { CommandKind } from '../core/command.js';
import { agentStep } from './agent-step.js';
import { loggedStateMachine } from './state-machine.js';
import { catchStepErrors } from './step-errors.js';

export interface BackupWorkflowProps {
  /** functions/steps/validate-backup-job.ts */
  validateJob: lambda.IFunction;
  /** functions/steps/dispatch-command.ts */
  dispatchCommand: lambda.IFunction;
  /** functions/steps/prepare-scenario.ts */
  prepareScenario: lambda.IFunction;
  /** functions/steps/allocate-sessions.ts */
  allocateSessions: lambda.IFunction;
  /** functions/steps/commit-sessions.ts */
  commitSessions: lambda.IFunction;
  /** functions/steps/release-lock.ts */
  releaseLock: lambda.IFunction;
  /** functions/steps/finish-backup-job.ts */
  finishJob: lambda.IFunction;
  logRetention?: logs.RetentionDays;
}

/** Scenarios of one job that are worked on at the same time. */
export const SCENARIO_CONCURRENCY = 4;

export class BackupWorkflow extends Construct {
  readonly stateMachine: sfn.StateMachine;

  constructor(scope: Construct, id: string, props: BackupWorkflowProps) {
    super(scope, id);

    // Execution input: {jobId, scenarios: [{scenarioId, scenarioName, ...}]} (core/workflow-input.ts).
    const validateJob = new tasks.LambdaInvoke(this, 'ValidateJob', {
      lambdaFunction: props.validateJob,
      payloadResponseOnly: true,
    });

    const forEachScenario = new sfn.Map(this, 'ForEachScenario', {
      itemsPath: '$.scenarios',
      itemSelector: {
        jobId: sfn.JsonPath.stringAt('$.jobId'),
        scenarioId: sfn.JsonPath.stringAt('$$.Map.Item.Value.scenarioId'),
        scenarioName: sfn.JsonPath.stringAt('$$.Map.Item.Value.scenarioName'),
        // A scheduled run is started by EventBridge Scheduler: PrepareScenario shows it on the job.
        executionArn: sfn.JsonPath.stringAt('$$.Execution.Id'),
        executionStartedAt: sfn.JsonPath.stringAt('$$.Execution.StartTime'),
      },
      maxConcurrency: SCENARIO_CONCURRENCY,
      resultPath: '$.outcomes',
    }).itemProcessor(this.scenarioBranch(props));

    const finishJob = new tasks.LambdaInvoke(this, 'FinishJob', {
      lambdaFunction: props.finishJob,
      payloadResponseOnly: true,
      payload: sfn.TaskInput.fromObject({
        jobId: sfn.JsonPath.stringAt('$.jobId'),
        startedAt: sfn.JsonPath.stringAt('$$.Execution.StartTime'),
        outcomes: sfn.JsonPath.listAt('$.outcomes'),
      }),
    });

    this.stateMachine = loggedStateMachine(this, 'StateMachine', {
      name: 'backup',
      comment:
        'Tidemark backup job: per scenario check, lock, freeze, snapshot, resume, back up, commit, retain, release',
      definition: validateJob.next(forEachScenario).next(finishJob),
      logRetention: props.logRetention,
    });
  }

  /** One scenario: its state starts as {jobId, scenarioId, scenarioName} and ends as its ScenarioOutcome. */
  private scenarioBranch(props: BackupWorkflowProps): sfn.IChainable {
    const onReplica = (
      id: string,
      kind: CommandKind,
      args: Record<string, unknown> | string,
      resultPath: string,
    ) =>
      agentStep(this, id, {
        dispatch: props.dispatchCommand,
        kind,
        hostIdPath: '$.prepared.replicaHostId',
        args,
        resultPath,
        timeoutSecondsPath: '$.prepared.timeoutSeconds',
      });
    const finish = (id: string, lockHeld: boolean) =>
      new tasks.LambdaInvoke(this, id, {
        lambdaFunction: props.releaseLock,
        payloadResponseOnly: true,
        payload: sfn.TaskInput.fromObject({ lockHeld, state: sfn.JsonPath.objectAt('$') }),
      });
    const lambdaStep = (
      id: string,
      fn: lambda.IFunction,
      payload: Record<string, unknown>,
      resultPath: string,
    ) =>
      new tasks.LambdaInvoke(this, id, {
        lambdaFunction: fn,
        payloadResponseOnly: true,
        payload: sfn.TaskInput.fromObject(payload),
        resultPath,
      });

    // Before the lock: nothing to undo. After it: release it, and resume replication while it may be frozen.
    const rejectScenario = finish('RejectScenario', false);
    const releaseLock = finish('ReleaseLock', true);
    const releaseLockAfterFailure = finish('ReleaseLockAfterFailure', true);
    const resumeAfterFailure = onReplica('ResumeAfterFailure', 'resume', '$.prepared.refArgs', '$.resumed');
    // The first error is what the operator needs; a failed resume after it is kept beside it.
    catchStepErrors(resumeAfterFailure, { next: releaseLockAfterFailure, errorPath: '$.resumeError' });
    resumeAfterFailure.next(releaseLockAfterFailure);

    const prepare = lambdaStep(
      'PrepareScenario',
      props.prepareScenario,
      {
        jobId: sfn.JsonPath.stringAt('$.jobId'),
        scenarioId: sfn.JsonPath.stringAt('$.scenarioId'),
        scenarioName: sfn.JsonPath.stringAt('$.scenarioName'),
        executionArn: sfn.JsonPath.stringAt('$.executionArn'),
        executionStartedAt: sfn.JsonPath.stringAt('$.executionStartedAt'),
      },
      '$.prepared',
    );
    catchStepErrors(prepare, { next: rejectScenario });

    const suspend = onReplica('SuspendReplica', 'suspend', '$.prepared.refArgs', '$.suspended');
    // Assured recovery: the master sends its checksums down the stream, then the replica checks against them.
    const sendChecksums = agentStep(this, 'SendMasterChecksums', {
      dispatch: props.dispatchCommand,
      kind: 'send_checksums',
      hostIdPath: '$.prepared.masterHostId',
      args: '$.prepared.refArgs',
      resultPath: '$.masterChecksums',
      timeoutSecondsPath: '$.prepared.timeoutSeconds',
    });
    const test = onReplica(
      'TestReplica',
      'test',
      {
        scenarioId: sfn.JsonPath.stringAt('$.prepared.refArgs.scenarioId'),
        scenarioName: sfn.JsonPath.stringAt('$.prepared.refArgs.scenarioName'),
        jobId: sfn.JsonPath.stringAt('$.jobId'),
        scenario: sfn.JsonPath.objectAt('$.prepared.scenario'),
        masterChecksums: sfn.JsonPath.objectAt('$.masterChecksums'),
      },
      '$.assuredRecovery',
    );
    const snapshot = onReplica('SnapshotReplica', 'snapshot', '$.prepared.snapshotArgs', '$.snapshot');
    const resume = onReplica('ResumeReplica', 'resume', '$.prepared.refArgs', '$.resumed');
    for (const step of [sendChecksums, suspend, test, snapshot])
      catchStepErrors(step, { next: resumeAfterFailure });
    catchStepErrors(resume, { next: releaseLockAfterFailure });

    const testFailed = new sfn.Pass(this, 'AssuredRecoveryFailed', {
      parameters: {
        Error: 'AE0457',
        'Cause.$':
          "States.Format('the assured-recovery test failed: {}', States.JsonToString($.assuredRecovery))",
      },
      resultPath: '$.error',
    }).next(resumeAfterFailure);
    const checkTest = new sfn.Choice(this, 'AssuredRecoveryPassed')
      .when(
        sfn.Condition.and(
          sfn.Condition.isPresent('$.assuredRecovery.passed'),
          sfn.Condition.booleanEquals('$.assuredRecovery.passed', true),
        ),
        snapshot,
      )
      .otherwise(testFailed);
    const freeze = new sfn.Choice(this, 'ChooseFreeze')
      .when(sfn.Condition.stringEquals('$.prepared.mode', 'assured_recovery'), sendChecksums)
      .otherwise(suspend);
    sendChecksums.next(test).next(checkTest);
    suspend.next(snapshot);
    snapshot.next(resume);

    const allocate = lambdaStep(
      'AllocateSessions',
      props.allocateSessions,
      {
        scenario: sfn.JsonPath.objectAt('$.prepared.scenario'),
        snapshot: sfn.JsonPath.objectAt('$.snapshot'),
      },
      '$.plan',
    );
    const backup = agentStep(this, 'BackupReplica', {
      dispatch: props.dispatchCommand,
      kind: 'backup',
      hostIdPath: '$.prepared.replicaHostId',
      args: {
        jobId: sfn.JsonPath.stringAt('$.jobId'),
        scenario: sfn.JsonPath.objectAt('$.prepared.scenario'),
        snapshotId: sfn.JsonPath.stringAt('$.plan.snapshotId'),
        repository: sfn.JsonPath.objectAt('$.prepared.repository'),
        sessions: sfn.JsonPath.listAt('$.plan.sessions'),
        applicationConsistent: sfn.JsonPath.stringAt('$.prepared.applicationConsistent'),
      },
      resultPath: '$.backup',
      timeoutSecondsPath: '$.prepared.backupTimeoutSeconds',
      heartbeatSecondsPath: '$.prepared.timeoutSeconds',
    });
    const commit = lambdaStep(
      'CommitSessions',
      props.commitSessions,
      {
        jobId: sfn.JsonPath.stringAt('$.jobId'),
        scenarioId: sfn.JsonPath.stringAt('$.scenarioId'),
        scenarioName: sfn.JsonPath.stringAt('$.prepared.scenario.name'),
        applicationConsistent: sfn.JsonPath.stringAt('$.prepared.applicationConsistent'),
        masterHost: sfn.JsonPath.stringAt('$.prepared.scenario.master'),
        repository: sfn.JsonPath.objectAt('$.prepared.repository'),
        planned: sfn.JsonPath.listAt('$.plan.sessions'),
        backup: sfn.JsonPath.objectAt('$.backup'),
      },
      '$.committed',
    );
    const retain = onReplica('ReleaseSnapshots', 'release_snapshots', '$.prepared.releaseArgs', '$.released');
    for (const step of [allocate, backup, commit]) catchStepErrors(step, { next: releaseLockAfterFailure });
    // Retention failing is a warning: the backup is committed, the scenario ends incomplete.
    catchStepErrors(retain, { next: releaseLock, errorPath: '$.warning' });

    resume.next(allocate).next(backup).next(commit).next(retain).next(releaseLock);
    return prepare.next(freeze);
  }
}
