import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import {
  environmentFixture,
  firstEnvironment,
  type FaultProxy,
  type MotoServer,
  runningMotoErrors,
  startFaultProxy,
  startMoto,
  startTofu,
  tofu,
  tofuOk,
  type TofuResult,
} from '@platform/testing';
import {
  aws,
  createBackend,
  DataStack,
  initOnce,
  motoFactoryOptions,
  readState,
  synthStacks,
  waitFor,
  type StateFile,
} from './harness';

interface LockSettings {
  readonly bucket: string;
  readonly lockTable: string | undefined;
  readonly useLockfile: boolean;
}

/** The locking modes the environment files allow, each on its own bucket (an environment may use both at once). */
const DYNAMODB: LockSettings = { bucket: 'it-state-dynamodb', lockTable: 'it-state-locks-1', useLockfile: false };
const LOCKFILE: LockSettings = { bucket: 'it-state-lockfile', lockTable: undefined, useLockfile: true };
const BOTH: LockSettings = { bucket: 'it-state-both', lockTable: 'it-state-locks-2', useLockfile: true };

const KEY = 'lockit/app.tfstate';
const LOCK_ERROR = 'Error acquiring the state lock';

interface LockInfo {
  readonly ID: string;
  readonly Operation: string;
  readonly Path: string;
}

/** Each resource's `input`, by address (terraform_data stores it as `{ type, value }`). */
function resourcesOf(state: StateFile): Record<string, unknown> {
  return Object.fromEntries(
    state.resources.map((r) => [
      `${r.type}.${r.name}`,
      (r.instances[0]?.attributes.input as { value?: unknown } | undefined)?.value,
    ]),
  );
}

/** The first apply of each locking mode, started together once moto is up. */
const setups: Array<() => void> = [];
let moto: MotoServer;
/** Every engine talks to moto through this proxy (faults off): the tests read what reached the backend. */
let proxy: FaultProxy;
let work: string;
beforeAll(async () => {
  moto = await startMoto();
  proxy = await startFaultProxy(moto.endpoint);
  work = mkdtempSync(path.join(tmpdir(), 'state-locking-'));
  for (const start of setups) start();
});
afterAll(async () => {
  await proxy?.stop();
  await moto?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

/** One stack on its own bucket, applied once (round 1) before the tests of a mode. */
function lockingFixture(settings: LockSettings) {
  const env = environmentFixture(firstEnvironment(), { state: settings }, 'lockit');
  const fixture = {
    dir: '',
    /** Synthesizes the stack for `round` (init once: the backend settings never change). */
    async synthRound(round: number, slow: { slowSeconds?: number; gate?: string }): Promise<string> {
      const outdir = path.join(work, settings.bucket, 'cdktf.out');
      fixture.dir = synthStacks(
        outdir,
        motoFactoryOptions({ ...moto, endpoint: proxy.endpoint }),
        (app) => new DataStack(app, env, 'app', { round, ...slow }),
        { keepInit: true },
      )['lockit-app']!;
      await initOnce(fixture.dir);
      return fixture.dir;
    },
    /** A file whose creation lets the gated apply (see DataStack's `gate`) finish. */
    gate: (round: number) => path.join(work, `gate-${settings.bucket}-${round}`),
    /** Every lock record held on the state right now: the DynamoDB item and/or the S3 lockfile. */
    async heldLocks(): Promise<LockInfo[]> {
      const ops = [
        ...(settings.lockTable
          ? [
              {
                client: 'dynamodb' as const,
                method: 'get_item',
                args: {
                  TableName: settings.lockTable,
                  Key: { LockID: { S: `${settings.bucket}/${KEY}` } },
                  ConsistentRead: true,
                },
              },
            ]
          : []),
        ...(settings.useLockfile
          ? [
              {
                client: 's3' as const,
                method: 'get_object',
                args: { Bucket: settings.bucket, Key: `${KEY}.tflock` },
                ok: ['NoSuchKey'],
              },
            ]
          : []),
      ];
      const results = await aws(moto, ops);
      return results.flatMap((res) => {
        const info =
          (res.Item as { Info?: { S: string } } | undefined)?.Info?.S ??
          (res.error ? undefined : (res.Body as string | undefined));
        return info ? [JSON.parse(info) as LockInfo] : [];
      });
    },
    state: () => readState(moto, settings.bucket, KEY),
  };
  // Round 1 of every mode runs at once (own bucket, own folder), started by the file's first beforeAll.
  let ready: Promise<void> | undefined;
  setups.push(() => {
    ready = (async () => {
      await createBackend(moto, { buckets: [settings.bucket], lockTable: settings.lockTable });
      await fixture.synthRound(1, { slowSeconds: 0 });
      await tofuOk(['apply', '-auto-approve', '-input=false'], { cwd: fixture.dir });
    })();
    ready.catch(() => undefined); // awaited (and reported) by the mode's own beforeAll
  });
  beforeAll(() => ready, 90_000);
  return { env, fixture };
}

/** A crashed apply leaves its lock; the next run reports it with its ID; force-unlock with that ID releases it. */
async function crashThenForceUnlock(
  settings: LockSettings,
  fixture: ReturnType<typeof lockingFixture>['fixture'],
  round: number,
): Promise<void> {
  const before = await fixture.state();
  const dir = await fixture.synthRound(round, { slowSeconds: 60 });
  const crashed = startTofu(['apply', '-auto-approve', '-input=false'], { cwd: dir });
  await waitFor('the apply to reach its slow resource', async () =>
    crashed.output().includes("Provisioning with 'local-exec'"),
  );
  const locks = await fixture.heldLocks();
  expect(locks).toHaveLength((settings.lockTable ? 1 : 0) + (settings.useLockfile ? 1 : 0));
  expect(new Set(locks.map((l) => l.ID)).size).toBe(1);
  const lock = locks[0]!;
  expect(lock).toMatchObject({ Operation: 'OperationTypeApply', Path: `${settings.bucket}/${KEY}` });
  crashed.kill('SIGKILL');
  expect((await crashed.result).signal).toBe('SIGKILL');

  // The next run is refused, and says who holds the lock.
  const blocked = await tofu(['plan', '-input=false', '-lock-timeout=0s'], { cwd: dir });
  expect(blocked.code).toBe(1);
  expect(blocked.stderr).toContain(LOCK_ERROR);
  expect(blocked.stderr).toContain(`ID:        ${lock.ID}`);
  expect(blocked.stderr).toContain('Operation: OperationTypeApply');
  expect(blocked.stderr).toMatch(/Who:\s+\S+@\S+/);

  // The documented path: a wrong ID is refused, the reported ID releases every lock record.
  const wrong = await tofu(['force-unlock', '-force', '00000000-0000-0000-0000-000000000000'], { cwd: dir });
  expect(wrong.code).toBe(1);
  expect(wrong.stderr).toMatch(/does not match existing lock/);
  expect((await fixture.heldLocks()).map((l) => l.ID)).toContain(lock.ID);

  const unlocked = await tofuOk(['force-unlock', '-force', lock.ID], { cwd: dir });
  expect(unlocked.stdout).toContain('OpenTofu state has been successfully unlocked!');
  expect(await fixture.heldLocks()).toEqual([]);

  // The state the crash left behind is intact and usable: the killed apply never saved it.
  expect((await fixture.state()).serial).toBe(before.serial);
  const plan = await tofu(['plan', '-input=false', '-lock-timeout=0s', '-detailed-exitcode'], { cwd: dir });
  expect(plan.code).toBe(2);
  expect(plan.stdout).toContain('Plan: 1 to add, 3 to change, 1 to destroy.');
}

// Waiting on a held lock is the engine's retry loop, the same for every lock kind: proven once.
describe.each([
  ['the DynamoDB lock table', DYNAMODB, { proveWaiting: true }],
  ['S3 native locking (use_lockfile)', LOCKFILE, { proveWaiting: false }],
] as const)('state locking with %s (OpenTofu + moto)', (_label, settings, { proveWaiting }) => {
  const { fixture } = lockingFixture(settings);

  test('GIVEN the synthesized backend THEN it locks only the way the environment says', () => {
    const backend = JSON.parse(readFileSync(path.join(fixture.dir, 'cdk.tf.json'), 'utf8')).terraform.backend.s3;
    expect(backend.key).toBe(KEY);
    expect(backend.dynamodb_table).toBe(settings.lockTable);
    expect(backend.use_lockfile).toBe(settings.useLockfile ? true : undefined);
  });

  test('GIVEN two applies of the same stack started at once WHEN neither waits THEN exactly one proceeds, the other fails with the lock error, and the state advanced by exactly that one apply', async () => {
    const before = await fixture.state();
    const gate = fixture.gate(2);
    const dir = await fixture.synthRound(2, { gate });
    const args = ['apply', '-auto-approve', '-input=false', '-lock-timeout=0s'];
    const runs = [startTofu(args, { cwd: dir }), startTofu(args, { cwd: dir })];
    // The winner cannot finish before the gate opens, so the first run to end is the one refused while
    // the other provably held the lock — however slow the machine is.
    let first: TofuResult;
    try {
      first = await Promise.race(runs.map((r) => r.result));
    } finally {
      writeFileSync(gate, '');
    }
    const results: TofuResult[] = await Promise.all(runs.map((r) => r.result));

    const winners = results.filter((r) => r.code === 0);
    const losers = results.filter((r) => r.code !== 0);
    if (winners.length === 0) {
      // Both refused: one of them met its own lock (a lost reply to its lock write; see self-lock.test.ts).
      // Say so with the evidence rather than a bare count.
      throw new Error(
        `no apply won: both failed on a lock.\n${results.map((r) => `--- ${r.command}\n${r.stderr}`).join('\n')}\n` +
          `moto errors meanwhile:\n${runningMotoErrors() || '(none)'}`,
      );
    }
    expect(losers).toEqual([first]);
    expect(winners).toHaveLength(1);
    expect(winners[0]!.stdout).toContain('Apply complete! Resources: 1 added, 3 changed, 1 destroyed.');
    expect(losers[0]!.code).toBe(1);
    expect(losers[0]!.stderr).toContain(LOCK_ERROR);
    expect(losers[0]!.stderr).toMatch(
      /Lock Info:\s+ID:\s+[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\s+Path:\s+it-state-\w+\/lockit\/app\.tfstate\s+Operation:\s+OperationTypeApply/,
    );
    expect(losers[0]!.stdout).not.toContain('Apply complete');

    const after = await fixture.state();
    expect(after.lineage).toBe(before.lineage);
    expect(after.serial).toBe(before.serial + 1);
    expect(resourcesOf(after)).toEqual({
      'terraform_data.Item0': { index: 0, round: 2, stack: 'app' },
      'terraform_data.Item1': { index: 1, round: 2, stack: 'app' },
      'terraform_data.Item2': { index: 2, round: 2, stack: 'app' },
      'terraform_data.Slow': { round: 2 },
    });
    expect(await fixture.heldLocks()).toEqual([]);
  }, 60_000);

  // Defined only where it is proven (a skipped test would read as "not run for lack of tools").
  const testWaiting = proveWaiting ? test : () => undefined;
  testWaiting(
    'GIVEN two applies started at once WHEN both may wait on the lock THEN the second waits for the first, then finds nothing to do; the state advanced once',
    async () => {
      const before = await fixture.state();
      const gate = fixture.gate(3);
      const dir = await fixture.synthRound(3, { gate });
      const seen = proxy.requests().length;
      const args = ['apply', '-auto-approve', '-input=false', '-lock-timeout=60s'];
      const runs = [startTofu(args, { cwd: dir }), startTofu(args, { cwd: dir })];
      // The gate opens only once the backend has refused the other run's lock write at least once:
      // it is waiting on a held lock, not merely late. (Opened in any case, so a failure here leaves
      // no apply holding the lock for the next test.)
      try {
        await waitFor(
          'the second apply to be refused the held lock',
          async () => proxy.requests().slice(seen).some((r) => r.target === 'DynamoDB_20120810.PutItem' && r.outcome === 400),
          60_000,
        );
      } finally {
        writeFileSync(gate, '');
      }
      const results = await Promise.all(runs.map((r) => r.result));

      expect(results.map((r) => r.code)).toEqual([0, 0]);
      const outputs = results.map((r) => r.stdout);
      expect(
        outputs.filter((o) => o.includes('Apply complete! Resources: 1 added, 3 changed, 1 destroyed.')),
      ).toHaveLength(1);
      expect(outputs.filter((o) => o.includes('No changes.'))).toHaveLength(1);
      const after = await fixture.state();
      expect(after.serial).toBe(before.serial + 1);
      expect(resourcesOf(after)['terraform_data.Slow']).toEqual({ round: 3 });
      expect(await fixture.heldLocks()).toEqual([]);
    },
    90_000,
  );

  test('GIVEN an apply killed while it holds the lock WHEN the next run starts THEN the held lock is reported with its ID, and force-unlock with that ID releases it', async () => {
    await crashThenForceUnlock(settings, fixture, 4);
  }, 60_000);
});

describe('state locking with both the DynamoDB table and the lockfile, as an environment file may ask (OpenTofu + moto)', () => {
  const { fixture } = lockingFixture(BOTH);

  test('GIVEN an apply killed while it holds both locks WHEN the next run starts THEN the lock is reported, and one force-unlock releases both records', async () => {
    await crashThenForceUnlock(BOTH, fixture, 2);
  }, 60_000);
});
