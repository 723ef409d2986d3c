/**
 * cdk-nag (AwsSolutions pack, cdk-nag 3): the stack has no finding left but
 * those acknowledged in infra/nag-suppressions.ts, and every
 * acknowledgement still matches a finding, so none outlives its reason.
 */
import { Stack, Validations } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { describe, expect, it } from 'vitest';
import { buildApp } from '../../infra/build-stack.js';

interface Finding {
  rule: string;
  severity: string;
  path: string;
}

function findings(scope: IConstruct): Finding[] {
  const report = new AwsSolutionsChecks(undefined, { verbose: true }).validateScope(scope);
  return report.violations.flatMap((violation) =>
    violation.violatingResources.map((resource) => ({
      rule: violation.ruleName,
      severity: violation.severity ?? 'error',
      path: resource.constructPath ?? '?',
    })),
  );
}

const describeFindings = (list: Finding[]) =>
  list.map((finding) => `${finding.severity} ${finding.rule} at ${finding.path}`).join('\n');

describe('cdk-nag AwsSolutions', () => {
  it('reports no unacknowledged error or warning', () => {
    const { app } = buildApp({ bundling: false, nag: false });
    const left = findings(app);
    const errors = left.filter((finding) => finding.severity === 'error');
    const warnings = left.filter((finding) => finding.severity !== 'error');
    expect(describeFindings(errors)).toBe('');
    expect(describeFindings(warnings)).toBe('');
  });

  it('has a specific reason and a live finding for every acknowledgement', () => {
    const { app } = buildApp({ bundling: false, nag: false });
    const raw = findings(buildApp({ bundling: false, nag: false, acknowledgeNagFindings: false }).app);
    expect(raw.length).toBeGreaterThan(0);

    const acknowledgements = app.node.findAll().flatMap((construct) =>
      construct.node.metadata
        .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
        .flatMap((entry) =>
          Object.entries(entry.data as Record<string, string>).map(([id, reason]) => ({
            id: id.replace(/^annotation::/i, ''),
            reason,
            path: construct.node.path,
          })),
        ),
    );
    expect(acknowledgements.length).toBeGreaterThan(0);
    const stale = acknowledgements.filter(
      (ack) =>
        !raw.some((finding) => finding.rule === ack.id && `${finding.path}/`.startsWith(`${ack.path}/`)),
    );
    expect(stale.map((ack) => `${ack.id} at ${ack.path}`)).toEqual([]);
    for (const ack of acknowledgements)
      expect(ack.reason.length, `${ack.id} at ${ack.path}`).toBeGreaterThan(60);
  });

  it('still catches findings (an unencrypted, unlogged bucket without TLS enforcement)', () => {
    const { app } = buildApp({ bundling: false, nag: false });
    const probe = new Stack(app, 'Probe');
    new s3.Bucket(probe, 'Loose', { enforceSSL: false });
    const rules = findings(probe).map((finding) => finding.rule);
    expect(rules).toEqual(expect.arrayContaining(['AwsSolutions-S1', 'AwsSolutions-S10']));
  });

  it('runs during synthesis: stops the stack with a finding, lets it through without', () => {
    expect(() => buildApp({ bundling: false, acknowledgeNagFindings: false }).app.synth()).toThrow(
      /AwsSolutions-IAM5/,
    );
    expect(() => buildApp({ bundling: false }).app.synth()).not.toThrow();
  });
});
