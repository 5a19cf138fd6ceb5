// Resolves every function's `vpc` from the vpcSubnetIds / vpcSecurityGroupIds params
// (comma-separated IDs): the VPC config when both are set, `false` (no VPC) when neither is.
// A Serverless Framework file resolver, so a bad value stops `sls package` with a message
// instead of reaching CloudFormation. CommonJS: the framework loads resolvers with require.
'use strict';

const SUBNET_ID = /^subnet-[0-9a-f]{8}(?:[0-9a-f]{9})?$/;
const SECURITY_GROUP_ID = /^sg-[0-9a-f]{8}(?:[0-9a-f]{9})?$/;
/** Lambda's limits for one function's VPC config. */
const MAX_SUBNETS = 16;
const MAX_SECURITY_GROUPS = 5;

/** The IDs of a comma-separated param, checked against their pattern and Lambda's limit. */
function idList(param, text, pattern, max) {
  const ids = String(text ?? '').split(',').map((id) => id.trim()).filter((id) => id !== '');
  const bad = ids.filter((id) => !pattern.test(id));
  if (bad.length > 0) throw new Error(`param ${param}: ${bad.join(', ')} ${bad.length === 1 ? 'is not an ID' : 'are not IDs'} of the form ${pattern.source}`);
  if (ids.length > max) throw new Error(`param ${param}: ${ids.length} IDs, Lambda allows at most ${max}`);
  return ids;
}

/** The function VPC config for the given param values, or false for none. */
function functionVpc(subnetText, securityGroupText) {
  const subnetIds = idList('vpcSubnetIds', subnetText, SUBNET_ID, MAX_SUBNETS);
  const securityGroupIds = idList('vpcSecurityGroupIds', securityGroupText, SECURITY_GROUP_ID, MAX_SECURITY_GROUPS);
  if (subnetIds.length === 0 && securityGroupIds.length === 0) return false;
  if (subnetIds.length === 0 || securityGroupIds.length === 0) {
    throw new Error('params vpcSubnetIds and vpcSecurityGroupIds go together: set both (a VPC) or neither (no VPC)');
  }
  return { subnetIds, securityGroupIds };
}

module.exports = async ({ resolveVariable }) =>
  functionVpc(await resolveVariable('param:vpcSubnetIds'), await resolveVariable('param:vpcSecurityGroupIds'));
module.exports.functionVpc = functionVpc;
