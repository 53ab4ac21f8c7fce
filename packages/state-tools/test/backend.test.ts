import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { stateKmsKeyAliasArn } from '@platform/naming';
import { environmentFixture, environmentOfTier, firstEnvironment, type MotoServer, startMoto, tofuOk } from '@platform/testing';
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

// The state settings of the first environment and a production one (as envone and envthree) (buckets, lock table, locking modes); only
// the endpoint and credentials are overridden, through the factory's test-only options.
const envone = environmentFixture(firstEnvironment(), {}, 'envone');
const envthree = environmentFixture(environmentOfTier('production'), {}, 'envthree');

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

  test('GIVEN envone and envthree stacks WHEN initialised and applied THEN each state sits at <env>/<stack>.tfstate in its own bucket, written with encryption, and neither touches the other', async () => {
    await createBackend(moto, { buckets: [envone.state.bucket, envthree.state.bucket], lockTable: envone.state.lockTable });
    const build = (round: number) =>
      synthStacks(path.join(work, 'cdktf.out'), motoFactoryOptions(moto), (app) => {
        new DataStack(app, envone, 'app', { round });
        new DataStack(app, envthree, 'app', { round });
      }, { keepInit: true });
    let dirs = build(1);
    // The synthesized backend asks for encryption; the factory did not drop it for the test endpoint.
    const devJson = JSON.parse(readFileSync(path.join(dirs['envone-app']!, 'cdk.tf.json'), 'utf8'));
    expect(devJson.terraform.backend.s3).toMatchObject({
      bucket: envone.state.bucket,
      key: 'envone/app.tfstate',
      encrypt: true,
      dynamodb_table: 'acme-tfstate-locks',
      use_lockfile: true,
    });

    // At once, as CI applies different stacks: separate buckets and keys, so neither may touch the other.
    await Promise.all([initAndApply(dirs['envone-app']!), initAndApply(dirs['envthree-app']!)]);

    expect(await listKeys(moto, envone.state.bucket)).toEqual(['envone/app.tfstate']);
    expect(await listKeys(moto, envthree.state.bucket)).toEqual(['envthree/app.tfstate']);
    const [devHead, prodHead] = await aws(moto, [
      { client: 's3', method: 'head_object', args: { Bucket: envone.state.bucket, Key: 'envone/app.tfstate' } },
      { client: 's3', method: 'head_object', args: { Bucket: envthree.state.bucket, Key: 'envthree/app.tfstate' } },
    ]);
    // The buckets have no default encryption here, so SSE-KMS with the state key on each object proves the
    // request carried the backend's kms_key_id (the state bucket's key, by alias ARN).
    expect(devHead).toMatchObject({ ServerSideEncryption: 'aws:kms', SSEKMSKeyId: stateKmsKeyAliasArn(envone.aws.accountId, envone.state.region, envone.state.bucket) });
    expect(prodHead).toMatchObject({ ServerSideEncryption: 'aws:kms', SSEKMSKeyId: stateKmsKeyAliasArn(envthree.aws.accountId, envthree.state.region, envthree.state.bucket) });
    const devState = await readState(moto, envone.state.bucket, 'envone/app.tfstate');
    expect(devState.resources.map((r) => `${r.type}.${r.name}`).sort()).toEqual([
      'terraform_data.Item0',
      'terraform_data.Item1',
      'terraform_data.Item2',
    ]);

    // Both lock tables' digests are recorded per bucket/key, and no lock is left behind.
    const [scan] = await aws(moto, [{ client: 'dynamodb', method: 'scan', args: { TableName: 'acme-tfstate-locks' } }]);
    const lockIds = (scan!.Items as Array<{ LockID: { S: string } }>).map((i) => i.LockID.S).sort();
    expect(lockIds).toEqual([`${envone.state.bucket}/envone/app.tfstate-md5`, `${envthree.state.bucket}/envthree/app.tfstate-md5`]);

    // A second envone apply writes a new envone version and leaves envthree's object exactly as it was.
    dirs = build(2);
    await initAndApply(dirs['envone-app']!);
    const [devAfter, prodAfter] = await aws(moto, [
      { client: 's3', method: 'head_object', args: { Bucket: envone.state.bucket, Key: 'envone/app.tfstate' } },
      { client: 's3', method: 'head_object', args: { Bucket: envthree.state.bucket, Key: 'envthree/app.tfstate' } },
    ]);
    expect(devAfter!.VersionId).not.toBe(devHead!.VersionId);
    expect(prodAfter!.VersionId).toBe(prodHead!.VersionId);
    expect(await listKeys(moto, envone.state.bucket)).toEqual(['envone/app.tfstate']);
    expect((await readState(moto, envone.state.bucket, 'envone/app.tfstate')).serial).toBeGreaterThan(devState.serial);
  }, 90_000);

  test('GIVEN several stacks of one environment WHEN applied THEN each has its own key under <env>/', async () => {
    await createBackend(moto, { buckets: [envone.state.bucket], lockTable: envone.state.lockTable });
    const dirs = synthStacks(path.join(work, 'cdktf.out'), motoFactoryOptions(moto), (app) => {
      for (const name of ['network', 'data', 'services']) new DataStack(app, envone, name, { items: 1 });
    });
    await Promise.all(Object.values(dirs).map((dir) => initAndApply(dir)));
    expect(await listKeys(moto, envone.state.bucket)).toEqual([
      'envone/data.tfstate',
      'envone/network.tfstate',
      'envone/services.tfstate',
    ]);
  }, 60_000);

  // The backend names its key (`kms_key_id`): a bucket default with another key does not decide what
  // encrypts state, so state and its backups never depend on a bucket setting someone can change.
  test('GIVEN a state bucket whose default encryption is SSE-KMS with another key WHEN tofu writes state THEN the object is encrypted with the backend\'s kms_key_id', async () => {
    await createBackend(moto, { buckets: [envone.state.bucket], lockTable: envone.state.lockTable });
    const [key] = await aws(moto, [{ client: 'kms', method: 'create_key', args: {} }]);
    const keyArn = (key!.KeyMetadata as { Arn: string }).Arn;
    await aws(moto, [
      {
        client: 's3',
        method: 'put_bucket_encryption',
        args: {
          Bucket: envone.state.bucket,
          ServerSideEncryptionConfiguration: {
            Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: keyArn } }],
          },
        },
      },
    ]);
    const dirs = synthStacks(
      path.join(work, 'cdktf.out'),
      motoFactoryOptions(moto),
      (app) => new DataStack(app, envone, 'app', { items: 1 }),
    );
    await initAndApply(dirs['envone-app']!);
    const [head] = await aws(moto, [
      { client: 's3', method: 'head_object', args: { Bucket: envone.state.bucket, Key: 'envone/app.tfstate' } },
    ]);
    expect(head).toMatchObject({ ServerSideEncryption: 'aws:kms', SSEKMSKeyId: stateKmsKeyAliasArn(envone.aws.accountId, envone.state.region, envone.state.bucket) });
    expect(head!.SSEKMSKeyId).not.toBe(keyArn);
    const plan = await tofuOk(['plan', '-detailed-exitcode', '-input=false'], { cwd: dirs['envone-app']! });
    expect(plan.stdout).toContain('No changes.');
  }, 60_000);
});
