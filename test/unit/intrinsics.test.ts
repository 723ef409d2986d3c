import { describe, expect, it } from 'vitest';
import { resolveIntrinsics } from '../../infra/local/intrinsics.js';

const context = {
  region: 'us-east-1',
  accountId: '000000000000',
  resources: {
    Table: { ref: 'tm-Table', attributes: { Arn: 'arn:aws:dynamodb:us-east-1:000000000000:table/tm-Table' } },
    Fn: { ref: 'tm-Fn', attributes: { Arn: 'arn:aws:lambda:us-east-1:000000000000:function:tm-Fn' } },
  },
};

describe('template intrinsics', () => {
  it('resolves Ref, GetAtt, Join, Sub and pseudo parameters, deep inside values', () => {
    const value = {
      a: { Ref: 'Table' },
      b: { 'Fn::GetAtt': ['Fn', 'Arn'] },
      c: { 'Fn::Join': ['', ['{"Resource":"', { 'Fn::GetAtt': ['Fn', 'Arn'] }, '"}']] },
      // biome-ignore lint/suspicious/noTemplateCurlyInString: CloudFormation's Fn::Sub syntax, not a JS template.
      d: { 'Fn::Sub': 'arn:${AWS::Partition}:s3:::${Table}/${Fn.Arn}' },
      e: [{ 'Fn::Select': [1, { 'Fn::Split': [',', 'x,y,z'] }] }],
    };
    expect(resolveIntrinsics(value, context)).toEqual({
      a: 'tm-Table',
      b: 'arn:aws:lambda:us-east-1:000000000000:function:tm-Fn',
      c: '{"Resource":"arn:aws:lambda:us-east-1:000000000000:function:tm-Fn"}',
      d: 'arn:aws:s3:::tm-Table/arn:aws:lambda:us-east-1:000000000000:function:tm-Fn',
      e: ['y'],
    });
  });

  it('names what it cannot resolve', () => {
    expect(() => resolveIntrinsics({ Ref: 'Missing' }, context)).toThrow(/Missing/);
    expect(() => resolveIntrinsics({ 'Fn::GetAtt': ['Table', 'StreamArn'] }, context)).toThrow(/StreamArn/);
    expect(() => resolveIntrinsics({ 'Fn::ImportValue': 'x' }, context)).toThrow(/Fn::ImportValue/);
  });
});
