/**
 * Synthesizes the Tidemark stack in-process with bundling off (placeholder
 * assets, a second or so) and caches the template per context, so the infra
 * suites share one synthesis.
 */
import { Template } from 'aws-cdk-lib/assertions';
import { buildApp } from '../../infra/build-stack.js';

const cache = new Map<string, { template: Template; json: CfnTemplate }>();

export interface CfnResource {
  Type: string;
  Properties?: Record<string, unknown>;
  Metadata?: Record<string, unknown>;
  DeletionPolicy?: string;
  UpdateReplacePolicy?: string;
}

export interface CfnTemplate {
  Resources: Record<string, CfnResource>;
  Outputs?: Record<string, unknown>;
}

export function synth(context: Record<string, unknown> = {}) {
  const key = JSON.stringify(context);
  let entry = cache.get(key);
  if (!entry) {
    const { stack } = buildApp({ bundling: false, nag: false, context });
    const template = Template.fromStack(stack);
    entry = { template, json: template.toJSON() as CfnTemplate };
    cache.set(key, entry);
  }
  return entry;
}

/** Resources of one type, by logical id. */
export function resourcesOf(json: CfnTemplate, type: string): [string, CfnResource][] {
  return Object.entries(json.Resources).filter(([, resource]) => resource.Type === type);
}

export function onlyResource(json: CfnTemplate, type: string, idPrefix = ''): [string, CfnResource] {
  const found = resourcesOf(json, type).filter(([id]) => id.startsWith(idPrefix));
  if (found.length !== 1) throw new Error(`expected one ${type} starting ${idPrefix}, found ${found.length}`);
  return found[0] as [string, CfnResource];
}

/** A property the test relies on; a missing one fails with its name rather than a TypeError. */
export function propertyOf<T>(resource: CfnResource, name: string): T {
  const value = resource.Properties?.[name];
  if (value === undefined) throw new Error(`${resource.Type} has no ${name}`);
  return value as T;
}
