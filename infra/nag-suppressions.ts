/**
 * Every cdk-nag (AwsSolutions) finding the stack accepts, each with the
 * reason it was accepted. cdk-nag 3 reads these as CDK acknowledgements
 * (`Validations.of(construct).acknowledge`); a wildcard finding is
 * acknowledged one by one, by its exact `RuleId[Finding]` id. Anything not
 * listed here fails synthesis, and test/infra/nag.test.ts fails on a listed
 * acknowledgement that no longer matches a finding.
 */

import type { CfnElement, CfnResource } from 'aws-cdk-lib';
import { Stack, Validations } from 'aws-cdk-lib';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { IConstruct } from 'constructs';
import { NAME_INDEX_OBJECTS, nameIndexReaders } from './catalog-route-grants.js';
import { jobRouteGrants } from './job-route-grants.js';
import { METADATA } from './lambda-function.js';
import { TASK_TOKEN_ACTIONS } from './route-permissions.js';
import type { TidemarkStack } from './tidemark-stack.js';

const XRAY =
  'Active tracing: xray:PutTraceSegments and xray:PutTelemetryRecords do not support resource-level permissions, so AWS requires Resource "*".';
const SEND_TASK =
  'Step Functions SendTaskSuccess/SendTaskFailure/SendTaskHeartbeat are authorized by the task token alone and support no resource-level permissions; AWS requires Resource "*". The routes only report for, or ask after, commands of the calling agent\'s host.';
const TABLE_INDEXES =
  "Queries on the table's own GSIs (declared in core/table.ts); the grant is limited to this one table's indexes.";
const KMS_ACTIONS =
  'Writing to the table encrypted with the customer key needs kms:GenerateDataKey* and kms:ReEncrypt* (as granted by Table.grantReadWriteData); the grant is limited to that one key.';
const STATE_MACHINE_LOGS =
  'Step Functions log delivery (logs:CreateLogDelivery, GetLogDelivery, UpdateLogDelivery, DeleteLogDelivery, ListLogDeliveries, PutResourcePolicy, DescribeResourcePolicies, DescribeLogGroups) and X-Ray tracing do not support resource-level permissions; AWS requires Resource "*".';
const LAMBDA_VERSIONS =
  'lambda:InvokeFunction on the function ARN and its ":*" qualifiers (versions and aliases) of one named workflow step function, as CDK grants for a LambdaInvoke task.';

const JOB_SCHEDULES =
  'The job routes manage only the EventBridge Scheduler schedules the API itself names (tidemark-<jobId> in the default group); a job id is not known when the policy is written.';
const JOB_EXECUTIONS =
  "The job routes describe and stop executions of this stack's two workflow state machines only; execution names are job ids, unknown when the policy is written.";

const NAME_INDEXES =
  's3:GetObject on the file-name index objects only (<media prefix>/sessions/<number>/names): sessions and media prefixes are created at run time, so their keys cannot be listed in the policy; packs and manifests stay out of reach.';

const REPOSITORY_OBJECTS =
  'The restore steps read (name index, Glacier state via HeadObject) or request retrieval of objects under repos/ only: every scenario has its own repository repos/<scenarioId>/, created at run time, so the keys cannot be listed in the policy.';

export function applyNagSuppressions(stack: TidemarkStack): void {
  const { api, workflows, storage } = stack;
  const tableIndexes = `Resource::<${logicalId(storage.table.node.defaultChild)}.Arn>/index/*`;

  const readers = [api.authorizerFunction];
  const writers = [...api.routeFunctions.values(), ...workflows.tableWriters()];
  const pureSteps = [workflows.validateBackupJob, workflows.requestRetrieval, workflows.checkRetrieval];

  for (const fn of [...readers, ...writers, ...pureSteps]) {
    const entry: unknown = (fn.node.defaultChild as CfnResource).getMetadata(METADATA.entry);
    const sendsTaskResults = typeof entry === 'string' && entry in TASK_TOKEN_ACTIONS;
    acknowledge(
      roleOf(fn),
      'AwsSolutions-IAM5[Resource::*]',
      sendsTaskResults ? `${XRAY} ${SEND_TASK}` : XRAY,
    );
  }
  for (const fn of [...readers, ...writers]) {
    acknowledge(roleOf(fn), `AwsSolutions-IAM5[${tableIndexes}]`, TABLE_INDEXES);
  }
  for (const fn of writers) {
    acknowledge(roleOf(fn), 'AwsSolutions-IAM5[Action::kms:GenerateDataKey*]', KMS_ACTIONS);
    acknowledge(roleOf(fn), 'AwsSolutions-IAM5[Action::kms:ReEncrypt*]', KMS_ACTIONS);
  }

  const machines: [sfn.StateMachine, NodejsFunction[]][] = [
    [
      workflows.backup.stateMachine,
      [
        workflows.validateBackupJob,
        workflows.dispatchCommand,
        workflows.prepareScenario,
        workflows.allocateSessions,
        workflows.commitSessions,
        workflows.releaseLock,
        workflows.finishBackupJob,
      ],
    ],
    [
      workflows.restore.stateMachine,
      [
        workflows.dispatchCommand,
        workflows.resolveRestore,
        workflows.requestRetrieval,
        workflows.checkRetrieval,
        workflows.restartScenario,
        workflows.finishRestoreJob,
      ],
    ],
  ];
  for (const [machine, invoked] of machines) {
    acknowledge(machine.role, 'AwsSolutions-IAM5[Resource::*]', STATE_MACHINE_LOGS);
    for (const fn of invoked) {
      const versions = `Resource::<${logicalId(fn.node.defaultChild)}.Arn>:*`;
      acknowledge(machine.role, `AwsSolutions-IAM5[${versions}]`, LAMBDA_VERSIONS);
    }
  }

  // Job routes: executions of the two workflows (their names are generated) and the API's own schedules.
  const executionsOf = (machine: sfn.StateMachine) =>
    `Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:{"Fn::Select":[6,{"Fn::Split":[":",{"Ref":"${logicalId(machine.node.defaultChild)}"}]}]}:*`;
  for (const { fn, grants } of jobRouteGrants(api)) {
    if (grants.schedule.length > 0) {
      acknowledge(
        roleOf(fn),
        'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:scheduler:<AWS::Region>:<AWS::AccountId>:schedule/default/tidemark-*]',
        JOB_SCHEDULES,
      );
    }
    if (grants.execution.length === 0) continue;
    for (const machine of [workflows.backup.stateMachine, workflows.restore.stateMachine]) {
      acknowledge(roleOf(fn), `AwsSolutions-IAM5[${executionsOf(machine)}]`, JOB_EXECUTIONS);
    }
  }

  // Restore steps: objects of the scenario repositories, whose scenario ids and pack names are data.
  const repositoryObjects = `Resource::<${logicalId(storage.mediaBucket.node.defaultChild)}.Arn>/repos/*`;
  for (const fn of [workflows.resolveRestore, workflows.requestRetrieval, workflows.checkRetrieval]) {
    acknowledge(roleOf(fn), `AwsSolutions-IAM5[${repositoryObjects}]`, REPOSITORY_OBJECTS);
  }
  acknowledge(
    stack.agentDataRole,
    `AwsSolutions-IAM5[${repositoryObjects}]`,
    'The agent data role covers every scenario repository (repos/<scenarioId>/, created at run time); POST /agent/credentials narrows each set of credentials to one scenario with an inline session policy.',
  );

  // Restore by tree and by query: the name-index objects of every session, whose numbers and media prefixes are data.
  const nameIndexes = `Resource::<${logicalId(storage.mediaBucket.node.defaultChild)}.Arn>/${NAME_INDEX_OBJECTS}`;
  for (const fn of nameIndexReaders(api)) {
    acknowledge(roleOf(fn), `AwsSolutions-IAM5[${nameIndexes}]`, NAME_INDEXES);
  }

  const restApi = api.restApi;
  acknowledge(
    restApi,
    'AwsSolutions-APIG2',
    'Every handler parses its body, query and path parameters with zod (functions/shared/http-handler.ts) and answers 400 naming the field; a model-less API Gateway validator would add nothing.',
  );
  acknowledge(
    restApi,
    'AwsSolutions-COG4',
    'Callers are operators and host agents holding Tidemark bearer credentials, not Cognito users: a custom Lambda REQUEST authorizer (functions/api/authorizer.ts) guards every method.',
  );
  acknowledge(
    restApi.deploymentStage,
    'AwsSolutions-APIG3',
    'No WAF yet: every method requires a bearer credential checked by the authorizer (results cached per credential), and API Gateway account throttling applies. Revisit with rate-based rules before exposing the API to untrusted networks at scale.',
  );
  if (!restApi.node.tryFindChild('CloudWatchRole')) throw new Error('the RestApi has no CloudWatchRole');
  acknowledge(
    restApi.node.findChild('CloudWatchRole'),
    'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
    "API Gateway's account-wide CloudWatch role, required for execution logging (APIG6); AWS's managed policy is the documented one for it and grants only CloudWatch Logs actions.",
  );
}

function acknowledge(scope: IConstruct, id: string, reason: string) {
  Validations.of(scope).acknowledge({ id, reason });
}

function roleOf(fn: NodejsFunction): iam.IRole {
  if (!fn.role) throw new Error(`${fn.node.path} has no role`);
  return fn.role;
}

function logicalId(element: IConstruct | undefined): string {
  if (!element) throw new Error('construct without a CloudFormation resource');
  return Stack.of(element).getLogicalId(element as CfnElement);
}
