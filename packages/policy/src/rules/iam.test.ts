import { DataAwsIamPolicyDocument } from '@cdktf/provider-aws/lib/data-aws-iam-policy-document';
import { awsTestStack } from '@platform/testing';
import { type TerraformStack } from 'cdktf';
import { evaluateStack } from '../aspect';

const GITHUB = 'token.actions.githubusercontent.com';

function trustFindings(sub: { test: string; values: string[] }): string[] {
  const stack: TerraformStack = awsTestStack('probe');
  new DataAwsIamPolicyDocument(stack, 'Trust', {
    statement: [
      {
        actions: ['sts:AssumeRoleWithWebIdentity'],
        principals: [{ type: 'Federated', identifiers: [`arn:aws:iam::123456789012:oidc-provider/${GITHUB}`] }],
        condition: [
          { test: sub.test, variable: `${GITHUB}:sub`, values: sub.values },
          { test: 'StringEquals', variable: `${GITHUB}:aud`, values: ['sts.amazonaws.com'] },
        ],
      },
    ],
  });
  return evaluateStack(stack).filter((v) => v.rule === 'IAM-003').map((v) => v.message);
}

describe('IAM-003 with GitHub Actions subjects', () => {
  test.each([
    ['a pull request', 'repo:example-org/example-repo:pull_request'],
    ['a deployment environment', 'repo:example-org/example-repo:environment:someenv-plan'],
  ])('GIVEN a trust on exactly %s THEN it passes', (_label, subject) => {
    expect(trustFindings({ test: 'StringEquals', values: [subject] })).toEqual([]);
  });

  test.each([
    ['a wildcard subject with StringLike', { test: 'StringLike', values: ['repo:example-org/example-repo:*'] }],
    ['a wildcard inside StringEquals', { test: 'StringEquals', values: ['repo:example-org/*:pull_request'] }],
    ['a branch ref (no environment protection)', { test: 'StringEquals', values: ['repo:example-org/example-repo:ref:refs/heads/main'] }],
    ['two subjects', { test: 'StringEquals', values: ['repo:example-org/example-repo:pull_request', 'repo:example-org/example-repo:environment:x'] }],
  ])('GIVEN %s THEN it is reported', (_label, sub) => {
    expect(trustFindings(sub)).toEqual([expect.stringMatching(/^web-identity trust is not scoped to exactly one GitHub subject/)]);
  });
});
