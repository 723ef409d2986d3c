import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ENV } from '../../core/environment.js';
import { AUTHORIZER_HANDLER, ROUTES } from '../../functions/api/routes.js';
import { type CfnResource, type CfnTemplate, onlyResource, propertyOf, resourcesOf, synth } from './synth.js';

const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
const { json } = synth();
const functions = resourcesOf(json, 'AWS::Lambda::Function');
const entryOf = (fn: CfnResource) => fn.Metadata?.['tidemark:entry'] as string | undefined;

/** The Lambda steps of the backup and restore state machines. */
const WORKFLOW_STEPS = [
  'allocate-sessions',
  'check-retrieval',
  'commit-sessions',
  'dispatch-command',
  'finish-backup-job',
  'finish-restore-job',
  'prepare-scenario',
  'release-lock',
  'request-retrieval',
  'resolve-restore',
  'restart-scenario',
  'validate-backup-job',
].map((name) => `functions/steps/${name}.ts`);

/** Steps that only look at their input or S3, never the table. */
const PURE_STEPS = ['validate-backup-job', 'request-retrieval', 'check-retrieval'].map(
  (name) => `functions/steps/${name}.ts`,
);

describe('Lambda functions', () => {
  it('are the authorizer, one per route and one per workflow step', () => {
    expect(functions.map(([, fn]) => entryOf(fn)).sort()).toEqual(
      [AUTHORIZER_HANDLER, ...ROUTES.map((route) => route.handler), ...WORKFLOW_STEPS].sort(),
    );
  });

  it('run Node.js 22 or newer on arm64 with active tracing', () => {
    for (const [id, fn] of functions) {
      const runtime = String(fn.Properties?.Runtime);
      const major = Number(/^nodejs(\d+)\.x$/.exec(runtime)?.[1]);
      expect({ id, major: major >= 22 }).toEqual({ id, major: true });
      expect({ id, arch: fn.Properties?.Architectures }).toEqual({ id, arch: ['arm64'] });
      expect({ id, tracing: fn.Properties?.TracingConfig }).toEqual({ id, tracing: { Mode: 'Active' } });
      expect({ id, handler: fn.Properties?.Handler }).toEqual({ id, handler: 'index.handler' });
    }
  });

  it('name, in metadata, a handler module of this repository that exports `handler`', () => {
    for (const [id, fn] of functions) {
      const entry = entryOf(fn);
      expect({ id, entry }).toEqual({ id, entry: expect.stringMatching(/^functions\/.+\.ts$/) });
      const path = join(REPO_ROOT, entry ?? '');
      expect({ id, exists: existsSync(path) }).toEqual({ id, exists: true });
      expect(readFileSync(path, 'utf8')).toMatch(/export const handler\b/);
    }
  });

  it('get only the environment names of core/environment.ts, plus Powertools and source maps', () => {
    const allowed = new Set<string>([...Object.values(ENV), 'POWERTOOLS_SERVICE_NAME', 'NODE_OPTIONS']);
    for (const [id, fn] of functions) {
      const variables = propertyOf<{ Variables: Record<string, unknown> }>(fn, 'Environment').Variables;
      const unknown = Object.keys(variables).filter((name) => !allowed.has(name));
      expect({ id, unknown }).toEqual({ id, unknown: [] });
      expect(variables).toMatchObject({
        POWERTOOLS_SERVICE_NAME: 'tidemark',
        NODE_OPTIONS: '--enable-source-maps',
        [ENV.tableName]: { Ref: onlyResource(json, 'AWS::DynamoDB::Table')[0] },
      });
    }
  });

  it('give the workflow ARNs and the scheduler role only to route functions', () => {
    const [backupId] = onlyResource(json, 'AWS::StepFunctions::StateMachine', 'WorkflowsBackup');
    for (const [id, fn] of functions) {
      const variables = propertyOf<{ Variables: Record<string, unknown> }>(fn, 'Environment').Variables;
      const isRoute = fn.Metadata?.['tidemark:route'] !== undefined;
      expect({ id, has: ENV.backupStateMachineArn in variables }).toEqual({ id, has: isRoute });
      expect({ id, has: ENV.schedulerRoleArn in variables }).toEqual({ id, has: isRoute });
      if (isRoute) expect(variables[ENV.backupStateMachineArn]).toEqual({ Ref: backupId });
    }
  });

  it('log to their own log group with a retention', () => {
    for (const [id, fn] of functions) {
      const logGroupRef = propertyOf<{ LogGroup: { Ref: string } }>(fn, 'LoggingConfig').LogGroup.Ref;
      expect({ id, retention: json.Resources[logGroupRef]?.Properties?.RetentionInDays }).toEqual({
        id,
        retention: 90,
      });
    }
  });

  it('have roles without managed policies', () => {
    for (const [id, fn] of functions) {
      const roleId = propertyOf<{ 'Fn::GetAtt': [string, string] }>(fn, 'Role')['Fn::GetAtt'][0];
      expect({ id, managed: json.Resources[roleId]?.Properties?.ManagedPolicyArns }).toEqual({
        id,
        managed: undefined,
      });
    }
  });
});

describe('permissions', () => {
  const actionsOf = (entry: string) => policyActions(json, roleOfEntry(json, entry));

  it('lets only the result and heartbeat routes report to waiting steps, and the poll route heartbeat them', () => {
    for (const [, fn] of functions) {
      const entry = entryOf(fn) ?? '';
      const sendTask = actionsOf(entry).filter((action) => action.startsWith('states:SendTask'));
      const expected =
        entry === 'functions/api/agent/post-command-result.ts'
          ? ['states:SendTaskFailure', 'states:SendTaskSuccess']
          : entry === 'functions/api/agent/post-command-heartbeat.ts' ||
              entry === 'functions/api/agent/poll-commands.ts'
            ? ['states:SendTaskHeartbeat']
            : [];
      expect({ entry, sendTask: sendTask.sort() }).toEqual({ entry, sendTask: expected });
    }
  });

  it('gives the authorizer read-only table access and the pure steps none', () => {
    const authorizer = actionsOf('functions/api/authorizer.ts');
    expect(authorizer).toContain('dynamodb:GetItem');
    expect(authorizer).not.toContain('dynamodb:PutItem');
    for (const entry of PURE_STEPS) {
      expect(actionsOf(entry).filter((action) => action.startsWith('dynamodb:'))).toEqual([]);
    }
    expect(actionsOf('functions/steps/dispatch-command.ts')).toContain('dynamodb:PutItem');
  });

  it('lets EventBridge Scheduler, and only it, start the backup state machine', () => {
    const [backupId] = onlyResource(json, 'AWS::StepFunctions::StateMachine', 'WorkflowsBackup');
    const [roleId, role] = onlyResource(json, 'AWS::IAM::Role', 'SchedulerRole');
    expect(JSON.stringify(role.Properties?.AssumeRolePolicyDocument)).toContain('scheduler.amazonaws.com');
    const statements = policyStatements(json, roleId);
    expect(statements).toEqual([
      { Action: 'states:StartExecution', Effect: 'Allow', Resource: { Ref: backupId } },
    ]);
  });
});

function roleOfEntry(template: CfnTemplate, entry: string): string {
  const found = resourcesOf(template, 'AWS::Lambda::Function').find(([, fn]) => entryOf(fn) === entry);
  if (!found) throw new Error(`no function runs ${entry}`);
  return propertyOf<{ 'Fn::GetAtt': [string, string] }>(found[1], 'Role')['Fn::GetAtt'][0];
}

function policyStatements(template: CfnTemplate, roleId: string): Record<string, unknown>[] {
  return resourcesOf(template, 'AWS::IAM::Policy')
    .filter(([, policy]) => JSON.stringify(policy.Properties?.Roles) === JSON.stringify([{ Ref: roleId }]))
    .flatMap(
      ([, policy]) =>
        propertyOf<{ Statement: Record<string, unknown>[] }>(policy, 'PolicyDocument').Statement,
    );
}

function policyActions(template: CfnTemplate, roleId: string): string[] {
  return policyStatements(template, roleId).flatMap((statement) =>
    Array.isArray(statement.Action) ? (statement.Action as string[]) : [statement.Action as string],
  );
}
