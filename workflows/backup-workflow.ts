/**
 * The backup job: validate the job, then for each scenario (at most four at
 * a time) suspend the replica, snapshot it and resume it (resume also runs
 * when the snapshot fails, so a failed job never leaves a replica
 * suspended), and fold the per-scenario outcomes into the job's result.
 * Later issues add the checks, the lock, the backup itself and retention.
 *
 * Every state name is unique in the whole definition: the local runner binds
 * tasks by state name.
 */
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { agentStep } from './agent-step.js';
import { loggedStateMachine } from './state-machine.js';
import { catchStepErrors } from './step-errors.js';

export interface BackupWorkflowProps {
  /** functions/steps/validate-backup-job.ts */
  validateJob: lambda.IFunction;
  /** functions/steps/dispatch-command.ts */
  dispatchCommand: lambda.IFunction;
  /** functions/steps/summarize-backup-job.ts */
  summarizeJob: lambda.IFunction;
  logRetention?: logs.RetentionDays;
}

/** Scenarios of one job that are worked on at the same time. */
export const SCENARIO_CONCURRENCY = 4;

export class BackupWorkflow extends Construct {
  readonly stateMachine: sfn.StateMachine;

  constructor(scope: Construct, id: string, props: BackupWorkflowProps) {
    super(scope, id);

    // Execution input: {jobId, scenarios: [{scenarioId, scenarioName, replicaHostId, timeoutSeconds}]}.
    // The validated job (with defaults filled in) replaces the state.
    const validateJob = new tasks.LambdaInvoke(this, 'ValidateJob', {
      lambdaFunction: props.validateJob,
      payloadResponseOnly: true,
    });

    const perScenario = this.scenarioBranch(props.dispatchCommand);
    const forEachScenario = new sfn.Map(this, 'ForEachScenario', {
      itemsPath: '$.scenarios',
      maxConcurrency: SCENARIO_CONCURRENCY,
      resultPath: '$.outcomes',
    }).itemProcessor(perScenario);

    const summarizeJob = new tasks.LambdaInvoke(this, 'SummarizeJob', {
      lambdaFunction: props.summarizeJob,
      payloadResponseOnly: true,
      payload: sfn.TaskInput.fromObject({
        jobId: sfn.JsonPath.stringAt('$.jobId'),
        outcomes: sfn.JsonPath.listAt('$.outcomes'),
      }),
    });

    this.stateMachine = loggedStateMachine(this, 'StateMachine', {
      name: 'backup',
      comment: 'Tidemark backup job: suspend, snapshot and resume each scenario replica',
      definition: validateJob.next(forEachScenario).next(summarizeJob),
      logRetention: props.logRetention,
    });
  }

  /** One scenario: its item keeps {scenarioId, scenarioName, replicaHostId, timeoutSeconds} throughout. */
  private scenarioBranch(dispatch: lambda.IFunction): sfn.IChainable {
    const onReplica = (id: string, kind: 'suspend' | 'snapshot' | 'resume', resultPath: string) =>
      agentStep(this, id, {
        dispatch,
        kind,
        hostIdPath: '$.replicaHostId',
        args: {
          scenarioId: sfn.JsonPath.stringAt('$.scenarioId'),
          scenarioName: sfn.JsonPath.stringAt('$.scenarioName'),
        },
        resultPath,
      });

    const completed = new sfn.Pass(this, 'ScenarioCompleted', {
      parameters: { scenarioId: sfn.JsonPath.stringAt('$.scenarioId'), status: 'completed' },
    });
    // Every failure path has written {code, message} at $.error before it gets here.
    const failed = new sfn.Pass(this, 'ScenarioFailed', {
      parameters: {
        scenarioId: sfn.JsonPath.stringAt('$.scenarioId'),
        status: 'failed',
        error: sfn.JsonPath.objectAt('$.error'),
      },
    });

    const suspend = onReplica('SuspendReplica', 'suspend', '$.suspendResult');
    const snapshot = onReplica('SnapshotReplica', 'snapshot', '$.snapshotResult');
    const resume = onReplica('ResumeReplica', 'resume', '$.resumeResult');
    const resumeAfterFailure = onReplica('ResumeAfterFailure', 'resume', '$.resumeResult');

    catchStepErrors(suspend, { next: failed });
    catchStepErrors(snapshot, { next: resumeAfterFailure });
    catchStepErrors(resume, { next: failed });
    // The snapshot's error is what the operator needs; a failed resume after it is kept beside it.
    catchStepErrors(resumeAfterFailure, { next: failed, errorPath: '$.resumeError' });
    resumeAfterFailure.next(failed);

    return suspend.next(snapshot).next(resume).next(completed);
  }
}
