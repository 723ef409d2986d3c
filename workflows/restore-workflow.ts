/**
 * The restore job: validate the job, then let the destination host's agent
 * pull, verify and write the session. Any error ends the execution in
 * RestoreFailed with the catalogue code as its error and the message as its
 * cause. Later issues add session resolution, stopping the scenario,
 * Glacier retrieval and the restart afterwards.
 */
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { agentStep } from './agent-step.js';
import { loggedStateMachine } from './state-machine.js';
import { catchStepErrors, DEFAULT_ERROR_PATH } from './step-errors.js';

export interface RestoreWorkflowProps {
  /** functions/steps/validate-restore-job.ts */
  validateRestore: lambda.IFunction;
  /** functions/steps/dispatch-command.ts */
  dispatchCommand: lambda.IFunction;
  logRetention?: logs.RetentionDays;
}

export class RestoreWorkflow extends Construct {
  readonly stateMachine: sfn.StateMachine;

  constructor(scope: Construct, id: string, props: RestoreWorkflowProps) {
    super(scope, id);

    // Execution input: {jobId, hostId, sessionId, destination, timeoutSeconds}.
    const validateRestore = new tasks.LambdaInvoke(this, 'ValidateRestore', {
      lambdaFunction: props.validateRestore,
      payloadResponseOnly: true,
    });
    const restoreOnHost = agentStep(this, 'RestoreOnHost', {
      dispatch: props.dispatchCommand,
      kind: 'restore',
      hostIdPath: '$.hostId',
      args: {
        sessionId: sfn.JsonPath.stringAt('$.sessionId'),
        destination: sfn.JsonPath.stringAt('$.destination'),
        jobId: sfn.JsonPath.stringAt('$.jobId'),
      },
      resultPath: '$.restoreResult',
    });
    const succeeded = new sfn.Succeed(this, 'RestoreSucceeded');
    const failed = new sfn.Fail(this, 'RestoreFailed', {
      errorPath: `${DEFAULT_ERROR_PATH}.code`,
      causePath: `${DEFAULT_ERROR_PATH}.message`,
    });

    catchStepErrors(validateRestore, { next: failed, catchTimeout: false });
    catchStepErrors(restoreOnHost, { next: failed });

    this.stateMachine = loggedStateMachine(this, 'StateMachine', {
      name: 'restore',
      comment: 'Tidemark restore job: the destination agent restores a session',
      definition: validateRestore.next(restoreOnHost).next(succeeded),
      logRetention: props.logRetention,
    });
  }
}
