import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { stateBackupBucketName } from '@platform/naming';
import { environmentFixture, firstEnvironment, generatedEnvironmentName, type MotoServer, startMoto } from '@platform/testing';
import { aws, createBackend, listKeys, runBackupScript } from '../test/harness';
import { stateBuckets } from './state-buckets';

/**
 * The daily copy stays inside what the environment's backup role may touch (modules/ci-identity
 * `backupStatements`: `<env>/*.tfstate` of the state bucket, `<env>/` of the backup bucket): another
 * environment's state in the same bucket and the administrator's `bootstrap.tfstate` are neither read nor
 * written. Real backup_state.py against moto; moto does not evaluate IAM, so this checks what the script
 * asks for, and the role's statements are checked by the construct tests and parliament.
 */
const env = environmentFixture(firstEnvironment());
const OTHER = generatedEnvironmentName('scope');
const STATE = env.state.bucket;
const BACKUP = stateBackupBucketName(STATE);
const BODY = JSON.stringify({ version: 4, serial: 1, lineage: 'scope-test', resources: [] });

describe('backup_state.py scoped to one environment (moto)', () => {
  let moto: MotoServer;
  let work: string;
  let bucketsJson: string;

  beforeAll(async () => {
    moto = await startMoto();
    work = mkdtempSync(path.join(tmpdir(), 'backup-scope-'));
    bucketsJson = path.join(work, 'state-buckets.json');
    writeFileSync(bucketsJson, JSON.stringify(stateBuckets([env])));
    await createBackend(moto, { buckets: [STATE, BACKUP] });
    const put = (Bucket: string, Key: string) => ({ client: 's3' as const, method: 'put_object', args: { Bucket, Key, Body: BODY, ServerSideEncryption: 'AES256' } });
    await aws(moto, [
      put(STATE, `${env.name}/app.tfstate`),
      put(STATE, `${OTHER}/app.tfstate`),
      put(STATE, 'bootstrap.tfstate'),
      // Another environment's earlier copy in the shared backup bucket.
      put(BACKUP, `${OTHER}/app.tfstate`),
    ]);
  }, 60_000);
  afterAll(async () => {
    await moto?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  test("GIVEN state of two environments and the bootstrap in one bucket WHEN `backup --env <env>` runs THEN only <env>/*.tfstate is read and copied, under <env>/, and the other environment's copy is untouched", async () => {
    // As the daily workflow runs it: its own process.
    const run = await runBackupScript(moto, ['backup', '--env', env.name, '--buckets-json', bucketsJson], { ownProcess: true });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const summary = JSON.parse(run.stdout) as { copied: Array<{ key: string }>; unchanged: string[] };
    expect(summary.copied.map((c) => c.key)).toEqual([`${env.name}/app.tfstate`]);
    expect(summary.unchanged).toEqual([]);
    expect(await listKeys(moto, BACKUP)).toEqual([`${env.name}/app.tfstate`, `${OTHER}/app.tfstate`].sort());

    // The second run finds its copy by listing its prefix (no HEAD of a key that may not exist).
    const again = await runBackupScript(moto, ['backup', '--env', env.name, '--buckets-json', bucketsJson]);
    expect(JSON.parse(again.stdout)).toMatchObject({ copied: [], unchanged: [`${env.name}/app.tfstate`] });
  }, 60_000);

  test('GIVEN copies of two environments in the backup bucket WHEN `list --env <env>` runs THEN it lists only its own prefix', async () => {
    const run = await runBackupScript(moto, ['list', '--env', env.name, '--buckets-json', bucketsJson]);
    expect(run.code).toBe(0);
    const keys = (JSON.parse(run.stdout) as { versions: Array<{ key: string }> }).versions.map((v) => v.key);
    expect([...new Set(keys)]).toEqual([`${env.name}/app.tfstate`]);
  }, 60_000);

  test('GIVEN buckets named directly (a person with break-glass rights) WHEN `backup` runs without --env THEN every state object is copied, the bootstrap state too', async () => {
    const run = await runBackupScript(moto, ['backup', '--state-bucket', STATE, '--backup-bucket', BACKUP, '--region', env.state.region]);
    expect(run.stderr).toBe('');
    const summary = JSON.parse(run.stdout) as { copied: Array<{ key: string }>; unchanged: string[] };
    expect([...summary.copied.map((c) => c.key), ...summary.unchanged].sort()).toEqual(['bootstrap.tfstate', `${env.name}/app.tfstate`, `${OTHER}/app.tfstate`].sort());
  }, 60_000);
});
