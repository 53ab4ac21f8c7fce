import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { ConfigError, type EnvironmentConfig, type Problem } from '@platform/config';
import {
  BOOTSTRAP_STACK,
  bootstrapStateKey,
  ciRoleArn,
  type CiRolePurpose,
  deployRoleArn,
  environmentKmsKeyAlias,
  roleArn,
  stackId,
  stateBackupBucketName,
  stateKmsKeyAliasArn,
} from '@platform/naming';
import { addAwsProvider, addStateBackend, awsRoleVariable, REQUIRED_TERRAFORM_VERSION, requiredTags } from '@platform/stack-factory';
import { suppress } from '@platform/policy';
import { LocalBackend, TerraformStack } from 'cdktf';
import { Construct } from 'constructs';

import { StateBackend } from '@platform/state-backend-module';
import { CiIdentity } from '@platform/ci-identity-module';
import { EnvironmentKey } from '@platform/service-module';

/**
 * What the environment's own KMS key must serve: logs and/or images that ask for `encryption: kms`
 * without naming an external key (`logs.kmsKeyArn`, `ecr.kmsKeyArn`). Both false: no key.
 */
export function environmentKeyUses(env: EnvironmentConfig): { readonly logs: boolean; readonly images: boolean } {
  return {
    logs: env.logs.encryption === 'kms' && !env.logs.kmsKeyArn,
    images: env.ecr.encryption === 'kms' && !env.ecr.kmsKeyArn,
  };
}

/** Where a bootstrap stack keeps its own state: `local` before its bucket exists, `s3` ever after. */
export type BootstrapBackend = 'local' | 's3';

/** Environment variable that selects the bootstrap stacks' backend at synth time. */
export const BOOTSTRAP_BACKEND_VARIABLE = 'PLATFORM_BOOTSTRAP_BACKEND';

/**
 * Folder, beside the synth output directory, that holds a bootstrap stack's local state until it is
 * migrated. Outside `cdktf.out` (which every synth replaces) and matched by `.gitignore`'s `terraform.tfstate*`.
 */
export const LOCAL_STATE_DIR = 'terraform.tfstate.d';

/** One state bucket to create: what the environments that keep their state there agree on. */
export interface BootstrapTarget {
  /** The environment the bootstrap stack belongs to: the first, by name, of those sharing the bucket. */
  readonly owner: EnvironmentConfig;
  /** Names of every environment keeping state in the bucket, sorted. */
  readonly environments: readonly string[];
  /** The environments keeping state in the bucket, sorted by name: their CI roles are created with it. */
  readonly members: readonly EnvironmentConfig[];
  /** Account of the bucket (every sharing environment's `aws.accountId`). */
  readonly accountId: string;
  /** Region of the bucket (`state.region`). */
  readonly region: string;
  /** The state bucket (`state.bucket`). */
  readonly bucket: string;
  /** The backup bucket, from `stateBackupBucketName`. */
  readonly backupBucket: string;
  /** The lock table, when any sharing environment names one (`state.lockTable`). */
  readonly lockTable?: string;
  /** Whether any sharing environment uses S3 native locking (`state.useLockfile`). */
  readonly useLockfile: boolean;
  /** Where the backups live (`state.backup` of the owner). */
  readonly backup: EnvironmentConfig['state']['backup'];
}

/**
 * One target per distinct state bucket across the environments (so per account and region), read
 * from the environment files and nothing else: the bootstrap creates exactly what the environment
 * stacks' backends point at. Throws one ConfigError listing every disagreement between files.
 */
export function bootstrapTargets(envs: readonly EnvironmentConfig[]): BootstrapTarget[] {
  const byBucket = new Map<string, EnvironmentConfig[]>();
  for (const env of [...envs].sort((a, b) => a.name.localeCompare(b.name))) {
    byBucket.set(env.state.bucket, [...(byBucket.get(env.state.bucket) ?? []), env]);
  }
  const problems: Problem[] = [];
  const targets: BootstrapTarget[] = [];
  for (const [bucket, sharing] of byBucket) {
    const owner = sharing[0]!;
    const tables = new Set(sharing.map((e) => e.state.lockTable).filter((t): t is string => !!t));
    for (const env of sharing.slice(1)) {
      const disagree = (field: string, value: string, expected: string) =>
        problems.push({
          source: env.file,
          field,
          value,
          message: `differs from ${owner.file} (${JSON.stringify(
            expected,
          )}), which keeps its state in the same bucket "${bucket}" — one bucket lives in one account and region`,
        });
      if (env.aws.accountId !== owner.aws.accountId) disagree('aws.accountId', env.aws.accountId, owner.aws.accountId);
      if (env.state.region !== owner.state.region) disagree('state.region', env.state.region, owner.state.region);
      // One CI identity per bucket: its environments agree on the repository CI runs in and the OIDC provider.
      if (env.github.repository !== owner.github.repository) disagree('github.repository', env.github.repository, owner.github.repository);
      if (env.github.oidcProvider !== owner.github.oidcProvider) disagree('github.oidcProvider', env.github.oidcProvider, owner.github.oidcProvider);
    }
    if (tables.size > 1) {
      for (const env of sharing.filter((e) => e.state.lockTable)) {
        problems.push({
          source: env.file,
          field: 'state.lockTable',
          value: env.state.lockTable,
          message: `names one of ${tables.size} lock tables for the bucket "${bucket}" (${[...tables].join(
            ', ',
          )}) — environments sharing a bucket share its lock table`,
        });
      }
    }
    targets.push({
      owner,
      environments: sharing.map((e) => e.name),
      members: sharing,
      accountId: owner.aws.accountId,
      region: owner.state.region,
      bucket,
      backupBucket: stateBackupBucketName(bucket),
      ...(tables.size > 0 ? { lockTable: [...tables][0] } : {}),
      useLockfile: sharing.some((e) => e.state.useLockfile),
      backup: owner.state.backup,
    });
  }
  // Two buckets in one account and region cannot both create a lock table of the same name.
  const tableOwners = new Map<string, BootstrapTarget>();
  for (const target of targets) {
    if (!target.lockTable) continue;
    const where = `${target.accountId}/${target.region}/${target.lockTable}`;
    const first = tableOwners.get(where);
    if (first) {
      problems.push({
        source: target.owner.file,
        field: 'state.lockTable',
        value: target.lockTable,
        message: `is also the lock table of the bucket "${first.bucket}" (${first.owner.file}) in account ${target.accountId}, ${target.region} — give each bucket its own table, or share the bucket`,
      });
    } else tableOwners.set(where, target);
  }
  // An account has at most one IAM OIDC provider per URL: only one bootstrap stack per account creates it.
  const oidcCreators = new Map<string, BootstrapTarget>();
  for (const target of targets) {
    if (target.owner.github.oidcProvider !== 'create') continue;
    const first = oidcCreators.get(target.accountId);
    if (first) {
      problems.push({
        source: target.owner.file,
        field: 'github.oidcProvider',
        value: 'create',
        message: `would create a second GitHub OIDC provider in account ${target.accountId} (${first.owner.file} creates it) — set github.oidcProvider: lookup here`,
      });
    } else oidcCreators.set(target.accountId, target);
  }
  if (problems.length > 0) {
    throw new ConfigError(
      problems,
      `${problems.length} problem${problems.length === 1 ? '' : 's'} in the state bootstrap configuration`,
    );
  }
  return targets;
}

/** The backend `PLATFORM_BOOTSTRAP_BACKEND` asks for: `s3` when unset. */
export function bootstrapBackendFromEnvironment(variables: NodeJS.ProcessEnv = process.env): BootstrapBackend {
  const value = variables[BOOTSTRAP_BACKEND_VARIABLE];
  if (value === undefined || value === '') return 's3';
  if (value === 'local' || value === 's3') return value;
  throw new ConfigError(
    [
      {
        source: 'environment',
        field: BOOTSTRAP_BACKEND_VARIABLE,
        value,
        message:
          'must be "local" (the first run, before the state bucket exists) or "s3" (every run after the migration; the default)',
      },
    ],
    'Invalid bootstrap backend',
  );
}

export interface BootstrapStackProps {
  /**
   * Where this stack keeps its own state. `local`: a file in `terraform.tfstate.d/` beside the
   * synth output directory (for the first apply, which creates the bucket). `s3`: `bootstrap.tfstate`
   * in the bucket it created, locked like the environments' stacks.
   * @default - `PLATFORM_BOOTSTRAP_BACKEND`, else `s3`
   */
  readonly backend?: BootstrapBackend;
}

/**
 * Creates one state bucket and what goes with it (lock table, backup bucket, KMS key: see
 * `StateBackend`) in the bucket's account and region. Its id is `<owner>-bootstrap`, e.g. `dev-bootstrap`.
 *
 * It starts on a local backend and then moves its own state into the bucket it created;
 * docs/bootstrap.md gives the sequence.
 */
export class BootstrapStack extends TerraformStack {
  /** The bucket this stack creates and the environments that use it. */
  public readonly target: BootstrapTarget;
  /** Where this stack keeps its own state. */
  public readonly backend: BootstrapBackend;
  /** Its own state: a path relative to the stack's folder (`local`), or the bucket and key (`s3`). */
  public readonly state:
    | { readonly kind: 'local'; readonly path: string }
    | { readonly kind: 's3'; readonly bucket: string; readonly key: string; readonly region: string };
  /** The bucket's account's AWS provider, or undefined when omitted by the factory options. */
  public readonly awsProvider?: AwsProvider;
  /** The bucket, lock table, backup bucket and key. */
  public readonly stateBackend: StateBackend;
  /** How CI reaches the account: the GitHub OIDC provider and the CI roles of every environment in the bucket. */
  public readonly ciIdentity: CiIdentity;
  /**
   * Each sharing environment's own KMS key for logs and images (`EnvironmentKey`, alias
   * `alias/platform/<env>`), by environment name: only environments that ask for one. Created here, by an
   * administrator, so no CI role ever needs `kms:CreateKey` or `kms:PutKeyPolicy`; `<env>-services` reads
   * it by its alias.
   */
  public readonly environmentKeys: ReadonlyMap<string, EnvironmentKey>;

  constructor(scope: Construct, target: BootstrapTarget, props: BootstrapStackProps = {}) {
    super(scope, stackId(target.owner.name, BOOTSTRAP_STACK));
    this.target = target;
    this.backend = props.backend ?? bootstrapBackendFromEnvironment();

    if (this.backend === 'local') {
      // Relative to the folder tofu runs in, <outdir>/stacks/<id>: lands beside <outdir>.
      const path = `../../../${LOCAL_STATE_DIR}/${this.node.id}.tfstate`;
      new LocalBackend(this, { path });
      suppress(this, 'STATE-001', 'first bootstrap run only: this stack creates the state bucket, so its own state starts local and is migrated into the bucket (docs/bootstrap.md)');
      this.state = { kind: 'local', path };
    } else {
      const location = addStateBackend(this, {
        bucket: target.bucket,
        key: bootstrapStateKey(),
        region: target.region,
        lockTable: target.lockTable,
        useLockfile: target.useLockfile,
        kmsKeyId: stateKmsKeyAliasArn(target.accountId, target.region, target.bucket),
      });
      this.state = { kind: 's3', ...location };
    }
    this.addOverride('terraform.required_version', REQUIRED_TERRAFORM_VERSION);
    this.awsProvider = addAwsProvider(this, target.owner, {
      region: target.region,
      tags: { ...requiredTags(target.owner), Environment: target.environments.join('+') },
    });

    // The backup region's (and account's) provider: the same deploy role, in the backup account when named.
    const backupAccount = target.backup.accountId ?? target.accountId;
    const backupProvider = this.awsProvider
      ? new AwsProvider(this, 'aws_backup', {
          alias: 'backup',
          region: target.backup.region,
          allowedAccountIds: [backupAccount],
          assumeRole: [{ roleArn: roleArn(backupAccount, target.owner.aws.deployRoleName), sessionName: `terraform-${this.node.id}-backup` }],
          defaultTags: [{ tags: { ...requiredTags(target.owner), Environment: target.environments.join('+') } }],
        })
      : undefined;
    // Who may touch state objects: each sharing environment's CI roles (pr-plan, plan and drift read and
    // lock; apply writes; backup reads) and the break-glass deploy role people assume.
    const ci = (purposes: readonly CiRolePurpose[]) =>
      target.environments.flatMap((env) => purposes.map((purpose) => ciRoleArn(target.accountId, env, purpose)));
    this.stateBackend = new StateBackend(this, 'StateBackend', {
      bucketName: target.bucket,
      region: target.region,
      ...(target.lockTable ? { lockTableName: target.lockTable } : {}),
      backup: {
        region: target.backup.region,
        ...(backupProvider ? { provider: backupProvider } : {}),
        ...(target.backup.accountId ? { accountId: target.backup.accountId } : {}),
        ...(target.backup.objectLock ? { objectLock: target.backup.objectLock } : {}),
      },
      access: {
        readWrite: ci(['apply']),
        breakGlass: [deployRoleArn(target.accountId, target.owner.aws.deployRoleName)],
        readAndLock: ci(['pr-plan', 'plan', 'drift']),
        backup: ci(['backup']),
      },
    });

    // Each environment's own key for logs and images, in the environment's region (construct ids
    // EnvironmentKey/<env>/{Resource,Alias}). Applied here, with the deploy role, because creating a key and
    // writing its policy are key-administration rights no CI role holds: a role that may administer keys
    // tagged with its environment could also rewrite the state key's policy (it carries the same tag).
    const keys = new Map<string, EnvironmentKey>();
    const keyScope = new Construct(this, 'EnvironmentKey');
    const regionProviders = new Map<string, AwsProvider | undefined>([[target.region, this.awsProvider]]);
    for (const env of target.members) {
      const uses = environmentKeyUses(env);
      if (!uses.logs && !uses.images) continue;
      if (!regionProviders.has(env.aws.region)) {
        // The environment's workload region differs from the bucket's: the same deploy role, there.
        regionProviders.set(
          env.aws.region,
          this.awsProvider
            ? new AwsProvider(this, `aws_${env.aws.region.replace(/-/g, '_')}`, {
                alias: env.aws.region.replace(/-/g, '_'),
                region: env.aws.region,
                allowedAccountIds: [target.accountId],
                assumeRole: [{ roleArn: awsRoleVariable(this, target.owner).stringValue, sessionName: `terraform-${this.node.id}` }],
                defaultTags: [{ tags: { ...requiredTags(target.owner), Environment: target.environments.join('+') } }],
              })
            : undefined,
        );
      }
      const provider = regionProviders.get(env.aws.region);
      keys.set(
        env.name,
        new EnvironmentKey(keyScope, env.name, {
          environment: env.name,
          aws: { accountId: env.aws.accountId, region: env.aws.region },
          logs: uses.logs,
          images: uses.images,
          preventDestroy: env.preventDestroy,
          ...(provider && env.aws.region !== target.region ? { provider } : {}),
        }),
      );
    }
    this.environmentKeys = keys;

    // The CI identity baseline, applied with the state backend by an administrator (never by CI):
    // CI can neither create nor widen its own trust. docs/pr-flow.md "Setting it up".
    this.ciIdentity = new CiIdentity(this, 'CiIdentity', {
      repository: target.owner.github.repository,
      oidcProvider: target.owner.github.oidcProvider,
      state: {
        bucketName: target.bucket,
        region: target.region,
        ...(target.lockTable ? { lockTableName: target.lockTable } : {}),
        useLockfile: target.useLockfile,
        backupBucketName: target.backupBucket,
        ...(this.stateBackend.kmsKeyArn ? { kmsKeyArn: this.stateBackend.kmsKeyArn } : {}),
        // The daily copy writes the backup bucket only within the account (a backup account's bucket and
        // key policies name only the replication role): no backup-key rights to a role that cannot use them.
        ...(this.stateBackend.backupKmsKeyArn && !target.backup.accountId ? { backupKmsKeyArn: this.stateBackend.backupKmsKeyArn } : {}),
        backupRegion: target.backup.region,
      },
      environments: target.members.map((env) => ({
        name: env.name,
        accountId: env.aws.accountId,
        region: env.aws.region,
        dns: { zoneId: env.dns.zoneId, zoneName: env.dns.zoneName },
        clusterName: env.cluster.name,
        workloadKmsKeyArns: [env.logs.kmsKeyArn, env.ecr.kmsKeyArn].filter((k): k is string => !!k),
        ...(keys.has(env.name) ? { environmentKey: { arn: keys.get(env.name)!.keyArn, alias: environmentKmsKeyAlias(env.name) } } : {}),
      })),
    });
  }
}
