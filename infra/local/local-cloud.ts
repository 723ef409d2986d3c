/**
 * The whole local cloud in one call: moto for the AWS services it serves,
 * resources created from the synthesized template, the state machines in
 * the local Step Functions service, and the API on the local gateway. All on
 * free loopback ports; `stop()` takes every piece down (moto also exits on
 * its own if this process dies).
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Principal } from '../../core/principal.js';
import { storeHostScope } from '../../functions/api/jobs/operator-scope.js';
import { mintCredential } from '../../functions/repositories/credentials.js';
import { type RunningApi, startApiServer } from './api-server.js';
import { LocalLambdas } from './local-lambdas.js';
import { type Moto, startMoto } from './moto.js';
import { LOCAL_ACCOUNT, type Provisioned, provision } from './provision.js';
import { ensurePythonEnv } from './python-env.js';
import { LocalStepFunctions } from './step-functions/local-step-functions.js';
import { type RunningSfnService, startSfnService } from './step-functions/sfn-http-service.js';
import { synthesizeTemplate } from './synthesize.js';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface LocalCloudOptions {
  /** Prefix of every physical name; a random one keeps parallel clouds apart. */
  prefix?: string;
  apiPort?: number;
  /** CDK context for the synthesized stack (e.g. lifecycle days). */
  context?: Record<string, unknown>;
  log?: (line: string) => void;
}

export interface OperatorTokenOptions {
  name?: string;
  /** Host names the credential may see and act on; absent means all. */
  hosts?: string[];
}

export interface LocalCloud {
  apiUrl: string;
  sfnUrl: string;
  motoUrl: string;
  /** What an AWS SDK client (or the CLI) needs to reach this cloud. */
  env: Record<string, string>;
  provisioned: Provisioned;
  stepFunctions: LocalStepFunctions;
  lambdas: LocalLambdas;
  /**
   * Mints an operator credential; only its hash is stored. A name (string)
   * or options: `hosts` limits the hosts the credential may submit jobs for.
   */
  mintOperatorToken(
    role: 'viewer' | 'operator' | 'admin',
    options?: string | OperatorTokenOptions,
  ): Promise<string>;
  stop(): Promise<void>;
}

export async function startLocalCloud(options: LocalCloudOptions = {}): Promise<LocalCloud> {
  const log = options.log ?? (() => {});
  const prefix = options.prefix ?? `tm${randomBytes(3).toString('hex')}`;
  const stops: Array<() => Promise<void>> = [];
  const stop = async () => {
    for (const step of stops.reverse()) await step().catch(() => {});
  };

  try {
    const { python } = await ensurePythonEnv(REPO_ROOT, log);
    // One account for moto and for the ARNs the provisioner derives (topics, tables, roles).
    const moto: Moto = await startMoto(python, REPO_ROOT, { accountId: LOCAL_ACCOUNT });
    stops.push(moto.stop);
    const env: Record<string, string> = {
      AWS_ENDPOINT_URL: moto.url,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
    };
    Object.assign(process.env, env);

    const provisioned = await provision(synthesizeTemplate(options.context), prefix, log);
    const lambdas = new LocalLambdas(REPO_ROOT, provisioned.functions);
    Object.assign(process.env, lambdas.environment());

    const stepFunctions = new LocalStepFunctions({
      stateMachines: provisioned.stateMachines,
      invokeLambda: (arn, payload) => lambdas.invoke(arn, payload),
      log,
    });
    stops.push(() => stepFunctions.close());
    const sfn: RunningSfnService = await startSfnService(stepFunctions);
    stops.push(sfn.close);
    env.AWS_ENDPOINT_URL_SFN = sfn.url;
    process.env.AWS_ENDPOINT_URL_SFN = sfn.url;

    const api: RunningApi = await startApiServer(lambdas, { port: options.apiPort });
    stops.push(api.close);

    return {
      apiUrl: api.url,
      sfnUrl: sfn.url,
      motoUrl: moto.url,
      env,
      provisioned,
      stepFunctions,
      lambdas,
      mintOperatorToken: async (role, options) => {
        const { name = `local-${role}`, hosts } =
          typeof options === 'string' ? { name: options } : (options ?? {});
        const principal: Principal = { principalType: 'operator', principalId: `operator:${name}`, role };
        const token = await mintCredential(principal, `${name} (minted by the local cloud)`);
        if (hosts) await storeHostScope(token, hosts);
        return token;
      },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
