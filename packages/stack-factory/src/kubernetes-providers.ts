import { DataAwsEksCluster } from '@cdktf/provider-aws/lib/data-aws-eks-cluster';
import { HelmProvider } from '@cdktf/provider-helm/lib/provider';
import { type EnvironmentConfig } from '@platform/config';
import { Fn, Token } from 'cdktf';
import { AWS_ROLE_VARIABLE, awsRoleVariable, type EnvironmentStack } from './environment-stack';

/** Exec credential API version that `aws eks get-token` prints. */
export const EKS_EXEC_API_VERSION = 'client.authentication.k8s.io/v1beta1';

/**
 * The command the providers run for a short-lived cluster token: `aws eks get-token` for the
 * environment's cluster, as the role Terraform itself assumes (`aws_role_arn`; none when it is empty). No static credential or
 * kubeconfig is ever written to the configuration or the state.
 */
export function eksTokenCommand(env: EnvironmentConfig): { readonly command: string; readonly args: string[] } {
  const base = ['eks', 'get-token', '--cluster-name', env.cluster.name, '--region', env.aws.region, '--output', 'json'];
  // `--role-arn` only when a role is to be assumed: the same variable as the AWS provider's assume_role.
  // Written as a Terraform expression (cdktf's Op renders "" and 0 literals as `undefined`).
  const role = `var.${AWS_ROLE_VARIABLE}`;
  const args = Token.asList(`\${concat(${JSON.stringify(base)}, ${role} == "" ? [] : ["--role-arn", ${role}])}`);
  return { command: 'aws', args };
}

const helmProviders = new WeakMap<EnvironmentStack, HelmProvider>();

/**
 * The Helm provider for the environment's EKS cluster, added to `stack` once (later calls return the
 * same provider). The endpoint and CA come from the `aws_eks_cluster` data source; authentication is
 * the exec plugin of `eksTokenCommand`. Stacks get their cluster providers here, never build their own.
 */
export function addHelmProvider(stack: EnvironmentStack): HelmProvider {
  const existing = helmProviders.get(stack);
  if (existing) return existing;
  if (!stack.awsProvider) {
    throw new Error(
      `stack "${stack.node.id}" has no AWS provider (the stack factory options omit it) — the Helm provider reads the EKS cluster through it`
    );
  }
  const env = stack.env;
  const cluster = new DataAwsEksCluster(stack, 'eks_cluster', { name: env.cluster.name });
  awsRoleVariable(stack, env); // the variable the token command refers to
  const { command, args } = eksTokenCommand(env);
  const provider = new HelmProvider(stack, 'helm', {
    kubernetes: {
      host: cluster.endpoint,
      clusterCaCertificate: Fn.base64decode(cluster.certificateAuthority.get(0).data),
      exec: { apiVersion: EKS_EXEC_API_VERSION, command, args },
    },
  });
  helmProviders.set(stack, provider);
  return provider;
}
