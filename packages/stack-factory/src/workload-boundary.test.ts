import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { environmentFixture, firstEnvironment, resourcesOf, synthJson } from '@platform/testing';
import { App } from 'cdktf';
import { type Construct } from 'constructs';
import { EnvironmentStack } from './environment-stack';

class RolesStack extends EnvironmentStack {
  constructor(scope: Construct, build: (s: RolesStack) => void) {
    super(scope, environmentFixture(firstEnvironment(), {}, 'boundaryenv'), 'roles');
    build(this);
  }
}

const trust = JSON.stringify({ Version: '2012-10-17', Statement: [] });

describe('WorkloadBoundary (every role of an environment stack carries the workload permissions boundary)', () => {
  test('GIVEN roles in an environment stack WHEN synthesized THEN each has the environment\'s boundary; one that sets its own keeps it', () => {
    const stack = new RolesStack(new App(), (s) => {
      new IamRole(s, 'Plain', { name: 'a-boundaryenv-workload', assumeRolePolicy: trust });
      new IamRole(s, 'Own', { name: 'b-boundaryenv-workload', assumeRolePolicy: trust, permissionsBoundary: 'arn:aws:iam::111111111111:policy/narrower' });
    });
    const roles = Object.values(resourcesOf(synthJson(stack), 'aws_iam_role'));
    expect(roles.map((r) => [r.name, r.permissions_boundary]).sort()).toEqual([
      ['a-boundaryenv-workload', 'arn:aws:iam::111111111111:policy/platform-ci-boundaryenv-workload-boundary'],
      ['b-boundaryenv-workload', 'arn:aws:iam::111111111111:policy/narrower'],
    ]);
  });
});
