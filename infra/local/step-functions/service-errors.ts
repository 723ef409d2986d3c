/**
 * Errors the local Step Functions API answers with. Each one's `name` is the
 * AWS error code, so code that handles the real service's exceptions (the
 * SDK names them after the code) handles these the same way, in process or
 * over HTTP.
 */

export type ServiceErrorCode =
  | 'ExecutionAlreadyExists'
  | 'ExecutionDoesNotExist'
  | 'InvalidArn'
  | 'InvalidExecutionInput'
  | 'InvalidName'
  | 'InvalidOutput'
  | 'InvalidToken'
  | 'StateMachineDoesNotExist'
  | 'TaskDoesNotExist'
  | 'TaskTimedOut'
  | 'ValidationException';

export class ServiceError extends Error {
  constructor(
    readonly code: ServiceErrorCode,
    message: string,
  ) {
    super(message);
    this.name = code;
  }
}

export function serviceError(code: ServiceErrorCode, message: string): ServiceError {
  return new ServiceError(code, message);
}

/** The AWS front end's wording for a missing required member, so messages read the same as on AWS. */
export function requireMember(value: unknown, member: string): asserts value is string {
  if (typeof value !== 'string' || value.length === 0) {
    throw serviceError(
      'ValidationException',
      `1 validation error detected: Value null at '${member}' failed to satisfy constraint: Member must not be null`,
    );
  }
}
