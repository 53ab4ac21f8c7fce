import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { loadEnvironments } from '@platform/config';
import { environmentFixture, environmentNamesSorted, firstEnvironment, generatedEnvironmentName, repoRoot } from '@platform/testing';
import { main, stateBuckets } from './state-buckets';

const envDir = path.join(repoRoot, 'envs');
const FIRST = firstEnvironment();
const MISSING = generatedEnvironmentName('missing');

function run(argv: string[]): { code: number; out: string; err: string } {
  let out = '';
  let err = '';
  const code = main(
    argv,
    (s) => (out += s),
    (s) => (err += s),
  );
  return { code, out, err };
}

describe('state-buckets', () => {
  test('GIVEN the real environment files WHEN listed THEN each environment has its state bucket, backup bucket, lock table and region', () => {
    const buckets = stateBuckets(loadEnvironments(envDir, { root: repoRoot }));
    expect(Object.keys(buckets)).toEqual(environmentNamesSorted());
    for (const env of loadEnvironments(envDir, { root: repoRoot })) {
      expect(buckets[env.name]).toEqual({
        env: env.name,
        accountId: env.aws.accountId,
        region: env.state.region,
        stateBucket: env.state.bucket,
        backupBucket: `${env.state.bucket}-backup`,
        backupRegion: env.state.backup.region,
        ...(env.state.lockTable ? { lockTable: env.state.lockTable } : {}),
        useLockfile: env.state.useLockfile,
        stateKeyPrefix: `${env.name}/`,
        deployRoleArn: `arn:aws:iam::${env.aws.accountId}:role/${env.aws.deployRoleName}`,
      });
    }
  });

  test('GIVEN an environment without a lock table WHEN listed THEN lockTable is absent', () => {
    const env = environmentFixture(FIRST, { state: { lockTable: undefined, useLockfile: true } });
    expect(stateBuckets([env])[FIRST]).not.toHaveProperty('lockTable');
  });

  test('GIVEN --env <one environment> WHEN run THEN only that entry is printed as JSON', () => {
    const { code, out } = run(['--env-dir', envDir, '--env', FIRST]);
    expect(code).toBe(0);
    expect(JSON.parse(out)).toMatchObject({ env: FIRST, stateBucket: environmentFixture(FIRST).state.bucket });
  });

  test.each([
    [['--env', MISSING], new RegExp(`^error: --env "${MISSING}": no such environment — choose from ${environmentNamesSorted().join(', ')}\\n$`)],
    [['--colour'], /^error: unknown or incomplete argument "--colour"\nusage: /],
    [['--env'], /^error: unknown or incomplete argument "--env"/],
  ])('GIVEN %j WHEN run THEN it exits 1 naming the problem', (argv, message) => {
    const { code, err, out } = run(['--env-dir', envDir, ...argv]);
    expect(code).toBe(1);
    expect(out).toBe('');
    expect(err).toMatch(message);
  });

  test('GIVEN a broken environment file WHEN run THEN the config error is printed without a stack trace', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'state-buckets-'));
    try {
      cpSync(envDir, dir, { recursive: true });
      writeFileSync(
        path.join(dir, `${FIRST}.yaml`),
        readFileSync(path.join(envDir, `${FIRST}.yaml`), 'utf8').replace(
          `bucket: ${environmentFixture(FIRST).state.bucket}`,
          'bucket: Not_A_Bucket',
        ),
      );
      const { code, err } = run(['--env-dir', dir]);
      expect(code).toBe(1);
      expect(err).toMatch(new RegExp(`${FIRST}\\.yaml:\\d+: state\\.bucket "Not_A_Bucket" is not a state bucket name`));
      expect(err).not.toMatch(/^\s+at /m);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('GIVEN the workflow invocation `npx tsx packages/state-tools/src/state-buckets.ts` WHEN run from the repository root THEN it prints every environment', () => {
    const result = spawnSync(
      path.join(repoRoot, 'node_modules', '.bin', 'tsx'),
      ['packages/state-tools/src/state-buckets.ts'],
      { cwd: repoRoot, encoding: 'utf8' },
    );
    expect(result.status).toBe(0);
    expect(Object.keys(JSON.parse(result.stdout))).toEqual(environmentNamesSorted());
  });
});
