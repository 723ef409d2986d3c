/**
 * Synthesizes the real CDK stack in-process (no Lambda bundling, no cdk-nag:
 * the local cloud runs handler modules directly) and returns its
 * CloudFormation template, the one description every local resource is
 * created from.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { buildApp, STACK_NAME } from '../build-stack.js';

export interface CfnResource {
  Type: string;
  Properties?: Record<string, unknown>;
  Metadata?: Record<string, unknown>;
  DependsOn?: string | string[];
}

export interface CfnTemplate {
  Resources: Record<string, CfnResource>;
  Outputs?: Record<string, { Value: unknown }>;
}

export function synthesizeTemplate(context: Record<string, unknown> = {}): CfnTemplate {
  const outdir = mkdtempSync(path.join(tmpdir(), 'tidemark-synth-'));
  try {
    const { app } = buildApp({ bundling: false, nag: false, context, outdir });
    return app.synth().getStackByName(STACK_NAME).template as CfnTemplate;
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}
