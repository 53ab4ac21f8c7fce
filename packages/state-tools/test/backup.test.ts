import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { stateBackupBucketName } from '@platform/naming';
import { environmentFixture, firstEnvironment, generatedEnvironmentName, type MotoServer, startMoto, tofuOk } from '@platform/testing';
import { stateBuckets } from '../src/state-buckets';
import {
  aws,
  createBackend,
  DataStack,
  initAndApply,
  initOnce,
  listKeys,
  motoFactoryOptions,
  readState,
  runBackupScript,
  synthStacks,
} from './harness';

// The first environment's bucket, backup bucket (from the naming helper) and lock table.
const dev = environmentFixture(firstEnvironment());
const MISSING = generatedEnvironmentName('backup');
const STATE = dev.state.bucket;
const BACKUP = stateBackupBucketName(STATE);
const TABLE = dev.state.lockTable!;

interface BackupSummary {
  copied: Array<{ key: string; sourceVersionId: string; backupVersionId: string }>;
  unchanged: string[];
}
interface ListSummary {
  versions: Array<{ key: string; versionId: string; lastModified: string; isLatest: boolean; sourceVersionId: string }>;
}

describe('state backup and restore (backup_state.py + OpenTofu + moto)', () => {
  let moto: MotoServer;
  let work: string;
  let dirs: Record<string, string>;
  let bucketsJson: string;
  let kmsKeyArn: string;

  /** backup_state.py with the buckets of that environment, as state-buckets.ts prints them (saved once). */
  const script = async (args: string[]) =>
    runBackupScript(moto, [...args, '--env', dev.name, '--buckets-json', bucketsJson]);
  const ok = async <T>(args: string[]): Promise<T> => {
    const run = await script(args);
    if (run.code !== 0) throw new Error(`backup_state.py ${args.join(' ')} exited ${run.code}: ${run.stderr}`);
    return JSON.parse(run.stdout) as T;
  };
  const build = (round: number) =>
    synthStacks(path.join(work, 'cdktf.out'), motoFactoryOptions(moto), (app) => {
      new DataStack(app, dev, 'app', { round });
      new DataStack(app, dev, 'network', { round: 1, items: 1 });
    }, { keepInit: true });
  const planExitCode = async (dir: string) =>
    (await tofuOk(['plan', '-input=false', '-detailed-exitcode', '-lock-timeout=0s'], { cwd: dir, okCodes: [0, 2] })).code;

  beforeAll(async () => {
    moto = await startMoto();
    work = mkdtempSync(path.join(tmpdir(), 'state-backup-'));
    bucketsJson = path.join(work, 'state-buckets.json');
    writeFileSync(bucketsJson, JSON.stringify(stateBuckets([dev])));
    await createBackend(moto, { buckets: [STATE, BACKUP], lockTable: TABLE });
    // Both buckets encrypt with a KMS key by default, as StateBackend configures them.
    const [key] = await aws(moto, [{ client: 'kms', method: 'create_key', args: {} }]);
    kmsKeyArn = (key!.KeyMetadata as { Arn: string }).Arn;
    await aws(
      moto,
      [STATE, BACKUP].map((Bucket) => ({
        client: 's3' as const,
        method: 'put_bucket_encryption',
        args: {
          Bucket,
          ServerSideEncryptionConfiguration: {
            Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: kmsKeyArn } }],
          },
        },
      })),
    );
    dirs = build(1);
    await Promise.all(Object.values(dirs).map((dir) => initAndApply(dir)));
    // Not state: must not be copied.
    await aws(moto, [
      {
        client: 's3',
        method: 'put_object',
        args: { Bucket: STATE, Key: 'notes/readme.txt', Body: 'hello', ServerSideEncryption: 'AES256' },
      },
    ]);
  }, 60_000);
  afterAll(async () => {
    await moto?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  test('GIVEN two state objects WHEN the CI invocation `backup_state.py backup --env <env>` runs THEN every state object is copied, KMS-encrypted, with its source version; a second run copies nothing', async () => {
    // Exactly what the workflow runs: bucket names resolved from envs/ through state-buckets.ts.
    const run = await runBackupScript(moto, ['backup', '--env', dev.name], { ownProcess: true });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const summary = JSON.parse(run.stdout) as BackupSummary & { stateBucket: string; backupBucket: string };
    expect(summary).toMatchObject({ stateBucket: STATE, backupBucket: BACKUP, unchanged: [] });
    expect(summary.copied.map((c) => c.key)).toEqual([`${dev.name}/app.tfstate`, `${dev.name}/network.tfstate`]);
    expect(await listKeys(moto, BACKUP)).toEqual([`${dev.name}/app.tfstate`, `${dev.name}/network.tfstate`]);

    const [source, copy] = await aws(moto, [
      { client: 's3', method: 'get_object', args: { Bucket: STATE, Key: `${dev.name}/app.tfstate` } },
      { client: 's3', method: 'get_object', args: { Bucket: BACKUP, Key: `${dev.name}/app.tfstate` } },
    ]);
    expect(copy!.Body).toBe(source!.Body);
    expect(copy).toMatchObject({
      ServerSideEncryption: 'aws:kms',
      SSEKMSKeyId: kmsKeyArn,
      Metadata: { 'source-bucket': STATE, 'source-version-id': source!.VersionId },
    });

    const again = await ok<BackupSummary>(['backup']);
    expect(again.copied).toEqual([]);
    expect(again.unchanged).toEqual([`${dev.name}/app.tfstate`, `${dev.name}/network.tfstate`]);
  }, 60_000);

  test('GIVEN one stack changed WHEN backed up again THEN only its state is copied, as a new backup version', async () => {
    await new Promise((r) => setTimeout(r, 1_100)); // S3 times have 1 s resolution; keep backups apart
    dirs = build(2);
    await initAndApply(dirs[`${dev.name}-app`]!);
    await initOnce(dirs[`${dev.name}-network`]!);
    const summary = await ok<BackupSummary>(['backup']);
    expect(summary.copied.map((c) => c.key)).toEqual([`${dev.name}/app.tfstate`]);
    expect(summary.unchanged).toEqual([`${dev.name}/network.tfstate`]);
    const list = await ok<ListSummary>(['list', '--key', `${dev.name}/app.tfstate`]);
    expect(list.versions).toHaveLength(2);
    expect(list.versions[0]!.isLatest).toBe(true);
  }, 60_000);

  test('GIVEN a corrupted state WHEN restored from the newest backup THEN the object and its DynamoDB digest are back and the plan shows no changes', async () => {
    const good = await readState(moto, STATE, `${dev.name}/app.tfstate`);
    await aws(moto, [
      {
        client: 's3',
        method: 'put_object',
        args: { Bucket: STATE, Key: `${dev.name}/app.tfstate`, Body: '{"not": "a state"', ServerSideEncryption: 'AES256' },
      },
    ]);

    const restored = await ok<{ serial: number; lineage: string; digestUpdated: boolean }>([
      'restore',
      '--key',
      `${dev.name}/app.tfstate`,
    ]);
    expect(restored).toMatchObject({ serial: good.serial, lineage: good.lineage, digestUpdated: true });
    expect(await readState(moto, STATE, `${dev.name}/app.tfstate`)).toEqual(good);
    const [head] = await aws(moto, [
      { client: 's3', method: 'head_object', args: { Bucket: STATE, Key: `${dev.name}/app.tfstate` } },
    ]);
    expect(head).toMatchObject({ ServerSideEncryption: 'aws:kms', SSEKMSKeyId: kmsKeyArn });
    // Without the digest update the backend would retry for 10 s, then refuse the state.
    expect(await planExitCode(dirs[`${dev.name}-app`]!)).toBe(0);
  }, 60_000);

  test('GIVEN a deleted state WHEN restored THEN it is back and the plan shows no changes', async () => {
    const good = await readState(moto, STATE, `${dev.name}/network.tfstate`);
    await aws(moto, [{ client: 's3', method: 'delete_object', args: { Bucket: STATE, Key: `${dev.name}/network.tfstate` } }]);
    expect(await listKeys(moto, STATE)).not.toContain(`${dev.name}/network.tfstate`);
    await ok(['restore', '--key', `${dev.name}/network.tfstate`]);
    expect(await readState(moto, STATE, `${dev.name}/network.tfstate`)).toEqual(good);
    expect(await planExitCode(dirs[`${dev.name}-network`]!)).toBe(0);
  }, 60_000);

  test('GIVEN --before the second backup WHEN restored THEN the older backup comes back (and the newest restores it forward again)', async () => {
    const list = await ok<ListSummary>(['list', '--key', `${dev.name}/app.tfstate`]);
    const older = list.versions[1]!;
    const summary = await ok<{ backupVersionId: string; serial: number }>([
      'restore',
      '--key',
      `${dev.name}/app.tfstate`,
      '--before',
      older.lastModified,
    ]);
    expect(summary.backupVersionId).toBe(older.versionId);
    // The old state predates round 2: the plan wants to update the resources again.
    expect(await planExitCode(dirs[`${dev.name}-app`]!)).toBe(2);
    const newest = await ok<{ backupVersionId: string }>([
      'restore',
      '--key',
      `${dev.name}/app.tfstate`,
      '--version-id',
      list.versions[0]!.versionId,
    ]);
    expect(newest.backupVersionId).toBe(list.versions[0]!.versionId);
    expect(await planExitCode(dirs[`${dev.name}-app`]!)).toBe(0);
  }, 60_000);

  test('GIVEN a held lock WHEN restoring THEN the restore is refused naming the lock; --dry-run changes nothing', async () => {
    const lockId = `${STATE}/${dev.name}/app.tfstate`;
    await aws(moto, [
      {
        client: 'dynamodb',
        method: 'put_item',
        args: {
          TableName: TABLE,
          Item: { LockID: { S: lockId }, Info: { S: '{"ID":"abc","Operation":"OperationTypeApply"}' } },
        },
      },
    ]);
    const before = await aws(moto, [
      { client: 's3', method: 'head_object', args: { Bucket: STATE, Key: `${dev.name}/app.tfstate` } },
    ]);
    const refused = await script(['restore', '--key', `${dev.name}/app.tfstate`]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(
      new RegExp(`^backup_state\\.py restore: ${dev.name}/app\\.tfstate is locked`),
    );
    expect(refused.stderr).toMatch(
      /\.tfstate is locked \(DynamoDB acme-tfstate-locks: .*"ID":"abc".*\) — wait for the run to finish, or release a stale lock with `tofu force-unlock` first/,
    );
    await aws(moto, [
      { client: 'dynamodb', method: 'delete_item', args: { TableName: TABLE, Key: { LockID: { S: lockId } } } },
    ]);

    const dry = await ok<{ dryRun: boolean }>(['restore', '--key', `${dev.name}/app.tfstate`, '--dry-run']);
    expect(dry.dryRun).toBe(true);
    const after = await aws(moto, [
      { client: 's3', method: 'head_object', args: { Bucket: STATE, Key: `${dev.name}/app.tfstate` } },
    ]);
    expect(after[0]!.VersionId).toBe(before[0]!.VersionId);
  }, 60_000);

  test.each([
    [['backup', '--env', MISSING], new RegExp(`backup_state\\.py backup: --env "${MISSING}": no such environment — choose from `)],
    [
      ['restore', '--env', dev.name, '--key', `${dev.name}/nothing.tfstate`],
      new RegExp(`no backup of ${dev.name}/nothing\\.tfstate in s3://${BACKUP}`),
    ],
    [
      ['restore', '--env', dev.name, '--key', `${dev.name}/app.json`],
      new RegExp(`--key "${dev.name}/app\\.json" is not a state key — use "<env>/<stack>\\.tfstate"`),
    ],
    [
      ['restore', '--env', dev.name, '--key', `${dev.name}/app.tfstate`, '--before', 'yesterday'],
      /--before "yesterday" is not an ISO 8601 time/,
    ],
    [
      ['restore', '--env', dev.name, '--key', `${dev.name}/app.tfstate`, '--version-id', 'nope'],
      new RegExp(`--version-id "nope" is not a backup version of ${dev.name}/app\\.tfstate — choose from `),
    ],
  ])('GIVEN %j WHEN run THEN it exits 1 with a message naming the problem', async (args, message) => {
    const run = await runBackupScript(moto, [...args, '--buckets-json', bucketsJson]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(message);
    expect(run.stderr).not.toContain('Traceback');
  });
});
