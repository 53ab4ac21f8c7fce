import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { environmentFixture, type MotoServer, startMoto, tofuOk } from '@platform/testing';
import {
  aws,
  createBackend,
  DataStack,
  initAndApply,
  listKeys,
  motoFactoryOptions,
  readState,
  synthStacks,
} from './harness';

// The real environment files' dev and prod state settings (buckets, lock table, locking modes); only
// the endpoint and credentials are overridden, through the factory's test-only options.
const dev = environmentFixture('dev');
const prod = environmentFixture('prod');

describe('S3 backend against a real engine (OpenTofu + moto)', () => {
  let moto: MotoServer;
  let work: string;
  beforeAll(async () => {
    moto = await startMoto();
  });
  afterAll(async () => {
    await moto?.stop();
  });
  beforeEach(async () => {
    await moto.reset();
    work = mkdtempSync(path.join(tmpdir(), 'state-backend-'));
  });
  afterEach(() => rmSync(work, { recursive: true, force: true }));

  test('GIVEN dev and prod stacks WHEN initialised and applied THEN each state sits at <env>/<stack>.tfstate in its own bucket, written with encryption, and neither touches the other', async () => {
    await createBackend(moto, { buckets: [dev.state.bucket, prod.state.bucket], lockTable: dev.state.lockTable });
    const build = (round: number) =>
      synthStacks(path.join(work, 'cdktf.out'), motoFactoryOptions(moto), (app) => {
        new DataStack(app, dev, 'app', { round });
        new DataStack(app, prod, 'app', { round });
      }, { keepInit: true });
    let dirs = build(1);
    // The synthesized backend asks for encryption; the factory did not drop it for the test endpoint.
    const devJson = JSON.parse(readFileSync(path.join(dirs['dev-app']!, 'cdk.tf.json'), 'utf8'));
    expect(devJson.terraform.backend.s3).toMatchObject({
      bucket: dev.state.bucket,
      key: 'dev/app.tfstate',
      encrypt: true,
      dynamodb_table: 'acme-tfstate-locks',
      use_lockfile: true,
    });

    // At once, as CI applies different stacks: separate buckets and keys, so neither may touch the other.
    await Promise.all([initAndApply(dirs['dev-app']!), initAndApply(dirs['prod-app']!)]);

    expect(await listKeys(moto, dev.state.bucket)).toEqual(['dev/app.tfstate']);
    expect(await listKeys(moto, prod.state.bucket)).toEqual(['prod/app.tfstate']);
    const [devHead, prodHead] = await aws(moto, [
      { client: 's3', method: 'head_object', args: { Bucket: dev.state.bucket, Key: 'dev/app.tfstate' } },
      { client: 's3', method: 'head_object', args: { Bucket: prod.state.bucket, Key: 'prod/app.tfstate' } },
    ]);
    // The buckets have no default encryption here, so SSE on the object proves the request carried it.
    expect(devHead!.ServerSideEncryption).toBe('AES256');
    expect(prodHead!.ServerSideEncryption).toBe('AES256');
    const devState = await readState(moto, dev.state.bucket, 'dev/app.tfstate');
    expect(devState.resources.map((r) => `${r.type}.${r.name}`).sort()).toEqual([
      'terraform_data.Item0',
      'terraform_data.Item1',
      'terraform_data.Item2',
    ]);

    // Both lock tables' digests are recorded per bucket/key, and no lock is left behind.
    const [scan] = await aws(moto, [{ client: 'dynamodb', method: 'scan', args: { TableName: 'acme-tfstate-locks' } }]);
    const lockIds = (scan!.Items as Array<{ LockID: { S: string } }>).map((i) => i.LockID.S).sort();
    expect(lockIds).toEqual([`${dev.state.bucket}/dev/app.tfstate-md5`, `${prod.state.bucket}/prod/app.tfstate-md5`]);

    // A second dev apply writes a new dev version and leaves prod's object exactly as it was.
    dirs = build(2);
    await initAndApply(dirs['dev-app']!);
    const [devAfter, prodAfter] = await aws(moto, [
      { client: 's3', method: 'head_object', args: { Bucket: dev.state.bucket, Key: 'dev/app.tfstate' } },
      { client: 's3', method: 'head_object', args: { Bucket: prod.state.bucket, Key: 'prod/app.tfstate' } },
    ]);
    expect(devAfter!.VersionId).not.toBe(devHead!.VersionId);
    expect(prodAfter!.VersionId).toBe(prodHead!.VersionId);
    expect(await listKeys(moto, dev.state.bucket)).toEqual(['dev/app.tfstate']);
    expect((await readState(moto, dev.state.bucket, 'dev/app.tfstate')).serial).toBeGreaterThan(devState.serial);
  }, 90_000);

  test('GIVEN several stacks of one environment WHEN applied THEN each has its own key under <env>/', async () => {
    await createBackend(moto, { buckets: [dev.state.bucket], lockTable: dev.state.lockTable });
    const dirs = synthStacks(path.join(work, 'cdktf.out'), motoFactoryOptions(moto), (app) => {
      for (const name of ['network', 'data', 'services']) new DataStack(app, dev, name, { items: 1 });
    });
    await Promise.all(Object.values(dirs).map((dir) => initAndApply(dir)));
    expect(await listKeys(moto, dev.state.bucket)).toEqual([
      'dev/data.tfstate',
      'dev/network.tfstate',
      'dev/services.tfstate',
    ]);
  }, 60_000);

  // Characterisation of the engine, recorded for the state-backend design: `encrypt = true` without
  // `kms_key_id` asks S3 for SSE-S3 explicitly, and S3 honours the request over the bucket default.
  test('GIVEN a state bucket whose default encryption is SSE-KMS WHEN tofu writes state THEN the object is AES256, because the backend asks for it', async () => {
    await createBackend(moto, { buckets: [dev.state.bucket], lockTable: dev.state.lockTable });
    const [key] = await aws(moto, [{ client: 'kms', method: 'create_key', args: {} }]);
    const keyArn = (key!.KeyMetadata as { Arn: string }).Arn;
    await aws(moto, [
      {
        client: 's3',
        method: 'put_bucket_encryption',
        args: {
          Bucket: dev.state.bucket,
          ServerSideEncryptionConfiguration: {
            Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: keyArn } }],
          },
        },
      },
    ]);
    const dirs = synthStacks(
      path.join(work, 'cdktf.out'),
      motoFactoryOptions(moto),
      (app) => new DataStack(app, dev, 'app', { items: 1 }),
    );
    await initAndApply(dirs['dev-app']!);
    const [head] = await aws(moto, [
      { client: 's3', method: 'head_object', args: { Bucket: dev.state.bucket, Key: 'dev/app.tfstate' } },
    ]);
    expect(head).toMatchObject({ ServerSideEncryption: 'AES256' });
    expect(head).not.toHaveProperty('SSEKMSKeyId');
    const plan = await tofuOk(['plan', '-detailed-exitcode', '-input=false'], { cwd: dirs['dev-app']! });
    expect(plan.stdout).toContain('No changes.');
  }, 60_000);
});
