/**
 * The "self-lock", reproduced on purpose: a real HTTP proxy on 127.0.0.1 between OpenTofu and moto lets the
 * engine's conditional lock write reach moto, then loses its reply. The AWS SDK in the engine retries the
 * write, the retry fails its condition against the lock the first attempt took, and the engine reports a
 * lock held by itself, and leaves it behind (opentofu#4405; still so in the OpenTofu these tests build).
 * A late reply, by contrast, is harmless: the engine has no request timeout and waits for it.
 *
 * This is a characterisation of the engine: if a future OpenTofu recovers from its own lock, these tests
 * fail, and docs/runbooks/state-surgery.md ("Stuck lock after a network error") must be revised with them.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { runPlan } from '@platform/cli/src/commands/plan';
import { diagnoseLockOutput, runnerIdentity } from '@platform/cli/src/lib/lock-diagnosis';
import { environmentFixture, firstEnvironment, type FaultProxy, forceUnlock, type MotoServer, startFaultProxy, startMoto, toolPath, tofu, tofuEnv, tofuOk } from '@platform/testing';
import { aws, createBackend, DataStack, motoFactoryOptions, synthStacks } from './harness';

const KEY = 'selflock/app.tfstate';

/**
 * A time as Go's encoding/json writes it (RFC 3339, trailing zeros of the fraction dropped). The engine's
 * unlock deletes the DynamoDB item only if its `Info` is byte-equal to the lock info it re-encodes, so a
 * lock written here must be encoded exactly as the engine would.
 */
function goTimeJson(date: Date): string {
  return date.toISOString().replace(/\.?0+Z$/, 'Z');
}

let moto: MotoServer;
let proxy: FaultProxy;
let work: string;
beforeAll(async () => {
  moto = await startMoto();
  proxy = await startFaultProxy(moto.endpoint);
  work = mkdtempSync(path.join(tmpdir(), 'state-self-lock-'));
});
afterAll(async () => {
  await proxy?.stop();
  await moto?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

const MODES = [
  {
    label: 'the DynamoDB lock table',
    bucket: 'it-selflock-dynamodb',
    lockTable: 'it-selflock-locks' as string | undefined,
    useLockfile: false,
    /** The lock write (a plan writes no state, so no digest PutItem either). */
    isLockWrite: (r: { method: string; url: string; target?: string }) => r.target === 'DynamoDB_20120810.PutItem',
    conditionError: /ConditionalCheckFailedException/,
  },
  {
    label: 'S3 native locking (use_lockfile)',
    bucket: 'it-selflock-lockfile',
    lockTable: undefined as string | undefined,
    useLockfile: true,
    isLockWrite: (r: { method: string; url: string; target?: string }) => r.method === 'PUT' && r.url.includes('.tflock'),
    conditionError: /StatusCode: 412|PreconditionFailed/,
  },
  {
    // What the environment files default to where both are set: the engine takes the S3 lockfile first,
    // then the table item; losing the table write's reply leaves only the table item (the engine deletes
    // its lockfile when the second lock fails), and force-unlock then reports the missing lockfile.
    label: 'both (lockfile, then the DynamoDB table)',
    bucket: 'it-selflock-both',
    lockTable: 'it-selflock-both-locks' as string | undefined,
    useLockfile: true,
    isLockWrite: (r: { method: string; url: string; target?: string }) => r.target === 'DynamoDB_20120810.PutItem',
    conditionError: /ConditionalCheckFailedException/,
  },
] as const;

/** The status the retried lock write gets: DynamoDB's conditional failure, or S3's 412. */
const retryStatus = (mode: (typeof MODES)[number]) => (mode.isLockWrite({ method: 'PUT', url: '/k.tflock' }) ? 412 : 400);

describe.each(MODES)('a lost reply to the lock write, with $label (OpenTofu + moto behind a fault proxy)', (mode) => {
  const env = environmentFixture(firstEnvironment(), { state: { bucket: mode.bucket, lockTable: mode.lockTable, useLockfile: mode.useLockfile } }, 'selflock');
  let dir: string;

  /** Every lock record on the state right now, as the IDs they hold. */
  const heldLockIds = async (): Promise<string[]> => {
    const ops = [
      ...(mode.lockTable
        ? [{ client: 'dynamodb' as const, method: 'get_item', args: { TableName: mode.lockTable, Key: { LockID: { S: `${mode.bucket}/${KEY}` } }, ConsistentRead: true } }]
        : []),
      ...(mode.useLockfile ? [{ client: 's3' as const, method: 'get_object', args: { Bucket: mode.bucket, Key: `${KEY}.tflock` }, ok: ['NoSuchKey'] }] : []),
    ];
    return (await aws(moto, ops)).flatMap((res) => {
      const info = (res.Item as { Info?: { S: string } } | undefined)?.Info?.S ?? (res.error ? undefined : (res.Body as string | undefined));
      return info ? [(JSON.parse(info) as { ID: string }).ID] : [];
    });
  };

  beforeAll(async () => {
    await createBackend(moto, { buckets: [mode.bucket], lockTable: mode.lockTable });
    const viaProxy = { ...moto, endpoint: proxy.endpoint };
    dir = synthStacks(path.join(work, mode.bucket), motoFactoryOptions(viaProxy), (app) => new DataStack(app, env, 'app', { items: 1 }))['selflock-app']!;
    await tofuOk(['init', '-input=false'], { cwd: dir });
    await tofuOk(['apply', '-auto-approve', '-input=false'], { cwd: dir });
  }, 60_000);

  test('GIVEN the lock write reaches the backend but its reply is lost WHEN the engine retries it THEN the run fails on a lock held by itself, left behind; the CLI names it; force-unlock with its ID releases it', async () => {
    const before = proxy.requests().length;
    proxy.dropReply((r) => mode.isLockWrite(r));
    const started = new Date();
    const plan = await tofu(['plan', '-input=false', '-lock-timeout=0s'], { cwd: dir });

    // The proxy saw the first attempt (applied by moto, reply lost) and the SDK's retry of the same write.
    const lockWrites = proxy.requests().slice(before).filter((r) => mode.isLockWrite(r));
    expect(lockWrites).toHaveLength(2);
    expect(lockWrites[0]).toMatchObject({ outcome: 'reply-dropped', attempt: expect.stringMatching(/^attempt=1;/) });
    expect(lockWrites[1]).toMatchObject({ outcome: retryStatus(mode), attempt: expect.stringMatching(/^attempt=2;/) });

    expect(plan.code).toBe(1);
    expect(plan.stderr).toContain('Error acquiring the state lock');
    expect(plan.stderr).toMatch(mode.conditionError);
    expect(plan.stderr).toContain(`Who:       ${runnerIdentity()}`);
    expect(plan.stderr).toContain('Operation: OperationTypePlan');
    const id = /ID:\s+([0-9a-f-]{36})/.exec(plan.stderr)![1]!;
    expect(await heldLockIds()).toEqual([id]);

    // `platform plan`/`drift` explain it and point to the runbook entry.
    const diagnosis = diagnoseLockOutput('selflock-app', plan.stderr, { startedAt: started }).join('\n');
    expect(diagnosis).toContain(`the state lock ${id} is held by this run itself`);
    expect(diagnosis).toContain('docs/runbooks/state-surgery.md#stuck-lock-after-a-network-error');

    // The runbook's way out, and the state is usable again. With both lock kinds only the table item is
    // left: force-unlock releases it and says the lockfile was missing (exit 1) — the runbook says so.
    const unlock = await tofu(['force-unlock', '-force', id], { cwd: dir });
    if (mode.lockTable && mode.useLockfile) {
      expect(unlock.code).toBe(1);
      expect(unlock.stderr).toMatch(/dynamoDB lock released but s3 failed: failed to retrieve s3 lock info: .*NoSuchKey/);
    } else {
      expect(unlock.code).toBe(0);
    }
    expect(await heldLockIds()).toEqual([]);
    const again = await tofuOk(['plan', '-input=false', '-lock-timeout=0s', '-detailed-exitcode'], { cwd: dir });
    expect(again.stdout).toContain('No changes.');
  }, 60_000);

  // The same loss on the way out: the reply to the unlock's conditional DeleteItem (DynamoDB modes).
  if (mode.lockTable) {
    test('GIVEN the reply to the unlock is lost WHEN the engine retries it THEN it reports "Error releasing the state lock" though the lock is gone; tofuOk accepts exactly that as done', async () => {
      const isUnlock = (r: { target?: string }) => r.target === 'DynamoDB_20120810.DeleteItem';
      proxy.dropReply(isUnlock);
      const raw = await tofu(['plan', '-input=false', '-lock-timeout=0s'], { cwd: dir });
      expect(raw.code).toBe(1);
      expect(raw.stderr).toMatch(/Error releasing the state lock[\s\S]*DeleteItem[\s\S]*ConditionalCheckFailedException/);
      expect(await heldLockIds()).toEqual([]);

      const log = path.join(work, `released-${mode.bucket}.log`);
      const saved = process.env.PLATFORM_SELF_LOCK_LOG;
      process.env.PLATFORM_SELF_LOCK_LOG = log;
      try {
        proxy.dropReply(isUnlock);
        const plan = await tofuOk(['plan', '-input=false', '-lock-timeout=0s'], { cwd: dir });
        expect(plan.code).toBe(0);
        expect(readFileSync(log, 'utf8')).toMatch(/released by its first DeleteItem, whose reply was lost/);
        expect(await heldLockIds()).toEqual([]);
        // With -detailed-exitcode the exit 1 replaces the plan's own answer: tofuOk reads it from the output.
        proxy.dropReply(isUnlock);
        const detailed = await tofuOk(['plan', '-input=false', '-lock-timeout=0s', '-detailed-exitcode'], { cwd: dir, okCodes: [0, 2] });
        expect(detailed.code).toBe(0);
        expect(readFileSync(log, 'utf8').match(/released by its first DeleteItem/g)).toHaveLength(2);
        expect(await heldLockIds()).toEqual([]);
      } finally {
        if (saved === undefined) delete process.env.PLATFORM_SELF_LOCK_LOG;
        else process.env.PLATFORM_SELF_LOCK_LOG = saved;
      }
    }, 60_000);
  }

  // What `platform plan` (and `platform drift`, the same engine steps) does about it for users.
  test('GIVEN a lost reply to the lock write WHEN `platform plan` plans THEN it releases its own plan lock by its ID, plans again, and says so; no lock is left', async () => {
    const before = proxy.requests().length;
    proxy.dropReply((r) => mode.isLockWrite(r));
    const out: string[] = [];
    const err: string[] = [];
    const code = await runPlan({
      outdir: path.dirname(path.dirname(dir)),
      env: { ...tofuEnv(), TERRAFORM_BINARY_NAME: toolPath('tofu') },
      // The engine waits -lock-timeout (5m in CI) on its own lock before it gives up; here it gives up at once.
      lockTimeout: '0s',
      progress: 'plain',
      write: (l) => void out.push(l),
      writeErr: (l) => void err.push(l),
    });
    expect(proxy.requests().slice(before).filter((r) => r.outcome === 'reply-dropped')).toHaveLength(1);
    expect(out.join('\n')).toMatch(/^selflock-app\s+no changes\s+no changes \(after releasing this run's own stuck lock [0-9a-f-]{36}\)/m);
    expect(code).toBe(0);
    expect(await heldLockIds()).toEqual([]);
  }, 60_000);

  // The test harness's own use of the runbook (packages/testing/src/tofu.ts): suites whose subject is not
  // locking recover from a self-held lock instead of failing at random; they never break anyone else's.
  test('GIVEN a lost reply WHEN a suite runs the command through tofuOk THEN it releases only that lock, by its ID, runs once more and logs it; with selfLock: fail it throws', async () => {
    const log = path.join(work, `recovered-${mode.bucket}.log`);
    const saved = process.env.PLATFORM_SELF_LOCK_LOG;
    process.env.PLATFORM_SELF_LOCK_LOG = log;
    try {
      proxy.dropReply((r) => mode.isLockWrite(r));
      const plan = await tofuOk(['plan', '-input=false', '-lock-timeout=0s', '-detailed-exitcode'], { cwd: dir });
      expect(plan.stdout).toContain('No changes.');
      expect(readFileSync(log, 'utf8')).toMatch(
        /^\S+ self-held lock [0-9a-f-]{36} \(OperationTypePlan, [^)]*selflock\/app\.tfstate\) of `tofu plan [^`]*` released with force-unlock; running it again\n$/,
      );
      expect(await heldLockIds()).toEqual([]);

      proxy.dropReply((r) => mode.isLockWrite(r));
      await expect(tofuOk(['plan', '-input=false', '-lock-timeout=0s'], { cwd: dir, selfLock: 'fail' })).rejects.toThrow(/Error acquiring the state lock/);
      const [left] = await heldLockIds();
      expect(left).toBeDefined();
      await forceUnlock(left!, { cwd: dir });
      expect(readFileSync(log, 'utf8').split('\n').filter(Boolean)).toHaveLength(1);
    } finally {
      if (saved === undefined) delete process.env.PLATFORM_SELF_LOCK_LOG;
      else process.env.PLATFORM_SELF_LOCK_LOG = saved;
    }
  }, 60_000);

  test.each([
    ['another runner, just now', 'ci@other-runner', 0],
    ['this runner, before the command started', runnerIdentity(), 60_000],
  ])('GIVEN a lock held by %s THEN tofuOk does not break it: the run fails and the lock stays', async (_label, who, ageMs) => {
    const id = `0000000${ageMs ? 1 : 0}-1111-2222-3333-444444444444`;
    const info = JSON.stringify({ ID: id, Operation: 'OperationTypePlan', Info: '', Who: who, Version: '1.12.6', Created: goTimeJson(new Date(Date.now() - ageMs)), Path: `${mode.bucket}/${KEY}` });
    await aws(moto, [
      mode.lockTable
        ? { client: 'dynamodb', method: 'put_item', args: { TableName: mode.lockTable, Item: { LockID: { S: `${mode.bucket}/${KEY}` }, Info: { S: info } } } }
        : { client: 's3', method: 'put_object', args: { Bucket: mode.bucket, Key: `${KEY}.tflock`, Body: info } },
    ]);
    await expect(tofuOk(['plan', '-input=false', '-lock-timeout=0s'], { cwd: dir })).rejects.toThrow(new RegExp(`Error acquiring the state lock[\\s\\S]*ID:\\s+${id}`));
    expect(await heldLockIds()).toEqual([id]);
    await forceUnlock(id, { cwd: dir });
    expect(await heldLockIds()).toEqual([]);
  }, 60_000);

  // A late reply is the SDK's waiting, the same for every lock write: proven once (3 s each).
  if (mode === MODES[0]) {
    test('GIVEN the reply to the lock write is only late (3 s) THEN the engine waits for it: the lock is taken once and released', async () => {
      const before = proxy.requests().length;
      proxy.delayReply((r) => mode.isLockWrite(r), 3_000);
      const plan = await tofuOk(['plan', '-input=false', '-lock-timeout=0s', '-detailed-exitcode'], { cwd: dir });
      expect(plan.stdout).toContain('No changes.');
      const delayed = proxy.requests().slice(before).filter((r) => r.outcome === 'reply-delayed');
      expect(delayed).toHaveLength(1);
      expect(delayed[0]!.attempt).toMatch(/^attempt=1;/);
      expect(proxy.requests().slice(before).filter((r) => r.attempt?.startsWith('attempt=2'))).toEqual([]);
      expect(await heldLockIds()).toEqual([]);
    }, 60_000);
  }
});
