import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { bootstrapStateKey } from '@platform/naming';
import {
  BootstrapStack,
  bootstrapTargets,
  LOCAL_STATE_DIR,
  type BootstrapBackend,
} from '@platform/stacks/bootstrap-stack';
import { environmentFixture, firstEnvironment, type MotoServer, startMoto, tofuOk } from '@platform/testing';
import { DataResource } from 'cdktf';
import { aws, createBackend, listKeys, motoFactoryOptions, readState, synthStacks, type StateFile } from './harness';

// The first environment (as envone): its bucket and lock table are what the bootstrap creates and moves into.
const envone = environmentFixture(firstEnvironment(), {}, 'envone');
const [target] = bootstrapTargets([envone]);

/**
 * The real BootstrapStack (backend selection, required version, ids), with its StateBackend (and CI identity) swapped
 * for `terraform_data` stand-ins: the AWS resources need the AWS provider, which needs a registry
 * download, so the test creates the bucket and table in moto itself where the apply would have.
 */
function bootstrapWithStandIns(outdir: string, moto: MotoServer, backend: BootstrapBackend): string {
  return synthStacks(outdir, motoFactoryOptions(moto), (app) => {
    const stack = new BootstrapStack(app, target!, { backend });
    expect(stack.node.tryRemoveChild('StateBackend')).toBe(true);
    expect(stack.node.tryRemoveChild('CiIdentity')).toBe(true); // IAM only: nothing the migration reads
    new DataResource(stack, 'Bucket', { input: { bucket: target!.bucket } });
    new DataResource(stack, 'LockTable', { input: { table: target!.lockTable } });
    new DataResource(stack, 'Backup', { input: { bucket: target!.backupBucket } });
  })['envone-bootstrap']!;
}

describe('bootstrap: local state first, then migrated into the bucket it created (docs/bootstrap.md)', () => {
  let moto: MotoServer;
  let work: string;
  beforeAll(async () => {
    moto = await startMoto();
    work = mkdtempSync(path.join(tmpdir(), 'state-bootstrap-'));
  });
  afterAll(async () => {
    await moto?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  test('GIVEN the bootstrap applied on its local backend WHEN re-synthesized for S3 and initialised with -migrate-state THEN its state is in the bucket at bootstrap.tfstate and the plan shows no changes', async () => {
    const outdir = path.join(work, 'cdktf.out');

    // 1. PLATFORM_BOOTSTRAP_BACKEND=local synth, init, apply: the state is a file beside cdktf.out.
    let dir = bootstrapWithStandIns(outdir, moto, 'local');
    expect(JSON.parse(readFileSync(path.join(dir, 'cdk.tf.json'), 'utf8')).terraform.backend).toEqual({
      local: { path: '../../../terraform.tfstate.d/envone-bootstrap.tfstate' },
    });
    await tofuOk(['init', '-input=false'], { cwd: dir });
    await tofuOk(['apply', '-auto-approve', '-input=false'], { cwd: dir });
    const localFile = path.join(work, LOCAL_STATE_DIR, 'envone-bootstrap.tfstate');
    const local = JSON.parse(readFileSync(localFile, 'utf8')) as StateFile;
    expect(local.resources).toHaveLength(3);
    // (What the real apply creates: the bucket, versioned, and the lock table.)
    await createBackend(moto, { buckets: [target!.bucket], lockTable: target!.lockTable });

    // 2. Plain synth (S3 is the default): the output folder is replaced, the local state survives.
    dir = bootstrapWithStandIns(outdir, moto, 's3');
    expect(existsSync(path.join(dir, '.terraform'))).toBe(false);
    expect(existsSync(localFile)).toBe(true);
    expect(JSON.parse(readFileSync(path.join(dir, 'cdk.tf.json'), 'utf8')).terraform.backend.s3).toMatchObject({
      bucket: target!.bucket,
      key: 'bootstrap.tfstate',
      encrypt: true,
      dynamodb_table: target!.lockTable,
      use_lockfile: true,
    });

    // 3. Copy the local state in as terraform.tfstate and migrate it.
    copyFileSync(localFile, path.join(dir, 'terraform.tfstate'));
    await tofuOk(['init', '-input=false', '-migrate-state', '-force-copy'], { cwd: dir });

    // 4. Verify: the object exists with the same resources, encrypted; the plan is empty. (OpenTofu
    // 1.10 gives a state written into an empty backend a fresh lineage, so only resources carry over.)
    expect(await listKeys(moto, target!.bucket)).toEqual([bootstrapStateKey()]);
    const migrated = await readState(moto, target!.bucket, bootstrapStateKey());
    expect(migrated.resources).toEqual(local.resources);
    expect(migrated.serial).toBe(local.serial);
    const [head] = await aws(moto, [
      { client: 's3', method: 'head_object', args: { Bucket: target!.bucket, Key: bootstrapStateKey() } },
    ]);
    expect(head!.ServerSideEncryption).toBe('aws:kms'); // the backend's kms_key_id: the state key it created
    const plan = await tofuOk(['plan', '-input=false', '-detailed-exitcode'], { cwd: dir });
    expect(plan.stdout).toContain('No changes.');
    const list = await tofuOk(['state', 'list'], { cwd: dir });
    expect(list.stdout.trim().split('\n')).toEqual([
      'terraform_data.Backup',
      'terraform_data.Bucket',
      'terraform_data.LockTable',
    ]);
    // tofu empties the copied-in file once migrated (a .backup remains until you delete it).
    expect(statSync(path.join(dir, 'terraform.tfstate')).size).toBe(0);

    // 5. From now on the stack runs against the bucket, locked like the environments' stacks.
    await tofuOk(['apply', '-auto-approve', '-input=false'], { cwd: dir });
    expect(await readState(moto, target!.bucket, bootstrapStateKey())).toEqual(migrated);
    const [digest] = await aws(moto, [
      {
        client: 'dynamodb',
        method: 'get_item',
        args: { TableName: target!.lockTable, Key: { LockID: { S: `${target!.bucket}/${bootstrapStateKey()}-md5` } } },
      },
    ]);
    expect(digest!.Item).toBeDefined();
  }, 60_000);
});
