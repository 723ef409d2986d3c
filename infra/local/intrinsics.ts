/**
 * Resolves CloudFormation intrinsic functions in a synthesized template to
 * the local cloud's physical names, the way CloudFormation would on deploy:
 * Ref, Fn::GetAtt, Fn::Join, Fn::Sub, Fn::Select, Fn::Split and the pseudo
 * parameters. Anything else is an error that names the function, so an
 * unsupported construct shows up at start-up rather than as a wrong value.
 */

export interface PhysicalResource {
  /** What `Ref` returns. */
  ref: string;
  /** What `Fn::GetAtt` returns, by attribute name. */
  attributes: Record<string, string>;
}

export interface ResolveContext {
  region: string;
  accountId: string;
  resources: Record<string, PhysicalResource>;
}

const PSEUDO: Record<string, (context: ResolveContext) => string> = {
  'AWS::Region': (context) => context.region,
  'AWS::AccountId': (context) => context.accountId,
  'AWS::Partition': () => 'aws',
  'AWS::URLSuffix': () => 'amazonaws.com',
  'AWS::StackName': () => 'Tidemark',
  'AWS::NoValue': () => '',
};

export function resolveIntrinsics(value: unknown, context: ResolveContext): unknown {
  if (Array.isArray(value)) return value.map((item) => resolveIntrinsics(item, context));
  if (value === null || typeof value !== 'object') return value;
  const entries = Object.entries(value);
  const [first] = entries;
  if (entries.length === 1 && first && (first[0] === 'Ref' || first[0].startsWith('Fn::'))) {
    return resolveFunction(first[0], first[1], context);
  }
  return Object.fromEntries(entries.map(([key, item]) => [key, resolveIntrinsics(item, context)]));
}

function resolveFunction(name: string, argument: unknown, context: ResolveContext): unknown {
  switch (name) {
    case 'Ref':
      return ref(String(argument), context);
    case 'Fn::GetAtt': {
      const [logicalId, attribute] = Array.isArray(argument) ? argument : String(argument).split('.');
      return getAtt(String(logicalId), String(attribute), context);
    }
    case 'Fn::Join': {
      const [separator, parts] = argument as [string, unknown[]];
      return (resolveIntrinsics(parts, context) as unknown[]).map(String).join(separator);
    }
    case 'Fn::Sub':
      return sub(argument, context);
    case 'Fn::Select': {
      const [index, list] = argument as [unknown, unknown];
      return (resolveIntrinsics(list, context) as unknown[])[Number(resolveIntrinsics(index, context))];
    }
    case 'Fn::Split': {
      const [separator, source] = argument as [string, unknown];
      return String(resolveIntrinsics(source, context)).split(separator);
    }
    default:
      throw new Error(`the local cloud cannot resolve ${name} in the template`);
  }
}

function ref(name: string, context: ResolveContext): string {
  const pseudo = PSEUDO[name];
  if (pseudo) return pseudo(context);
  const resource = context.resources[name];
  if (!resource) throw new Error(`the template refers to ${name}, which the local cloud has not created`);
  return resource.ref;
}

function getAtt(logicalId: string, attribute: string, context: ResolveContext): string {
  const resource = context.resources[logicalId];
  const value = resource?.attributes[attribute];
  if (value === undefined) {
    throw new Error(`the local cloud has no attribute ${attribute} for ${logicalId}`);
  }
  return value;
}

function sub(argument: unknown, context: ResolveContext): string {
  const [template, variables] = Array.isArray(argument)
    ? (argument as [string, Record<string, unknown>])
    : [String(argument), {}];
  const resolvedVariables = resolveIntrinsics(variables, context) as Record<string, unknown>;
  return template.replace(/\$\{([^}]+)\}/g, (_, expression: string) => {
    if (expression in resolvedVariables) return String(resolvedVariables[expression]);
    const [logicalId, attribute] = expression.split('.');
    if (attribute && logicalId) return getAtt(logicalId, attribute, context);
    return ref(expression, context);
  });
}
