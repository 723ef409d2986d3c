/**
 * The one way Tidemark makes a Lambda function: an ESM bundle of a handler
 * module from this repository, on arm64 with active tracing, its own log
 * group and its own role (no managed policies: callers grant what the
 * function needs). Every function records the module it runs in its
 * CloudFormation metadata, so the local cloud can run the same handler.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import type { EnvName } from '../core/environment.js';

export const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));

/** CloudFormation metadata keys the local cloud reads from the synthesized template. */
export const METADATA = {
  /** The handler module, relative to the repository root; its export is always `handler`. */
  entry: 'tidemark:entry',
  /** `METHOD /path` of the API route a function serves. */
  route: 'tidemark:route',
} as const;

/**
 * L1 (AwsSolutions) wants the newest runtime CDK knows; nodejs20.x is deprecated.
 * The code itself stays runnable on Node 20, which the local cloud uses.
 */
export const LAMBDA_RUNTIME = lambda.Runtime.NODEJS_24_X;

export const LOG_RETENTION = logs.RetentionDays.THREE_MONTHS;

export interface TidemarkFunctionProps {
  /** Handler module relative to the repository root, e.g. `functions/steps/dispatch-command.ts`. */
  entry: string;
  description: string;
  /** Only names from core/environment.ts, so handlers and infra agree on them. */
  environment: Partial<Record<EnvName, string>>;
  timeout?: Duration;
  memorySize?: number;
  /** `METHOD /path` when the function serves an API route. */
  route?: string;
}

export function createFunction(scope: Construct, id: string, props: TidemarkFunctionProps): NodejsFunction {
  const entryPath = join(REPO_ROOT, props.entry);
  if (!existsSync(entryPath)) throw new Error(`${id}: handler module ${props.entry} does not exist`);

  const logGroup = new logs.LogGroup(scope, `${id}Logs`, {
    retention: LOG_RETENTION,
    removalPolicy: RemovalPolicy.DESTROY,
  });
  // An explicit role keeps AWSLambdaBasicExecutionRole (a managed policy on every log group) off the function.
  const role = new iam.Role(scope, `${id}Role`, {
    assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
    description: `Tidemark ${props.description}`,
  });
  logGroup.grantWrite(role);

  const fn = new NodejsFunction(scope, id, {
    entry: entryPath,
    handler: 'handler',
    projectRoot: REPO_ROOT,
    depsLockFilePath: join(REPO_ROOT, 'package-lock.json'),
    description: props.description,
    runtime: LAMBDA_RUNTIME,
    architecture: lambda.Architecture.ARM_64,
    memorySize: props.memorySize ?? 256,
    timeout: props.timeout ?? Duration.seconds(10),
    tracing: lambda.Tracing.ACTIVE,
    logGroup,
    role,
    // SDK v3 keeps connections alive by itself; the variable would only add a name outside core/environment.ts.
    awsSdkConnectionReuse: false,
    environment: {
      ...props.environment,
      POWERTOOLS_SERVICE_NAME: 'tidemark',
      NODE_OPTIONS: '--enable-source-maps',
    },
    bundling: {
      format: OutputFormat.ESM,
      target: 'node22',
      mainFields: ['module', 'main'],
      // CommonJS dependencies inside an ESM bundle call require(); ESM has none unless we make one.
      banner: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
      minify: true,
      sourceMap: true,
      // Ship the SDK versions package-lock.json pins rather than whatever the runtime carries.
      bundleAwsSDK: true,
    },
  });

  const cfn = fn.node.defaultChild as lambda.CfnFunction;
  cfn.addMetadata(METADATA.entry, props.entry);
  if (props.route) cfn.addMetadata(METADATA.route, props.route);
  return fn;
}

/** `functions/api/hosts/enroll-host.ts` → `EnrollHost`: a construct id that reads like the module. */
export function functionName(entry: string): string {
  const base = entry.split('/').pop()?.replace(/\.ts$/, '') ?? entry;
  return base
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((part) => part[0]?.toUpperCase() + part.slice(1))
    .join('');
}
