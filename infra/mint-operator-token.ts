/**
 * Mints an operator credential in a deployed stack's table, for the first
 * operator after `cdk deploy`. Uses the caller's AWS credentials; prints the
 * secret once (only its hash is stored).
 *
 *   npx tsx infra/mint-operator-token.ts <table-name> <operator-name> <viewer|operator|admin> [host,host,…]
 *
 * The optional host list limits the hosts the credential may submit jobs for.
 */
import { ENV } from '../core/environment.js';
import { OperatorRole } from '../core/principal.js';
import { HostScopeNames, storeHostScope } from '../functions/api/jobs/operator-scope.js';
import { mintCredential } from '../functions/repositories/credentials.js';

const [table, name, role, hostList] = process.argv.slice(2);
const parsedRole = OperatorRole.safeParse(role);
const parsedHosts = hostList === undefined ? undefined : HostScopeNames.safeParse(hostList.split(','));
if (
  !table ||
  !name ||
  !/^[\w.@-]{1,64}$/.test(name) ||
  !parsedRole.success ||
  parsedHosts?.success === false
) {
  console.error(
    'usage: npx tsx infra/mint-operator-token.ts <table-name> <operator-name> <viewer|operator|admin> [host,host,…]',
  );
  process.exit(2);
}
process.env[ENV.tableName] = table;
const token = await mintCredential(
  { principalType: 'operator', principalId: `operator:${name}`, role: parsedRole.data },
  `${name} (minted by mint-operator-token)`,
);
if (parsedHosts?.data) await storeHostScope(token, parsedHosts.data);
console.log(token);
