/**
 * The restore job (docs/workflows.md): resolve what to restore and where;
 * for the original location stop the scenario first (AE0464 unless the job
 * or scenario says to continue); bring Glacier objects back (RestoreObject,
 * then a Wait loop whose wait doubles); the destination agent restores;
 * a restore into the replica flows back to the master (the master agent
 * writes the same selection of the same session at its original paths)
 * before the restart, so the restart's synchronization finds both sides
 * equal instead of copying the master's older files over the restored
 * replica; restart the scenario when this job stopped it, or tried to —
 * also after a failure —; then the job's result, activity log and alert.
 * A failed job ends the execution in RestoreFailed with the catalogue code
 * as its error.
 */
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { agentStep } from './agent-step.js';
import { loggedStateMachine } from './state-machine.js';
import { catchStepErrors } from './step-errors.js';

export interface RestoreWorkflowProps {
  /** functions/steps/dispatch-command.ts */
  dispatchCommand: lambda.IFunction;
  /** functions/steps/resolve-restore.ts */
  resolveRestore: lambda.IFunction;
  /** functions/steps/request-retrieval.ts */
  requestRetrieval: lambda.IFunction;
  /** functions/steps/check-retrieval.ts */
  checkRetrieval: lambda.IFunction;
  /** functions/steps/restart-scenario.ts */
  restartScenario: lambda.IFunction;
  /** functions/steps/finish-restore-job.ts */
  finishJob: lambda.IFunction;
  logRetention?: logs.RetentionDays;
}

export class RestoreWorkflow extends Construct {
  readonly stateMachine: sfn.StateMachine;

  constructor(scope: Construct, id: string, props: RestoreWorkflowProps) {
    super(scope, id);
    const lambdaStep = (stepId: string, fn: lambda.IFunction, payload: sfn.TaskInput, resultPath: string) =>
      new tasks.LambdaInvoke(this, stepId, {
        lambdaFunction: fn,
        payloadResponseOnly: true,
        payload,
        resultPath,
      });
    const wholeState = sfn.TaskInput.fromObject({ state: sfn.JsonPath.objectAt('$') });

    // Execution input: {jobId, ...} (core/workflow-input.ts RestoreJobInput); the job item says the rest.
    const resolve = new tasks.LambdaInvoke(this, 'ResolveRestore', {
      lambdaFunction: props.resolveRestore,
      payloadResponseOnly: true,
      resultPath: '$.resolved',
    });

    const finish = lambdaStep(
      'FinishRestore',
      props.finishJob,
      sfn.TaskInput.fromObject({
        state: sfn.JsonPath.objectAt('$'),
        startedAt: sfn.JsonPath.stringAt('$$.Execution.StartTime'),
      }),
      '$.finished',
    );
    const failed = new sfn.Fail(this, 'RestoreFailed', {
      errorPath: '$.finished.error.code',
      causePath: '$.finished.error.message',
    });
    const succeeded = new sfn.Succeed(this, 'RestoreSucceeded');
    finish.next(
      new sfn.Choice(this, 'RestoreResult')
        .when(sfn.Condition.stringEquals('$.finished.result', 'failed'), failed)
        .otherwise(succeeded),
    );

    const restart = lambdaStep('RestartScenario', props.restartScenario, wholeState, '$.restarted');
    const restartAfterFailure = lambdaStep(
      'RestartAfterFailure',
      props.restartScenario,
      wholeState,
      '$.restarted',
    );
    for (const step of [restart, restartAfterFailure]) {
      catchStepErrors(step, { next: finish, errorPath: '$.restartError' });
      step.next(finish);
    }

    const restoreOnHost = agentStep(this, 'RestoreOnHost', {
      dispatch: props.dispatchCommand,
      kind: 'restore',
      hostIdPath: '$.resolved.destinationHostId',
      args: '$.resolved.restoreArgs',
      resultPath: '$.restoreResult',
      timeoutSecondsPath: '$.resolved.restoreTimeoutSeconds',
      heartbeatSecondsPath: '$.resolved.timeoutSeconds',
    });
    // The flow back of a restore into the replica: the master gets the same bytes at its own paths.
    const restoreOnMaster = agentStep(this, 'RestoreOnMaster', {
      dispatch: props.dispatchCommand,
      kind: 'restore',
      hostIdPath: '$.resolved.masterHostId',
      args: '$.resolved.masterRestoreArgs',
      resultPath: '$.flowBackResult',
      timeoutSecondsPath: '$.resolved.restoreTimeoutSeconds',
      heartbeatSecondsPath: '$.resolved.timeoutSeconds',
    });
    catchStepErrors(restoreOnMaster, { next: restartAfterFailure });
    restoreOnMaster.next(restart);
    catchStepErrors(restoreOnHost, { next: restartAfterFailure });
    restoreOnHost.next(
      new sfn.Choice(this, 'FlowBackToMaster')
        .when(sfn.Condition.booleanEquals('$.resolved.flowBack', true), restoreOnMaster)
        .otherwise(restart),
    );

    const requestRetrieval = lambdaStep(
      'RequestRetrieval',
      props.requestRetrieval,
      sfn.TaskInput.fromObject({
        bucket: sfn.JsonPath.stringAt('$.resolved.bucket'),
        keys: sfn.JsonPath.listAt('$.resolved.coldObjects'),
        tier: sfn.JsonPath.stringAt('$.resolved.tier'),
        pollSeconds: sfn.JsonPath.numberAt('$.resolved.pollSeconds'),
      }),
      '$.retrieval',
    );
    const waitForRetrieval = new sfn.Wait(this, 'WaitForRetrieval', {
      time: sfn.WaitTime.secondsPath('$.retrieval.waitSeconds'),
    });
    const checkRetrieval = lambdaStep(
      'CheckRetrieval',
      props.checkRetrieval,
      sfn.TaskInput.fromObject({
        bucket: sfn.JsonPath.stringAt('$.retrieval.bucket'),
        pending: sfn.JsonPath.listAt('$.retrieval.pending'),
        waitSeconds: sfn.JsonPath.numberAt('$.retrieval.waitSeconds'),
        attempts: sfn.JsonPath.numberAt('$.retrieval.attempts'),
      }),
      '$.retrieval',
    );
    for (const step of [requestRetrieval, checkRetrieval])
      catchStepErrors(step, { next: restartAfterFailure });
    requestRetrieval
      .next(waitForRetrieval)
      .next(checkRetrieval)
      .next(
        new sfn.Choice(this, 'RetrievalComplete')
          .when(sfn.Condition.isPresent('$.retrieval.pending[0]'), waitForRetrieval)
          .otherwise(restoreOnHost),
      );
    const needsRetrieval = new sfn.Choice(this, 'NeedsRetrieval')
      .when(sfn.Condition.booleanEquals('$.resolved.needsRetrieval', true), requestRetrieval)
      .otherwise(restoreOnHost);

    const stop = agentStep(this, 'StopScenario', {
      dispatch: props.dispatchCommand,
      kind: 'stop',
      hostIdPath: '$.resolved.masterHostId',
      args: '$.resolved.stopArgs',
      resultPath: '$.stopResult',
      timeoutSecondsPath: '$.resolved.timeoutSeconds',
    });
    const stopped = new sfn.Pass(this, 'ScenarioStopped', {
      result: sfn.Result.fromBoolean(true),
      resultPath: '$.stopped',
    });
    catchStepErrors(stop, {
      next: new sfn.Choice(this, 'ContinueWithoutStop')
        .when(sfn.Condition.booleanEquals('$.resolved.continueIfCannotStop', true), needsRetrieval)
        // The stop may still land on the agent later: restart, so replication is not left off.
        .otherwise(restartAfterFailure),
      errorPath: '$.stopError',
    });
    stop.next(stopped).next(needsRetrieval);
    const needsStop = new sfn.Choice(this, 'NeedsStop')
      .when(sfn.Condition.booleanEquals('$.resolved.stopScenario', true), stop)
      .otherwise(needsRetrieval);

    catchStepErrors(resolve, { next: finish });
    this.stateMachine = loggedStateMachine(this, 'StateMachine', {
      name: 'restore',
      comment:
        'Tidemark restore job: resolve, stop, retrieve from Glacier, restore on the destination, restart',
      definition: resolve.next(needsStop),
      logRetention: props.logRetention,
    });
  }
}
