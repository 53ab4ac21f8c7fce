import { DataAwsIamPolicyDocument } from '@cdktf/provider-aws/lib/data-aws-iam-policy-document';
import { type Construct } from 'constructs';

/** One Kubernetes service account that may assume an IAM role through the cluster's OIDC provider (IRSA). */
export interface IrsaSubject {
  /** ARN of the cluster's IAM OIDC provider. */
  readonly oidcProviderArn: string;
  /** The issuer without `https://`, e.g. `oidc.eks.eu-west-1.amazonaws.com/id/ABC123`. */
  readonly oidcIssuer: string;
  /** Namespace of the service account. */
  readonly namespace: string;
  /** Name of the service account. */
  readonly serviceAccount: string;
}

/**
 * The trust policy of an IRSA role: `sts:AssumeRoleWithWebIdentity` for exactly one service account
 * (`StringEquals` on the full `system:serviceaccount:<namespace>:<name>` subject, never a wildcard) with
 * the STS audience. The one place this statement is written; every IRSA role in the platform uses it.
 */
export function irsaTrustPolicy(scope: Construct, id: string, subject: IrsaSubject, sid = 'ServiceAccountWebIdentity'): DataAwsIamPolicyDocument {
  return new DataAwsIamPolicyDocument(scope, id, {
    statement: [
      {
        sid,
        effect: 'Allow',
        actions: ['sts:AssumeRoleWithWebIdentity'],
        principals: [{ type: 'Federated', identifiers: [subject.oidcProviderArn] }],
        condition: [
          { test: 'StringEquals', variable: `${subject.oidcIssuer}:sub`, values: [`system:serviceaccount:${subject.namespace}:${subject.serviceAccount}`] },
          { test: 'StringEquals', variable: `${subject.oidcIssuer}:aud`, values: ['sts.amazonaws.com'] },
        ],
      },
    ],
  });
}
