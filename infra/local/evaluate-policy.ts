/**
 * Evaluates an authorizer's policy document against a method ARN the way API
 * Gateway does for execute-api:Invoke: an explicit Deny wins, then any Allow
 * whose resource pattern matches (`*` matches any run of characters, `?` one).
 */
import type { PolicyDocument, Statement } from 'aws-lambda';

export function isAllowed(policy: PolicyDocument, methodArn: string): boolean {
  const matching = policy.Statement.filter((statement) => appliesTo(statement, methodArn));
  if (matching.some((statement) => statement.Effect === 'Deny')) return false;
  return matching.some((statement) => statement.Effect === 'Allow');
}

function appliesTo(statement: Statement, methodArn: string): boolean {
  const actions = 'Action' in statement ? [statement.Action].flat() : [];
  if (
    !actions.some((action) => action === '*' || action === 'execute-api:Invoke' || action === 'execute-api:*')
  ) {
    return false;
  }
  const resources = 'Resource' in statement ? [statement.Resource].flat() : [];
  return resources.some((pattern) => wildcard(String(pattern)).test(methodArn));
}

function wildcard(pattern: string): RegExp {
  const escaped = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${escaped}$`);
}
