import { DataAwsKmsAlias } from '@cdktf/provider-aws/lib/data-aws-kms-alias';
import { type EnvironmentConfig } from '@platform/config';
import { ServiceModule } from '@platform/service-module';
import { EnvironmentStack } from '@platform/stack-factory';
import { environmentKmsKeyAlias, oidcProviderArn } from '@platform/naming';
import { environmentKeyUses } from './bootstrap-stack';
import { type Construct } from 'constructs';

/** Stack name within an environment; the stack id is `<env>-services`, its state `<env>/services.tfstate`. */
export const SERVICES_STACK = 'services';

/** What other stacks and tools read from a services stack, per service name. */
export interface ServiceOutputs {
  readonly repositoryUrl: string;
  readonly roleArn: string;
  readonly logGroupName: string;
  readonly fqdn: string;
}

/** Every service of one environment: one ServiceModule per entry in the environment file's `services`. */
export class ServicesStack extends EnvironmentStack {
  /** The services of this environment, by name. */
  public readonly services: ReadonlyMap<string, ServiceOutputs>;
  /**
   * ARN of the environment's own KMS key for logs and images, when the environment file asks for one:
   * read by its alias (`alias/platform/<env>`) from the key `<env>-bootstrap` creates.
   */
  public readonly environmentKeyArn?: string;

  constructor(scope: Construct, env: EnvironmentConfig) {
    super(scope, env, SERVICES_STACK);
    const services = new Map<string, ServiceOutputs>();
    // The environment's own key, when logs or images ask for KMS without naming an external key. The
    // administrator-applied `<env>-bootstrap` creates it (BootstrapStack.environmentKeys); this stack only reads
    // it by alias (kms:ListAliases + kms:DescribeKey by alias name: the CI roles hold exactly that). The
    // key ARN, not the alias ARN, goes into the log groups (CloudWatch Logs requires a key ARN) and the
    // repositories (ECR resolves an alias but stores the key ARN, so an alias would replace them every plan).
    const ownKeyFor = environmentKeyUses(env);
    const key = ownKeyFor.logs || ownKeyFor.images ? new DataAwsKmsAlias(this, 'EnvironmentKey', { name: environmentKmsKeyAlias(env.name) }) : undefined;
    this.environmentKeyArn = key?.targetKeyArn;
    const logsKey = env.logs.kmsKeyArn ?? (ownKeyFor.logs ? key!.targetKeyArn : undefined);
    const imagesKey = env.ecr.kmsKeyArn ?? (ownKeyFor.images ? key!.targetKeyArn : undefined);
    for (const svc of env.services) {
      const module = new ServiceModule(this, svc.name, {
        name: svc.name,
        environment: env.name,
        aws: { accountId: env.aws.accountId, region: env.aws.region },
        cluster: { oidcProviderArn: oidcProviderArn(env.aws.accountId, env.cluster.oidcIssuer), oidcIssuer: env.cluster.oidcIssuer },
        workload: { namespace: svc.namespace, serviceAccount: svc.serviceAccount },
        dns: { zoneId: env.dns.zoneId, zoneName: env.dns.zoneName, hostname: svc.hostname, target: env.ingress },
        logs: { retentionDays: svc.logRetentionDays ?? env.logs.retentionDays, kmsKeyArn: logsKey },
        repository: { kmsKeyArn: imagesKey, keepTaggedImages: env.ecr.keepTaggedImages, untaggedExpiryDays: env.ecr.untaggedExpiryDays },
        preventDestroy: env.preventDestroy,
      });
      // Its namespaced SecretStore authenticates as this role: it reads <env>/<service>/* and nothing else.
      if ((svc.secrets ?? []).length > 0) module.grantSecretsRead({ kmsKeyArn: env.secretsManager?.kmsKeyArn });
      services.set(svc.name, module);
    }
    this.services = services;
  }
}
