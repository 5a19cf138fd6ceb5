// The serverless.yml resolver of every function's `vpc` (resources/function-vpc.cjs).
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';

type FunctionVpc = (subnets: string, securityGroups: string) => false | { subnetIds: string[]; securityGroupIds: string[] };
const { functionVpc } = createRequire(import.meta.url)('../../../resources/function-vpc.cjs') as { functionVpc: FunctionVpc };

describe('functionVpc', () => {
  it('is false (no VPC) when neither param is set', () => {
    expect(functionVpc('', '')).toBe(false);
    expect(functionVpc(' , ', '')).toBe(false);
  });

  it('splits, trims and keeps both lists when both are set', () => {
    expect(functionVpc('subnet-0a1b2c3d, subnet-4e5f6a7b8c9d0e1f2', 'sg-0123abcd')).toEqual({
      subnetIds: ['subnet-0a1b2c3d', 'subnet-4e5f6a7b8c9d0e1f2'],
      securityGroupIds: ['sg-0123abcd'],
    });
  });

  it('refuses one without the other, saying both go together', () => {
    expect(() => functionVpc('subnet-0a1b2c3d', '')).toThrow(/vpcSubnetIds and vpcSecurityGroupIds go together/);
    expect(() => functionVpc('', 'sg-0123abcd')).toThrow(/go together/);
  });

  it("names an ID that is not one, and a list past Lambda's limits", () => {
    expect(() => functionVpc('subnet-xyz', 'sg-0123abcd')).toThrow(/param vpcSubnetIds: subnet-xyz is not an ID/);
    expect(() => functionVpc('subnet-0a1b2c3d', 'sg-0123abcd,vpc-0123abcd')).toThrow(/param vpcSecurityGroupIds: vpc-0123abcd is not an ID/);
    const seventeen = Array.from({ length: 17 }, (_, i) => `subnet-${String(i).padStart(8, '0')}`).join(',');
    expect(() => functionVpc(seventeen, 'sg-0123abcd')).toThrow(/17 IDs, Lambda allows at most 16/);
  });
});
