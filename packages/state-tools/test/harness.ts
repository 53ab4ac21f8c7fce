/**
 * Shared pieces of the state integration tests: stacks made only of `terraform_data` (no provider
 * download, so OpenTofu plans and applies with no registry), synthesized through the real stack
 * factory with the backend pointed at a moto server, and boto3 calls against that server.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import { type EnvironmentConfig } from '@platform/config';
import {
  configureStackFactory,
  EnvironmentStack,
  synthesizeAtomically,
  type StackFactoryOptions,
} from '@platform/stack-factory';
import { isRunning, type MotoServer, processGlobal, repoRoot, tofuOk, type TofuOptions } from '@platform/testing';
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
  /**
   * Instead of a fixed sleep, the `Slow` resource's local-exec waits until this file exists (at most 120 s):
   * the test decides when the apply holding the lock may finish. @default - none
   */
  readonly gate?: string;
}

/** An environment stack made only of `terraform_data` resources: what the tests apply with a real engine. */
export class DataStack extends EnvironmentStack {
  constructor(scope: Construct, env: EnvironmentConfig, name: string, options: DataStackOptions = {}) {
    super(scope, env, name);
    const round = options.round ?? 1;
    for (let i = 0; i < (options.items ?? 3); i++) {
      new DataResource(this, `Item${i}`, { input: { stack: name, index: i, round } });
    }
    if (options.slowSeconds !== undefined || options.gate !== undefined) {
      const command =
        options.gate !== undefined
          ? `i=0; while [ ! -e '${options.gate}' ] && [ $i -lt 2400 ]; do sleep 0.05; i=$((i+1)); done`
          : `sleep ${options.slowSeconds}`;
      new DataResource(this, 'Slow', {
        input: { round },
        triggersReplace: { round },
        provisioners: [{ type: 'local-exec', command }],
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
 * first, and returns each stack's folder by stack id. Re-synthesizing replaces the folders, as
 * `platform synth` does. With `keepInit`, what `tofu init` left in a stack folder (`.terraform/`,
 * `.terraform.lock.hcl`) is carried over to the new one, so `initOnce` needs no second init while the
 * backend settings stay the same (if they change, the engine refuses to run with "Backend initialization
 * required" — a loud failure, never a silent one).
 */
export function synthStacks(
  outdir: string,
  options: StackFactoryOptions,
  build: (app: App) => void,
  { keepInit = false }: { readonly keepInit?: boolean } = {},
): Record<string, string> {
  mkdirSync(path.dirname(path.resolve(outdir)), { recursive: true });
  const stash = mkdtempSync(path.join(path.dirname(path.resolve(outdir)), '.init-stash-'));
  try {
    const stacksDir = path.join(outdir, 'stacks');
    const kept = keepInit && existsSync(stacksDir) ? readdirSync(stacksDir) : [];
    for (const dir of kept) {
      for (const name of INIT_FILES) {
        const from = path.join(stacksDir, dir, name);
        if (existsSync(from)) {
          mkdirSync(path.join(stash, dir), { recursive: true });
          renameSync(from, path.join(stash, dir, name));
        }
      }
    }
    const stacks = synthesizeAtomically(outdir, (app) => {
      configureStackFactory(app, options);
      build(app);
    });
    for (const dir of existsSync(stash) ? readdirSync(stash) : []) {
      if (!existsSync(path.join(stacksDir, dir))) continue;
      for (const name of readdirSync(path.join(stash, dir))) renameSync(path.join(stash, dir, name), path.join(stacksDir, dir, name));
    }
    return Object.fromEntries(stacks.map((s) => [s.id, path.join(outdir, s.dir)]));
  } finally {
    rmSync(stash, { recursive: true, force: true });
  }
}

/** What `tofu init` writes into a stack folder. */
const INIT_FILES = ['.terraform', '.terraform.lock.hcl'];

/** `tofu init`, unless this folder was initialised already (see `synthStacks`). */
export async function initOnce(dir: string, extra: Partial<TofuOptions> = {}): Promise<void> {
  if (existsSync(path.join(dir, '.terraform', 'terraform.tfstate'))) return;
  await tofuOk(['init', '-input=false'], { cwd: dir, ...extra });
}

/** One boto3 call, as `aws_ops.py` runs it. */
export interface AwsOp {
  readonly client: 's3' | 'dynamodb' | 'kms';
  readonly method: string;
  readonly args?: Record<string, unknown>;
  /** Error codes that are an answer, not a failure (returned as `{ error: code }`). */
  readonly ok?: readonly string[];
}

/**
 * The boto3 worker: one long-lived `aws_ops.py`, answering one batch per line. One per process, shared by
 * the test files that run in it one after the other (starting Python and boto3 costs ~0.5 s of CPU): each
 * file listens to it while it runs and lets go in `afterAll`. It ends when its stdin closes, with the process.
 */
interface AwsWorker {
  readonly child: ChildProcess;
  readonly pending: Array<{ resolve: (answer: WorkerAnswer) => void; reject: (e: Error) => void }>;
  stderr: string;
  /** Stops listening (this file is done with it). */
  readonly detach: () => void;
}
let worker: AwsWorker | undefined;
const SHARED_WORKER = Symbol.for('platform.stateTools.awsOps');

function sharedChild(): ChildProcess {
  const global = processGlobal();
  const existing = global[SHARED_WORKER] as ChildProcess | undefined;
  if (existing && isRunning(existing)) return existing;
  if (!existsSync(PYTHON))
    throw new Error('.tools/venv is missing: run `npm run setup-tools` (scripts/setup-tools.sh) first');
  const child = spawn(PYTHON, [path.join(__dirname, 'aws_ops.py')], {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
  });
  // Never keeps the process alive; its stdin closes when the process ends, and it exits then.
  child.unref();
  for (const stream of [child.stdout, child.stderr, child.stdin]) (stream as unknown as { unref?: () => void } | null)?.unref?.();
  child.once('error', () => undefined); // reported to the file using it, below
  global[SHARED_WORKER] = child;
  return child;
}

function awsWorker(): AwsWorker {
  if (worker && isRunning(worker.child)) return worker;
  worker?.detach();
  const child = sharedChild();
  let buffer = '';
  const onData = (c: Buffer) => {
    buffer += c.toString('utf8');
    let nl: number;
    while ((nl = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, nl);
      buffer = buffer.slice(nl + 1);
      w.pending.shift()?.resolve(JSON.parse(line) as WorkerAnswer);
    }
  };
  const onStderr = (c: Buffer) => (w.stderr = (w.stderr + c.toString('utf8')).slice(-4000));
  const fail = (why: string) => {
    for (const p of w.pending.splice(0)) p.reject(new Error(`aws_ops.py ${why}: ${w.stderr}`));
  };
  const onError = (err: Error) => fail(`could not start (${err.message})`);
  const onExit = (code: number | null, signal: string | null) => fail(`exited (${code ?? signal})`);
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onStderr);
  child.on('error', onError);
  child.on('exit', onExit);
  const w: AwsWorker = {
    child,
    pending: [],
    stderr: '',
    detach: () => {
      child.stdout!.off('data', onData);
      child.stderr!.off('data', onStderr);
      child.off('error', onError);
      child.off('exit', onExit);
      // Answers still owed would reach the next file: it gets a fresh worker instead.
      if (w.pending.length > 0 || buffer !== '') {
        fail('was let go with requests unanswered');
        child.kill('SIGKILL');
      }
    },
  };
  worker = w;
  return w;
}

afterAll(() => {
  worker?.detach();
  worker = undefined;
});

/** One answer line of aws_ops.py. */
interface WorkerAnswer {
  readonly results?: Array<Record<string, unknown>>;
  readonly script?: ScriptRun;
  readonly failure?: string;
}

/** Sends one request line to this file's worker; resolves with its answer line. */
function workerRequest(request: Record<string, unknown>): Promise<WorkerAnswer> {
  const w = awsWorker();
  return new Promise((resolve, reject) => {
    w.pending.push({ resolve, reject });
    w.child.stdin!.write(`${JSON.stringify(request)}\n`);
  });
}

/** Runs boto3 calls against moto (in this file's long-lived Python worker) and returns their responses. */
export async function aws(
  moto: Pick<MotoServer, 'endpoint'>,
  ops: readonly AwsOp[],
  region = 'eu-west-1',
): Promise<Array<Record<string, unknown>>> {
  const answer = await workerRequest({ endpoint: moto.endpoint, region, ops });
  if (!answer.results) throw new Error(`aws_ops.py: ${answer.failure ?? 'no answer'}`);
  return answer.results;
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

/** `tofu init` (once per folder, see `initOnce`) then `tofu apply` in a stack folder. */
export async function initAndApply(dir: string, extra: Partial<TofuOptions> = {}): Promise<void> {
  await initOnce(dir, extra);
  await tofuOk(['apply', '-auto-approve', '-input=false', '-lock-timeout=5s'], { cwd: dir, ...extra });
}

/** Polls `check` until it returns true (or throws after `timeoutMs`). */
export async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** What a `backup_state.py` run ended with. */
export interface ScriptRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs `backup_state.py` against moto; resolves with exit code and output. By default its `main(argv)`
 * runs in this file's long-lived Python worker (aws_ops.py: same interpreter, script, arguments,
 * environment and folder, minus ~0.5 s of CPU for Python and boto3 per run); `{ ownProcess: true }` starts
 * the script as the workflows do (the suites run their CI invocations that way).
 */
export function runBackupScript(
  moto: MotoServer,
  args: readonly string[],
  { ownProcess = false }: { readonly ownProcess?: boolean } = {},
): Promise<ScriptRun> {
  if (!existsSync(PYTHON))
    throw new Error('.tools/venv is missing: run `npm run setup-tools` (scripts/setup-tools.sh) first');
  const argv = [...args, '--endpoint-url', moto.endpoint];
  const env = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: process.env.HOME ?? '/tmp',
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    AWS_EC2_METADATA_DISABLED: 'true',
  };
  if (!ownProcess) {
    return workerRequest({ script: BACKUP_SCRIPT, argv, cwd: repoRoot, env }).then((answer) => {
      if (!answer.script) throw new Error(`aws_ops.py: ${answer.failure ?? 'no answer'}`);
      return answer.script;
    });
  }
  return new Promise((resolve, reject) => {
    const child = spawn(PYTHON, [BACKUP_SCRIPT, ...argv], { cwd: repoRoot, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}
