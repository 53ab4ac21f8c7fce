import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { loadEnvironments, type EnvironmentConfig } from '@platform/config';
import { BootstrapStack, bootstrapTargets } from '@platform/stacks/bootstrap-stack';
import { type MotoServer, repoRoot, startMoto, synthJson, tofuOk, type StackJson } from '@platform/testing';
import { App } from 'cdktf';
import { stateKmsKeyAliasArn } from '@platform/naming';
import { stateBuckets } from '../src/state-buckets';
import { aws, createBackend, DataStack, initAndApply, motoFactoryOptions, readState, runBackupScript, synthStacks } from './harness';

// The first environment file of the repository (by name), and what its real bootstrap stack synthesizes:
// the backup bucket, its region and its Object Lock retention come from there, not from this test.
const env: EnvironmentConfig = loadEnvironments(path.join(repoRoot, 'envs'), { root: repoRoot }).sort((a, b) => a.name.localeCompare(b.name))[0]!;
const bootstrap: StackJson = synthJson(new BootstrapStack(new App(), bootstrapTargets([env])[0]!, { backend: 's3' }));

const buckets = Object.entries(bootstrap.resource?.aws_s3_bucket ?? {});
const bucketNamed = (suffix: string) => buckets.find(([, b]) => (b.bucket as string) === `${env.state.bucket}${suffix}`)!;
const [backupId, backupBucket] = bucketNamed('-backup');
const STATE = env.state.bucket;
const BACKUP = backupBucket.bucket as string;
const BACKUP_REGION = (bootstrap.provider?.aws ?? []).find((p) => p.alias === 'backup')!.region as string;
const LOCK = (Object.values(bootstrap.resource?.aws_s3_bucket_object_lock_configuration ?? {})[0]!.rule as { default_retention: { mode: string; days: number } })
  .default_retention;
const KEY = `${env.name}/app.tfstate`;

/** The state bucket's policy as IAM JSON: the synthesized policy document with references resolved to this test's names. */
function statePolicyJson(): string {
  const [stateId] = bucketNamed('');
  const policy = Object.values(bootstrap.resource?.aws_s3_bucket_policy ?? {}).find((p) => p.bucket === `\${aws_s3_bucket.${stateId}.id}`)!;
  const docId = /data\.aws_iam_policy_document\.(\w+)\.json/.exec(policy.policy as string)![1]!;
  const doc = bootstrap.data!.aws_iam_policy_document![docId] as { statement: Array<Record<string, unknown>> };
  const resolve = (v: string) =>
    v
      .replace(`\${aws_s3_bucket.${stateId}.arn}`, `arn:aws:s3:::${STATE}`)
      .replace(/\$\{data\.aws_partition\.\w+\.partition\}/g, 'aws')
      .replace(/\$\{data\.aws_caller_identity\.\w+\.account_id\}/g, env.aws.accountId);
  const list = (v: unknown) => ((v ?? []) as string[]).map(resolve);
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: doc.statement.map((s) => ({
      Sid: s.sid,
      Effect: s.effect,
      Principal: '*',
      Action: s.actions,
      ...(s.resources ? { Resource: list(s.resources) } : { NotResource: list(s.not_resources) }),
      ...(s.condition
        ? {
            Condition: Object.fromEntries(
              (s.condition as Array<{ test: string; variable: string; values: string[] }>).map((c) => [c.test, { [c.variable]: list(c.values) }]),
            ),
          }
        : {}),
    })),
  });
}

describe('state backups under S3 Object Lock, restored from a locked version (OpenTofu + backup_state.py + moto)', () => {
  let moto: MotoServer;
  let work: string;
  let bucketsJson: string;
  let lockedVersion: string;
  const script = (args: string[]) => runBackupScript(moto, [...args, '--env', env.name, '--buckets-json', bucketsJson]);
  const build = (round: number) =>
    synthStacks(path.join(work, 'cdktf.out'), motoFactoryOptions(moto), (app) => {
      new DataStack(app, env, 'app', { round });
    })[`${env.name}-app`]!;

  beforeAll(async () => {
    moto = await startMoto();
    work = mkdtempSync(path.join(tmpdir(), 'state-object-lock-'));
    bucketsJson = path.join(work, 'state-buckets.json');
    // What the workflow reads: state-buckets.ts names the backup region the bootstrap stack puts the backup bucket in.
    const entries = stateBuckets([env]);
    expect(entries[env.name]!.backupRegion).toBe(BACKUP_REGION);
    writeFileSync(bucketsJson, JSON.stringify(entries));
    await createBackend(moto, { buckets: [STATE], lockTable: env.state.lockTable, region: env.state.region });
    // The backup bucket as StateBackend declares it: Object Lock on at creation, default retention from the env file.
    expect(backupBucket.object_lock_enabled).toBe(true);
    await aws(
      moto,
      [
        { client: 's3', method: 'create_bucket', args: { Bucket: BACKUP, CreateBucketConfiguration: { LocationConstraint: BACKUP_REGION }, ObjectLockEnabledForBucket: true } },
        { client: 's3', method: 'put_bucket_versioning', args: { Bucket: BACKUP, VersioningConfiguration: { Status: 'Enabled' } } },
        {
          client: 's3',
          method: 'put_object_lock_configuration',
          args: { Bucket: BACKUP, ObjectLockConfiguration: { ObjectLockEnabled: 'Enabled', Rule: { DefaultRetention: { Mode: LOCK.mode, Days: LOCK.days } } } },
        },
      ],
      BACKUP_REGION,
    );
    await initAndApply(build(1));
  }, 120_000);

  afterAll(async () => {
    await moto?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  test(`GIVEN the bootstrap stack WHEN synthesized THEN the backup bucket (${backupId}) is in another region than the state, with Object Lock`, () => {
    expect(BACKUP_REGION).not.toBe(env.state.region);
    expect(['GOVERNANCE', 'COMPLIANCE']).toContain(LOCK.mode);
    expect(LOCK.days).toBeGreaterThan(0);
  });

  test("GIVEN the environment's backend WHEN OpenTofu writes state THEN the object is SSE-KMS with the state bucket's key (kms_key_id), not AES256", async () => {
    const [head] = await aws(moto, [{ client: 's3', method: 'head_object', args: { Bucket: STATE, Key: KEY } }], env.state.region);
    expect(head).toMatchObject({
      ServerSideEncryption: 'aws:kms',
      SSEKMSKeyId: stateKmsKeyAliasArn(env.aws.accountId, env.state.region, STATE),
    });
  }, 60_000);

  test('GIVEN applied state WHEN backed up into the locked bucket in the backup region THEN the copy is a new version there', async () => {
    const run = await script(['backup']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const summary = JSON.parse(run.stdout) as { backupBucket: string; copied: Array<{ key: string; backupVersionId: string }> };
    expect(summary.backupBucket).toBe(BACKUP);
    expect(summary.copied.map((c) => c.key)).toEqual([KEY]);
    lockedVersion = summary.copied[0]!.backupVersionId;
    expect(lockedVersion).toEqual(expect.any(String));
  }, 60_000);

  test('GIVEN a locked backup version WHEN a compromised identity deletes it (even bypassing governance) THEN S3 refuses; deleting the key only hides it behind a marker', async () => {
    const [plain, bypass, marker, read] = await aws(
      moto,
      [
        { client: 's3', method: 'delete_object', args: { Bucket: BACKUP, Key: KEY, VersionId: lockedVersion }, ok: ['AccessDenied'] },
        { client: 's3', method: 'delete_object', args: { Bucket: BACKUP, Key: KEY, VersionId: lockedVersion, BypassGovernanceRetention: true }, ok: ['AccessDenied'] },
        { client: 's3', method: 'delete_object', args: { Bucket: BACKUP, Key: KEY } },
        { client: 's3', method: 'get_object', args: { Bucket: BACKUP, Key: KEY, VersionId: lockedVersion } },
      ],
      BACKUP_REGION,
    );
    expect(plain).toEqual({ error: 'AccessDenied' });
    // COMPLIANCE: no bypass. (With GOVERNANCE the bypass would succeed for a principal allowed s3:BypassGovernanceRetention.)
    if (LOCK.mode === 'COMPLIANCE') expect(bypass).toEqual({ error: 'AccessDenied' });
    expect(marker).toMatchObject({ DeleteMarker: true });
    expect(read!.VersionId).toBe(lockedVersion);
  }, 60_000);

  test('GIVEN the state overwritten with garbage and its versions deleted WHEN restored from the locked version THEN OpenTofu plans no change', async () => {
    const good = await readState(moto, STATE, KEY);
    // A compromised deploy identity: writes garbage over the state and deletes every older version it can.
    const [versions] = await aws(moto, [{ client: 's3', method: 'list_object_versions', args: { Bucket: STATE, Prefix: KEY } }], env.state.region);
    await aws(
      moto,
      [
        ...((versions!.Versions as Array<{ Key: string; VersionId: string }>) ?? [])
          .filter((v) => v.Key === KEY)
          .map((v) => ({ client: 's3' as const, method: 'delete_object', args: { Bucket: STATE, Key: KEY, VersionId: v.VersionId } })),
        { client: 's3', method: 'put_object', args: { Bucket: STATE, Key: KEY, Body: '{"garbage": true}', ServerSideEncryption: 'AES256' } },
      ],
      env.state.region,
    );
    const run = await script(['restore', '--key', KEY, '--version-id', lockedVersion, '--force']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ command: 'restore', key: KEY, backupVersionId: lockedVersion, serial: good.serial, lineage: good.lineage });
    const restored = await readState(moto, STATE, KEY);
    expect(restored.lineage).toBe(good.lineage);
    const dir = build(1);
    await tofuOk(['init', '-input=false'], { cwd: dir });
    await tofuOk(['plan', '-input=false', '-detailed-exitcode', '-lock-timeout=0s'], { cwd: dir });
  }, 120_000);

  test("GIVEN the state bucket's synthesized policy WHEN put on the bucket THEN S3 (moto) accepts it and returns it unchanged — moto does not evaluate bucket policies, so the deny itself is asserted by the StateBackend and BootstrapStack tests", async () => {
    const policy = statePolicyJson();
    expect(JSON.parse(policy).Statement.map((s: { Sid: string }) => s.Sid)).toEqual(
      expect.arrayContaining(['DenyStateReadExceptNamedRoles', 'DenyStateWriteExceptReadWriteRoles', 'DenyLockWriteExceptLockingRoles']),
    );
    const [, stored] = await aws(
      moto,
      [
        { client: 's3', method: 'put_bucket_policy', args: { Bucket: STATE, Policy: policy } },
        { client: 's3', method: 'get_bucket_policy', args: { Bucket: STATE } },
      ],
      env.state.region,
    );
    expect(JSON.parse(stored!.Policy as string)).toEqual(JSON.parse(policy));
  }, 60_000);
});
