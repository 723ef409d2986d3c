/**
 * Builds the CDK app and the Tidemark stack without synthesizing or writing
 * anything, so infra/app.ts, the tests and the local cloud all get the very
 * same stack in-process.
 */
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { TidemarkStack } from './tidemark-stack.js';

export const STACK_NAME = 'Tidemark';

export interface BuildAppOptions {
  /**
   * Run esbuild for the Lambda bundles (default true). Off, assets are
   * placeholders and synthesis takes a few seconds: enough for tests and the
   * local cloud, which run the handler modules directly.
   */
  bundling?: boolean;
  /** Extra context, e.g. `{ 'tidemark:glacierAfterDays': 45 }`; cdk.json and `-c` still apply. */
  context?: Record<string, unknown>;
  /** Run the AwsSolutions cdk-nag pack when the app synthesizes (default true). */
  nag?: boolean;
  /** Record the reviewed cdk-nag acknowledgements (default true). */
  acknowledgeNagFindings?: boolean;
  /** Cloud assembly directory (default: the CLI's, or a temporary one). */
  outdir?: string;
}

/** Feature flags the stack relies on, whatever cdk.json says. */
const FEATURE_FLAGS = {
  // Grant S3 log delivery by bucket policy, not the legacy ACL (the log bucket has ACLs disabled).
  '@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy': true,
};

export function buildApp(options: BuildAppOptions = {}) {
  const app = new App({
    outdir: options.outdir,
    context: { ...options.context },
    // Applied after the CLI's context, so these win over it.
    postCliContext: {
      ...FEATURE_FLAGS,
      ...(options.bundling === false ? { 'aws:cdk:bundling-stacks': [] } : {}),
    },
  });
  const stack = new TidemarkStack(app, STACK_NAME, {
    description: 'Tidemark: replication and backup control plane',
    acknowledgeNagFindings: options.acknowledgeNagFindings,
  });
  // cdk-nag 3 is a policy-validation plugin: any finding not acknowledged fails synthesis.
  if (options.nag ?? true) Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
  return { app, stack };
}
