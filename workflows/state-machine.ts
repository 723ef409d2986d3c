/**
 * The settings every Tidemark state machine shares: STANDARD (runs last
 * hours and wait for agents), tracing, and a log group that receives every
 * event but no execution data, so inputs and outputs never reach the logs.
 */
import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';

export interface LoggedStateMachineProps {
  definition: sfn.IChainable;
  /** Short name used for the log group: `/aws/vendedlogs/states/<stack>/<name>`. */
  name: string;
  comment: string;
  logRetention?: logs.RetentionDays;
}

export function loggedStateMachine(
  scope: Construct,
  id: string,
  props: LoggedStateMachineProps,
): sfn.StateMachine {
  // The vendedlogs prefix keeps CloudWatch Logs from growing a resource policy per log group.
  const logGroup = new logs.LogGroup(scope, `${id}Logs`, {
    logGroupName: `/aws/vendedlogs/states/${Stack.of(scope).stackName}/${props.name}`,
    retention: props.logRetention ?? logs.RetentionDays.THREE_MONTHS,
    removalPolicy: RemovalPolicy.DESTROY,
  });
  return new sfn.StateMachine(scope, id, {
    definitionBody: sfn.DefinitionBody.fromChainable(props.definition),
    stateMachineType: sfn.StateMachineType.STANDARD,
    comment: props.comment,
    tracingEnabled: true,
    logs: { destination: logGroup, level: sfn.LogLevel.ALL, includeExecutionData: false },
  });
}
