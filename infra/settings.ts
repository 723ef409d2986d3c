/**
 * Deployment settings read from CDK context (cdk.json, or `-c key=value` on
 * the command line, where values arrive as strings). Checked here, at synth
 * time, so a bad value fails before CloudFormation sees it.
 */
import type { Construct } from 'constructs';

export interface TidemarkSettings {
  /** Days before media objects (current and noncurrent versions) move to Glacier Flexible Retrieval. */
  glacierAfterDays: number;
  /** Days before media objects move to Glacier Deep Archive. */
  deepArchiveAfterDays: number;
  /** Create the media bucket with S3 Object Lock, for immutable retention. */
  objectLock: boolean;
}

export const SETTING_KEYS = {
  glacierAfterDays: 'tidemark:glacierAfterDays',
  deepArchiveAfterDays: 'tidemark:deepArchiveAfterDays',
  objectLock: 'tidemark:objectLock',
} as const;

export const DEFAULT_SETTINGS: TidemarkSettings = {
  glacierAfterDays: 30,
  deepArchiveAfterDays: 180,
  objectLock: false,
};

/** S3 refuses a DEEP_ARCHIVE transition less than 90 days after the GLACIER one. */
const GLACIER_MINIMUM_DAYS = 90;

export function readSettings(scope: Construct): TidemarkSettings {
  const glacierAfterDays = days(scope, SETTING_KEYS.glacierAfterDays, DEFAULT_SETTINGS.glacierAfterDays);
  const deepArchiveAfterDays = days(
    scope,
    SETTING_KEYS.deepArchiveAfterDays,
    DEFAULT_SETTINGS.deepArchiveAfterDays,
  );
  if (deepArchiveAfterDays < glacierAfterDays + GLACIER_MINIMUM_DAYS) {
    throw new Error(
      `${SETTING_KEYS.deepArchiveAfterDays} (${deepArchiveAfterDays}) must be at least ${GLACIER_MINIMUM_DAYS} days after ${SETTING_KEYS.glacierAfterDays} (${glacierAfterDays}): S3 keeps objects in Glacier that long first`,
    );
  }
  return {
    glacierAfterDays,
    deepArchiveAfterDays,
    objectLock: flag(scope, SETTING_KEYS.objectLock, DEFAULT_SETTINGS.objectLock),
  };
}

function days(scope: Construct, key: string, fallback: number): number {
  const raw: unknown = scope.node.tryGetContext(key);
  if (raw === undefined) return fallback;
  const value = typeof raw === 'string' ? Number(raw) : raw;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new Error(`context ${key} must be a whole number of days (at least 1), got ${JSON.stringify(raw)}`);
  }
  return value;
}

function flag(scope: Construct, key: string, fallback: boolean): boolean {
  const raw: unknown = scope.node.tryGetContext(key);
  if (raw === undefined) return fallback;
  if (raw === true || raw === 'true') return true;
  if (raw === false || raw === 'false') return false;
  throw new Error(`context ${key} must be true or false, got ${JSON.stringify(raw)}`);
}
