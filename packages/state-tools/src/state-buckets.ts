import * as path from 'node:path';
import { ConfigError, loadEnvironments, type EnvironmentConfig } from '@platform/config';
import { deployRoleArn, stateBackupBucketName } from '@platform/naming';

/** Where one environment's state lives, for tools outside the synth (backup workflow, runbooks). */
export interface EnvironmentStateBuckets {
  readonly env: string;
  readonly accountId: string;
  /** Region of both buckets and the lock table (`state.region`). */
  readonly region: string;
  readonly stateBucket: string;
  /** From `stateBackupBucketName`: what the bootstrap stack's StateBackend creates. */
  readonly backupBucket: string;
  /** Region of the backup bucket (`state.backup.region`): another region than the state's. */
  readonly backupRegion: string;
  /** DynamoDB lock table, when the environment uses one. */
  readonly lockTable?: string;
  readonly useLockfile: boolean;
  /** Every stack of the environment keeps its state under this prefix (`<env>/<stack>.tfstate`). */
  readonly stateKeyPrefix: string;
  /** Role to assume for the environment's account. */
  readonly deployRoleArn: string;
}

/** Each environment's state bucket, backup bucket, lock table and region, by environment name. */
export function stateBuckets(envs: readonly EnvironmentConfig[]): Record<string, EnvironmentStateBuckets> {
  const out: Record<string, EnvironmentStateBuckets> = {};
  for (const env of [...envs].sort((a, b) => a.name.localeCompare(b.name))) {
    out[env.name] = {
      env: env.name,
      accountId: env.aws.accountId,
      region: env.state.region,
      stateBucket: env.state.bucket,
      backupBucket: stateBackupBucketName(env.state.bucket),
      backupRegion: env.state.backup.region,
      ...(env.state.lockTable ? { lockTable: env.state.lockTable } : {}),
      useLockfile: env.state.useLockfile,
      stateKeyPrefix: `${env.name}/`,
      deployRoleArn: deployRoleArn(env.aws.accountId, env.aws.deployRoleName),
    };
  }
  return out;
}

const USAGE = 'usage: tsx packages/state-tools/src/state-buckets.ts [--env-dir DIR] [--env NAME]';

/**
 * `tsx packages/state-tools/src/state-buckets.ts [--env-dir envs] [--env dev]`: prints the JSON
 * object of `stateBuckets` (one environment's entry alone with --env). Exit 0, or 1 with a message.
 */
export function main(
  argv: readonly string[],
  write: (text: string) => void = (text) => void process.stdout.write(text),
  writeErr: (text: string) => void = (text) => void process.stderr.write(text),
): number {
  let envDir = 'envs';
  let only: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = argv[i + 1];
    if ((flag === '--env-dir' || flag === '--env') && value !== undefined && !value.startsWith('--')) {
      if (flag === '--env-dir') envDir = value;
      else only = value;
      i++;
    } else {
      writeErr(`error: unknown or incomplete argument "${flag}"\n${USAGE}\n`);
      return 1;
    }
  }
  try {
    const all = stateBuckets(loadEnvironments(path.resolve(envDir)));
    if (only !== undefined && !(only in all)) {
      writeErr(`error: --env "${only}": no such environment — choose from ${Object.keys(all).join(', ')}\n`);
      return 1;
    }
    write(`${JSON.stringify(only === undefined ? all : all[only], null, 2)}\n`);
    return 0;
  } catch (err) {
    if (err instanceof ConfigError) {
      writeErr(`error: ${err.message}\n`);
      return 1;
    }
    throw err;
  }
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));
