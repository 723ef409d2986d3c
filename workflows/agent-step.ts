/**
 * A workflow step that needs a host: the dispatch Lambda writes a command
 * with this step's task token, and the step waits until the agent's outcome
 * comes back through the API (SendTaskSuccess / SendTaskFailure), or until
 * its timeout (States.Timeout) or a missed heartbeat (States.HeartbeatTimeout)
 * passes; both are reported as AE0469.
 */
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import type { Construct } from 'constructs';
import type { CommandKind, DispatchRequest } from '../core/command.js';

export interface AgentStepProps {
  /** The function behind functions/steps/dispatch-command.ts. */
  dispatch: lambda.IFunction;
  kind: CommandKind;
  /** JSONPath of the host that runs the command. */
  hostIdPath: string;
  /** The command's arguments: an object whose values may be JSONPath references, or one JSONPath to an object. */
  args: Record<string, unknown> | string;
  /** Where the agent's output goes in the state, so the other fields stay. */
  resultPath: string;
  /** JSONPath of the step's timeout in seconds; it is both the command's deadline and the task timeout. */
  timeoutSecondsPath: string;
  /** JSONPath of the heartbeat interval: the agent must heartbeat at least this often (long steps). */
  heartbeatSecondsPath?: string;
}

/** The dispatch payload, keyed as core/command.ts DispatchRequest expects it. */
type DispatchPayload = Record<keyof DispatchRequest, unknown>;

export function agentStep(scope: Construct, id: string, props: AgentStepProps): tasks.LambdaInvoke {
  const payload: DispatchPayload = {
    hostId: sfn.JsonPath.stringAt(props.hostIdPath),
    kind: props.kind,
    args: typeof props.args === 'string' ? sfn.JsonPath.objectAt(props.args) : props.args,
    taskToken: sfn.JsonPath.taskToken,
    timeoutSeconds: sfn.JsonPath.numberAt(props.timeoutSecondsPath),
  };
  return new tasks.LambdaInvoke(scope, id, {
    lambdaFunction: props.dispatch,
    integrationPattern: sfn.IntegrationPattern.WAIT_FOR_TASK_TOKEN,
    payload: sfn.TaskInput.fromObject(payload),
    taskTimeout: sfn.Timeout.at(props.timeoutSecondsPath),
    ...(props.heartbeatSecondsPath ? { heartbeatTimeout: sfn.Timeout.at(props.heartbeatSecondsPath) } : {}),
    resultPath: props.resultPath,
    comment: `runs a '${props.kind}' command on a host and waits for the agent's outcome`,
  });
}
