/**
 * Step Functions ARNs: parsing the ones callers send, making execution ARNs
 * the way AWS does (`...:execution:<state machine name>:<execution name>`).
 */
import { serviceError } from './service-errors.js';

export interface StateMachineArnParts {
  partition: string;
  region: string;
  account: string;
  name: string;
}

const STATE_MACHINE_ARN = /^arn:(aws[a-z-]*):states:([a-z0-9-]+):(\d{12}):stateMachine:([^:\s]{1,80})$/;
const EXECUTION_ARN =
  /^arn:(aws[a-z-]*):states:([a-z0-9-]+):(\d{12}):execution:([^:\s]{1,80}):([^:\s]{1,80})$/;

export function parseStateMachineArn(arn: string): StateMachineArnParts {
  const match = STATE_MACHINE_ARN.exec(arn);
  if (!match)
    throw serviceError('InvalidArn', `Invalid Arn: 'Resource type not valid in this context: ${arn}'`);
  const [, partition = '', region = '', account = '', name = ''] = match;
  return { partition, region, account, name };
}

export function executionArnOf(stateMachineArn: string, executionName: string): string {
  const { partition, region, account, name } = parseStateMachineArn(stateMachineArn);
  return `arn:${partition}:states:${region}:${account}:execution:${name}:${executionName}`;
}

/** Rejects a malformed execution ARN the way AWS does, before looking it up. */
export function checkExecutionArn(arn: string): void {
  if (!EXECUTION_ARN.test(arn)) {
    throw serviceError('InvalidArn', `Invalid Arn: 'Resource type not valid in this context: ${arn}'`);
  }
}

// AWS forbids whitespace, brackets, wildcards, these specials and control characters in names.
const FORBIDDEN_IN_NAME = /[\s<>{}[\]?*"#%\\^|~`$&,;:/\p{Cc}]/u;

export function checkExecutionName(name: string): void {
  if (name.length < 1 || name.length > 80 || FORBIDDEN_IN_NAME.test(name)) {
    throw serviceError('InvalidName', `Invalid Name: '${name}'`);
  }
}
