/**
 * Runs the stack's Lambda functions in this process: each function's
 * handler module (from its `tidemark:entry` metadata) is imported once and
 * invoked the way Lambda would, with a context object and JSON in and out.
 * Errors keep their `name`, as Lambda's errorType does, so Step Functions'
 * Retry and Catch match the same names locally and on AWS.
 */
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Context } from 'aws-lambda';
import type { LocalFunction } from './provision.js';

type Handler = (event: unknown, context: Context) => Promise<unknown>;

export class LocalLambdas {
  private readonly byKey = new Map<string, LocalFunction>();
  private readonly modules = new Map<string, Promise<Handler>>();

  constructor(
    private readonly root: string,
    readonly functions: readonly LocalFunction[],
  ) {
    for (const fn of functions) {
      this.byKey.set(fn.arn, fn);
      this.byKey.set(fn.name, fn);
      this.byKey.set(fn.entry, fn);
    }
  }

  /**
   * The union of every function's environment. One process hosts them all,
   * so two functions may not disagree about a variable.
   */
  environment(): Record<string, string> {
    const merged: Record<string, string> = {};
    for (const fn of this.functions) {
      for (const [name, value] of Object.entries(fn.environment)) {
        if (name in merged && merged[name] !== value) {
          throw new Error(`functions disagree about ${name}; the local cloud runs them in one process`);
        }
        merged[name] = value;
      }
    }
    return merged;
  }

  /** Invokes a function by ARN, name or entry module. */
  async invoke(functionRef: string, payload: unknown): Promise<unknown> {
    const fn = this.byKey.get(functionRef);
    if (!fn)
      throw Object.assign(new Error(`no local function ${functionRef}`), {
        name: 'ResourceNotFoundException',
      });
    const handler = await this.load(fn);
    const deadline = Date.now() + fn.timeoutSeconds * 1000;
    const context = lambdaContext(fn, deadline);
    // Round-trip through JSON both ways, as the Lambda service does.
    const event: unknown = JSON.parse(JSON.stringify(payload ?? null));
    const result = await handler(event, context);
    return result === undefined ? null : JSON.parse(JSON.stringify(result));
  }

  private load(fn: LocalFunction): Promise<Handler> {
    let loading = this.modules.get(fn.entry);
    if (!loading) {
      loading = import(pathToFileURL(path.join(this.root, fn.entry)).href).then(
        (module: { handler?: Handler }) => {
          if (typeof module.handler !== 'function') throw new Error(`${fn.entry} exports no handler`);
          return module.handler;
        },
      );
      this.modules.set(fn.entry, loading);
    }
    return loading;
  }
}

function lambdaContext(fn: LocalFunction, deadline: number): Context {
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: fn.name,
    functionVersion: '$LATEST',
    invokedFunctionArn: fn.arn,
    memoryLimitInMB: '512',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${fn.name}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => {},
    fail: () => {},
    succeed: () => {},
  };
}
