/**
 * Creates the synthesized template's resources in moto: KMS keys, DynamoDB
 * tables (keys, indexes, TTL), S3 buckets (versioning, encryption, public
 * access block, lifecycle, Object Lock) and SNS topics. Lambda functions and
 * state machines are not created in moto; they are resolved (entry module,
 * environment, definition) for the local runners. API Gateway, IAM and log
 * resources have no local counterpart: the local API server and the local
 * authorizer stand in for them.
 */
import {
  CreateTableCommand,
  type CreateTableCommandInput,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import { CreateKeyCommand } from '@aws-sdk/client-kms';
import {
  CreateBucketCommand,
  PutBucketEncryptionCommand,
  PutBucketLifecycleConfigurationCommand,
  PutBucketVersioningCommand,
  PutPublicAccessBlockCommand,
} from '@aws-sdk/client-s3';
import { CreateTopicCommand } from '@aws-sdk/client-sns';
import { clients } from '../../core/aws-clients.js';
import { type PhysicalResource, type ResolveContext, resolveIntrinsics } from './intrinsics.js';
import type { CfnResource, CfnTemplate } from './synthesize.js';

export const LOCAL_REGION = 'us-east-1';
export const LOCAL_ACCOUNT = '000000000000';

export interface LocalFunction {
  logicalId: string;
  name: string;
  arn: string;
  /** Handler module relative to the repository root (export `handler`). */
  entry: string;
  environment: Record<string, string>;
  timeoutSeconds: number;
}

export interface LocalStateMachineSpec {
  logicalId: string;
  name: string;
  arn: string;
  definition: object;
}

export interface Provisioned {
  functions: LocalFunction[];
  stateMachines: LocalStateMachineSpec[];
  /** Physical names by logical id, for tests and diagnostics. */
  resources: Record<string, PhysicalResource>;
}

/** Types the local cloud deliberately does not create: API Gateway, IAM, logs and permissions. */
const NOT_LOCAL = /^AWS::(ApiGateway|IAM|Logs|Lambda::Permission|S3::BucketPolicy|SNS::TopicPolicy)/;

export async function provision(
  template: CfnTemplate,
  prefix: string,
  log: (line: string) => void = () => {},
): Promise<Provisioned> {
  const context: ResolveContext = { region: LOCAL_REGION, accountId: LOCAL_ACCOUNT, resources: {} };
  const entries = Object.entries(template.Resources);

  // Keys first: their ids come from moto and everything encrypted refers to them.
  for (const [logicalId, resource] of entries) {
    if (resource.Type !== 'AWS::KMS::Key') continue;
    const { KeyMetadata } = await clients
      .kms()
      .send(new CreateKeyCommand({ Description: `${prefix} ${logicalId}` }));
    if (!KeyMetadata?.KeyId || !KeyMetadata.Arn) throw new Error(`moto created no key for ${logicalId}`);
    context.resources[logicalId] = { ref: KeyMetadata.KeyId, attributes: { Arn: KeyMetadata.Arn } };
  }
  // Every other name is derived, so it is known before anything refers to it.
  for (const [logicalId, resource] of entries) {
    if (resource.Type === 'AWS::KMS::Key') continue;
    context.resources[logicalId] = physicalNames(resource.Type, logicalId, prefix);
  }

  const provisioned: Provisioned = { functions: [], stateMachines: [], resources: context.resources };
  for (const [logicalId, resource] of entries) {
    const properties = (resolveIntrinsics(resource.Properties ?? {}, context) ?? {}) as Record<
      string,
      unknown
    >;
    const physical = context.resources[logicalId] as PhysicalResource;
    switch (resource.Type) {
      case 'AWS::DynamoDB::Table':
        await createTable(physical.ref, properties);
        break;
      case 'AWS::S3::Bucket':
        await createBucket(physical.ref, properties, log);
        break;
      case 'AWS::SNS::Topic':
        await createTopic(physical);
        break;
      case 'AWS::Lambda::Function':
        provisioned.functions.push(localFunction(logicalId, resource, physical, properties));
        break;
      case 'AWS::StepFunctions::StateMachine':
        provisioned.stateMachines.push({
          logicalId,
          name: String(physical.attributes.Name),
          arn: physical.ref,
          definition: JSON.parse(String(properties.DefinitionString)) as object,
        });
        break;
      default:
        if (resource.Type !== 'AWS::KMS::Key' && !NOT_LOCAL.test(resource.Type)) {
          throw new Error(`the local cloud does not know how to create ${resource.Type} (${logicalId})`);
        }
    }
  }
  return provisioned;
}

function physicalNames(type: string, logicalId: string, prefix: string): PhysicalResource {
  const name = `${prefix}-${logicalId}`;
  const arn = (service: string, resource: string) =>
    `arn:aws:${service}:${LOCAL_REGION}:${LOCAL_ACCOUNT}:${resource}`;
  switch (type) {
    case 'AWS::DynamoDB::Table':
      return { ref: name, attributes: { Arn: arn('dynamodb', `table/${name}`) } };
    case 'AWS::S3::Bucket': {
      // Bucket names are lower case and at most 63 characters.
      const bucket = name
        .toLowerCase()
        .slice(0, 63)
        .replace(/[^a-z0-9]+$/, '');
      return {
        ref: bucket,
        attributes: { Arn: `arn:aws:s3:::${bucket}`, DomainName: `${bucket}.s3.amazonaws.com` },
      };
    }
    case 'AWS::SNS::Topic':
      return { ref: arn('sns', name), attributes: { TopicArn: arn('sns', name), TopicName: name } };
    case 'AWS::Lambda::Function':
      return { ref: name, attributes: { Arn: arn('lambda', `function:${name}`) } };
    case 'AWS::StepFunctions::StateMachine':
      return {
        ref: arn('states', `stateMachine:${name}`),
        attributes: { Arn: arn('states', `stateMachine:${name}`), Name: name },
      };
    case 'AWS::IAM::Role':
      return { ref: name, attributes: { Arn: `arn:aws:iam::${LOCAL_ACCOUNT}:role/${name}`, RoleId: name } };
    case 'AWS::Logs::LogGroup':
      return { ref: name, attributes: { Arn: arn('logs', `log-group:${name}:*`) } };
    case 'AWS::ApiGateway::RestApi':
      return { ref: 'local', attributes: { RootResourceId: 'root' } };
    default:
      return { ref: name, attributes: {} };
  }
}

/** Everything that refers to a topic uses the derived ARN: moto must have made exactly that one. */
async function createTopic(physical: PhysicalResource) {
  const { TopicArn } = await clients
    .sns()
    .send(new CreateTopicCommand({ Name: String(physical.attributes.TopicName) }));
  if (TopicArn !== physical.ref) {
    throw new Error(
      `moto created topic ${TopicArn}, not ${physical.ref}: is it running under account ${LOCAL_ACCOUNT} (MOTO_ACCOUNT_ID)?`,
    );
  }
}

async function createTable(name: string, properties: Record<string, unknown>) {
  const input = {
    TableName: name,
    KeySchema: properties.KeySchema,
    AttributeDefinitions: properties.AttributeDefinitions,
    GlobalSecondaryIndexes: properties.GlobalSecondaryIndexes,
    BillingMode: properties.BillingMode ?? 'PAY_PER_REQUEST',
  } as CreateTableCommandInput;
  await clients.dynamo().send(new CreateTableCommand(input));
  const ttl = properties.TimeToLiveSpecification as { AttributeName?: string; Enabled?: boolean } | undefined;
  if (ttl?.AttributeName && ttl.Enabled) {
    await clients.dynamo().send(
      new UpdateTimeToLiveCommand({
        TableName: name,
        TimeToLiveSpecification: { AttributeName: ttl.AttributeName, Enabled: true },
      }),
    );
  }
}

async function createBucket(name: string, properties: Record<string, unknown>, log: (line: string) => void) {
  const s3 = clients.s3();
  await s3.send(
    new CreateBucketCommand({
      Bucket: name,
      ObjectLockEnabledForBucket: properties.ObjectLockEnabled === true,
    }),
  );
  const versioning = properties.VersioningConfiguration as { Status?: string } | undefined;
  if (versioning?.Status === 'Enabled') {
    await s3.send(
      new PutBucketVersioningCommand({ Bucket: name, VersioningConfiguration: { Status: 'Enabled' } }),
    );
  }
  const encryption = properties.BucketEncryption as
    | { ServerSideEncryptionConfiguration: Array<Record<string, unknown>> }
    | undefined;
  if (encryption) {
    try {
      await s3.send(
        new PutBucketEncryptionCommand({
          Bucket: name,
          ServerSideEncryptionConfiguration: { Rules: encryption.ServerSideEncryptionConfiguration },
        }),
      );
    } catch (error) {
      // moto 5.2.5 cannot parse this SDK's PutBucketEncryption body. Default
      // encryption is AWS's concern; backup data is encrypted on the host anyway.
      if ((error as Error).name !== 'MalformedXML') throw error;
      log(`moto refused default encryption for bucket ${name}; the local bucket stays unencrypted`);
    }
  }
  const block = properties.PublicAccessBlockConfiguration as Record<string, boolean> | undefined;
  if (block) {
    await s3.send(new PutPublicAccessBlockCommand({ Bucket: name, PublicAccessBlockConfiguration: block }));
  }
  const lifecycle = properties.LifecycleConfiguration as
    | { Rules: Array<Record<string, unknown>> }
    | undefined;
  if (lifecycle) {
    await s3.send(
      new PutBucketLifecycleConfigurationCommand({
        Bucket: name,
        LifecycleConfiguration: { Rules: lifecycle.Rules.map(lifecycleRule) },
      }),
    );
  }
}

/** CloudFormation spells lifecycle rules differently from the S3 API; translate the parts we use. */
function lifecycleRule(rule: Record<string, unknown>) {
  const transitions = (rule.Transitions as Array<{ StorageClass: string; TransitionInDays: number }>) ?? [];
  const noncurrent =
    (rule.NoncurrentVersionTransitions as Array<{ StorageClass: string; TransitionInDays: number }>) ?? [];
  const abort = rule.AbortIncompleteMultipartUpload as { DaysAfterInitiation: number } | undefined;
  const expirationDays = rule.ExpirationInDays as number | undefined;
  return {
    ID: rule.Id as string | undefined,
    Status: rule.Status as 'Enabled' | 'Disabled',
    Filter: lifecycleFilter(
      (rule.Prefix as string | undefined) ?? '',
      (rule.TagFilters as Array<{ Key: string; Value: string }> | undefined) ?? [],
    ),
    // S3 rejects empty lists, so each part appears only when the rule has it.
    ...(transitions.length > 0
      ? {
          Transitions: transitions.map((t) => ({
            StorageClass: t.StorageClass as never,
            Days: t.TransitionInDays,
          })),
        }
      : {}),
    ...(noncurrent.length > 0
      ? {
          NoncurrentVersionTransitions: noncurrent.map((t) => ({
            StorageClass: t.StorageClass as never,
            NoncurrentDays: t.TransitionInDays,
          })),
        }
      : {}),
    ...(expirationDays ? { Expiration: { Days: expirationDays } } : {}),
    ...(abort ? { AbortIncompleteMultipartUpload: { DaysAfterInitiation: abort.DaysAfterInitiation } } : {}),
  };
}

/** A rule's filter in the S3 API's shape: a prefix, one tag, or both under `And`. */
function lifecycleFilter(prefix: string, tags: Array<{ Key: string; Value: string }>) {
  if (tags.length === 0) return { Prefix: prefix };
  if (tags.length === 1 && !prefix) return { Tag: tags[0] };
  return { And: { ...(prefix ? { Prefix: prefix } : {}), Tags: tags } };
}

function localFunction(
  logicalId: string,
  resource: CfnResource,
  physical: PhysicalResource,
  properties: Record<string, unknown>,
): LocalFunction {
  const entry = resource.Metadata?.['tidemark:entry'];
  if (typeof entry !== 'string') throw new Error(`function ${logicalId} has no tidemark:entry metadata`);
  const environment =
    (properties.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {};
  return {
    logicalId,
    name: physical.ref,
    arn: String(physical.attributes.Arn),
    entry,
    environment: Object.fromEntries(Object.entries(environment).map(([key, value]) => [key, String(value)])),
    timeoutSeconds: Number(properties.Timeout ?? 3),
  };
}
