/**
 * Evaluates an IAM policy document for one request the way IAM does for the
 * parts Tidemark's policies use: an explicit Deny wins, else any Allow whose
 * Action and Resource patterns match (`*` any run, `?` one character) and
 * whose StringEquals / StringLike conditions all hold. moto does not enforce
 * session policies or conditions, so the media-credential tests evaluate the
 * issued policy with this instead; a key the request lacks fails its condition.
 */
import { ComponentGlob } from '../../core/file-index/glob.js';

export interface IamRequest {
  action: string;
  resource: string;
  /** Condition keys of the request, e.g. `s3:prefix`, `kms:EncryptionContext:<key>`, `kms:ViaService`. */
  context?: Record<string, string>;
}

interface Statement {
  Effect: 'Allow' | 'Deny';
  Action: string | string[];
  Resource: string | string[];
  Condition?: Record<string, Record<string, string | string[]>>;
}

export function iamAllows(policy: string | { Statement: Statement[] }, request: IamRequest): boolean {
  const document = typeof policy === 'string' ? (JSON.parse(policy) as { Statement: Statement[] }) : policy;
  const matching = document.Statement.filter((statement) => applies(statement, request));
  if (matching.some((statement) => statement.Effect === 'Deny')) return false;
  return matching.some((statement) => statement.Effect === 'Allow');
}

function applies(statement: Statement, request: IamRequest): boolean {
  const actions = [statement.Action].flat();
  const resources = [statement.Resource].flat();
  if (!actions.some((pattern) => matches(pattern, request.action, true))) return false;
  if (!resources.some((pattern) => matches(pattern, request.resource, false))) return false;
  return Object.entries(statement.Condition ?? {}).every(([operator, conditions]) =>
    Object.entries(conditions).every(([key, expected]) => {
      const actual = request.context?.[key];
      if (actual === undefined) return false;
      const values = [expected].flat();
      if (operator === 'StringEquals') return values.includes(actual);
      if (operator === 'StringLike') return values.some((pattern) => matches(pattern, actual, false));
      throw new Error(`condition operator ${operator} is not evaluated here`);
    }),
  );
}

/** IAM wildcards (`*`, `?`, crossing `/`) with the product's linear-time glob; actions ignore case, as IAM does. */
function matches(pattern: string, value: string, ignoreCase: boolean): boolean {
  if (ignoreCase) return new ComponentGlob(pattern.toLowerCase()).test(value.toLowerCase());
  return new ComponentGlob(pattern).test(value);
}
