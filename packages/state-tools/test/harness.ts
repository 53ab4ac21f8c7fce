/**
 * Shared pieces of the state integration tests: stacks made only of `terraform_data` (no provider
 * download, so OpenTofu plans and applies with no registry), synthesized through the real stack
 * factory with the backend pointed at a moto server, and boto3 calls against that server.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { type EnvironmentConfig } from '@platform/config';
import {
  configureStackFactory,
  EnvironmentStack,
  synthesizeAtomically,
  type StackFactoryOptions,
} from '@platform/stack-factory';
import { type MotoServer, repoRoot, tofuOk, type TofuOptions } from '@platform/testing';
import { DataResource, type App } from 'cdktf';
import { type Construct } from 'constructs';

/** The Python of `.tools/venv` (boto3 comes with moto). */
export const PYTHON = path.join(repoRoot, '.tools', 'venv', 'bin', 'python');
/** The backup/restore script under test. */
export const BACKUP_SCRIPT = path.join(repoRoot, 'packages', 'state-tools', 'backup_state.py');

export interface DataStackOptions {
  /** How many plain `terraform_data` resources. @default 3 */
  readonly items?: number;
  /** Written into every resource's input; changing it is an in-place update. @default 1 */
  readonly round?: number;
  /**
   * Add a `Slow` resource, replaced whenever `round` changes, whose local-exec sleeps this long
   * while the apply holds the state lock. @default - none
   */
  readonly slowSeconds?: number;
}

/** An environment stack made only of `terraform_data` resources: what the tests apply with a real engine. */
export class DataStack extends EnvironmentStack {
  constructor(scope: Construct, env: EnvironmentConfig, name: string, options: DataStackOptions = {}) {
    super(scope, env, name);
    const round = options.round ?? 1;
    for (let i = 0; i < (options.items ?? 3); i++) {
      new DataResource(this, `Item${i}`, { input: { stack: name, index: i, round } });
    }
    if (options.slowSeconds !== undefined) {
      new DataResource(this, 'Slow', {
        input: { round },
        triggersReplace: { round },
        provisioners: [{ type: 'local-exec', command: `sleep ${options.slowSeconds}` }],
      });
    }
  }
}

/** Test-only factory options: the S3 backend at moto, static credentials, no AWS lookups, no AWS provider. */
export function motoFactoryOptions(
  moto: MotoServer,
  extra: Partial<NonNullable<StackFactoryOptions['backendOverrides']>> = {},
): StackFactoryOptions {
  return {
    backendOverrides: {
      endpoints: { s3: moto.endpoint, dynamodb: moto.endpoint },
      usePathStyle: true,
      skipCredentialsValidation: true,
      skipRequestingAccountId: true,
      skipMetadataApiCheck: true,
      accessKey: 'test',
      secretKey: 'test',
      ...extra,
    },
    omitAwsProvider: true,
  };
}

/**
 * Synthesizes like `platform synth` does (atomically, into `outdir`) with the factory options set
 * first, and returns each stack's folder by stack id. Re-synthesizing replaces the folders, so
 * `tofu init` must run again afterwards.
 */
export function synthStacks(
  outdir: string,
  options: StackFactoryOptions,
  build: (app: App) => void,
): Record<string, string> {
  const stacks = synthesizeAtomically(outdir, (app) => {
    configureStackFactory(app, options);
    build(app);
  });
  return Object.fromEntries(stacks.map((s) => [s.id, path.join(outdir, s.dir)]));
}

/** One boto3 call, as `aws_ops.py` runs it. */
export interface AwsOp {
  readonly client: 's3' | 'dynamodb' | 'kms';
  readonly method: string;
  readonly args?: Record<string, unknown>;
  /** Error codes that are an answer, not a failure (returned as `{ error: code }`). */
  readonly ok?: readonly string[];
}

/** Runs boto3 calls against moto in one Python process and returns their responses. */
export function aws(
  moto: MotoServer,
  ops: readonly AwsOp[],
  region = 'eu-west-1',
): Promise<Array<Record<string, unknown>>> {
  if (!existsSync(PYTHON))
    throw new Error('.tools/venv is missing: run `npm run setup-tools` (scripts/setup-tools.sh) first');
  return new Promise((resolve, reject) => {
    const child = spawn(PYTHON, [path.join(__dirname, 'aws_ops.py')], {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (err += c.toString('utf8')));
    child.once('error', reject);
    child.once('close', (code) =>
      code === 0
        ? resolve(JSON.parse(out) as Array<Record<string, unknown>>)
        : reject(new Error(`aws_ops.py failed (${code}): ${err}`)),
    );
    child.stdin.end(JSON.stringify({ endpoint: moto.endpoint, region, ops }));
  });
}

/** Creates versioned state buckets and, optionally, a lock table shaped like StateBackend's. */
export async function createBackend(
  moto: MotoServer,
  opts: { readonly buckets: readonly string[]; readonly lockTable?: string; readonly region?: string },
): Promise<void> {
  const region = opts.region ?? 'eu-west-1';
  const ops: AwsOp[] = opts.buckets.flatMap((bucket) => [
    {
      client: 's3',
      method: 'create_bucket',
      args: { Bucket: bucket, CreateBucketConfiguration: { LocationConstraint: region } },
    },
    {
      client: 's3',
      method: 'put_bucket_versioning',
      args: { Bucket: bucket, VersioningConfiguration: { Status: 'Enabled' } },
    },
  ]);
  if (opts.lockTable) {
    ops.push({
      client: 'dynamodb',
      method: 'create_table',
      args: {
        TableName: opts.lockTable,
        AttributeDefinitions: [{ AttributeName: 'LockID', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'LockID', KeyType: 'HASH' }],
        BillingMode: 'PAY_PER_REQUEST',
      },
    });
  }
  await aws(moto, ops, region);
}

/** Every object key in a bucket, sorted. */
export async function listKeys(moto: MotoServer, bucket: string): Promise<string[]> {
  const [res] = await aws(moto, [{ client: 's3', method: 'list_objects_v2', args: { Bucket: bucket } }]);
  return ((res!.Contents as Array<{ Key: string }> | undefined) ?? []).map((o) => o.Key).sort();
}

/** A Terraform state file, as far as the tests look into it. */
export interface StateFile {
  readonly serial: number;
  readonly lineage: string;
  readonly resources: ReadonlyArray<{
    readonly type: string;
    readonly name: string;
    readonly instances: ReadonlyArray<{ readonly attributes: { readonly input?: unknown } }>;
  }>;
}

/** Reads and parses a state object. */
export async function readState(moto: MotoServer, bucket: string, key: string): Promise<StateFile> {
  const [res] = await aws(moto, [{ client: 's3', method: 'get_object', args: { Bucket: bucket, Key: key } }]);
  return JSON.parse(res!.Body as string) as StateFile;
}

/** `tofu init` then `tofu apply` in a stack folder. */
export async function initAndApply(dir: string, extra: Partial<TofuOptions> = {}): Promise<void> {
  await tofuOk(['init', '-input=false'], { cwd: dir, ...extra });
  await tofuOk(['apply', '-auto-approve', '-input=false', '-lock-timeout=5s'], { cwd: dir, ...extra });
}

/** Polls `check` until it returns true (or throws after `timeoutMs`). */
export async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 150));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** Runs `backup_state.py` with the venv's Python against moto; resolves with exit code and output. */
export function runBackupScript(
  moto: MotoServer,
  args: readonly string[],
): Promise<{ code: number; stdout: string; stderr: string }> {
  if (!existsSync(PYTHON))
    throw new Error('.tools/venv is missing: run `npm run setup-tools` (scripts/setup-tools.sh) first');
  return new Promise((resolve, reject) => {
    const child = spawn(PYTHON, [BACKUP_SCRIPT, ...args, '--endpoint-url', moto.endpoint], {
      cwd: repoRoot,
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        HOME: process.env.HOME ?? '/tmp',
        AWS_ACCESS_KEY_ID: 'test',
        AWS_SECRET_ACCESS_KEY: 'test',
        AWS_EC2_METADATA_DISABLED: 'true',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}
