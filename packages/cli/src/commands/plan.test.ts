import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { loadPlanFile } from '@platform/plan-report';
import { toolPath } from '@platform/testing';
import { capture, cleanTemps, dataStack, engineEnv, listFiles, makeOutdir, runBin, tempDir, writeScript } from '../../test/helpers';
import { runnerIdentity } from '../lib/lock-diagnosis';
import { type Runner, spawnRunner } from '../lib/runner';
import { runPlan } from './plan';

/**
 * `platform plan` against the real OpenTofu binary, on stacks made only of the built-in
 * `terraform_data` resource with local state: no provider download, no cloud.
 */
const tofu = toolPath('tofu');

function applyNow(stackDir: string, env: NodeJS.ProcessEnv): void {
  execFileSync(tofu, ['init', '-input=false', '-no-color'], { cwd: stackDir, env, stdio: 'pipe' });
  execFileSync(tofu, ['apply', '-input=false', '-auto-approve', '-no-color'], { cwd: stackDir, env, stdio: 'pipe' });
}

async function plan(outdir: string, extra: Partial<Parameters<typeof runPlan>[0]> = {}): Promise<{ code: number; out: string; err: string }> {
  const out = capture();
  const err = capture();
  const code = await runPlan({ outdir, env: engineEnv({ TERRAFORM_BINARY_NAME: tofu }), progress: 'plain', write: out.write, writeErr: err.write, ...extra });
  return { code, out: out.text(), err: err.text() };
}

afterAll(cleanTemps);

describe('platform plan (real OpenTofu)', () => {
  test('GIVEN stacks that would create resources WHEN planned THEN exit 2, each stack listed with its counts, tfplan and plan.json written next to it and nothing else', async () => {
    const outdir = makeOutdir({ 'envone-app': dataStack({ a: { input: 'one' }, b: { input: 'two' } }), 'envthree-app': dataStack({ a: { input: 'one' } }) });

    const { code, out, err } = await plan(outdir);

    expect(code).toBe(2);
    expect(out).toMatch(/^envone-app\s+changes\s+2 to add, 0 to change, 0 to destroy/m);
    expect(out).toMatch(/^envthree-app\s+changes\s+1 to add, 0 to change, 0 to destroy/m);
    expect(out).toMatch(/2 stacks: 2 with changes, 0 without changes, 0 failed — exit 2/);
    expect(err).toMatch(/envone-app: init…/);
    const planned = loadPlanFile(path.join(outdir, 'stacks/envone-app/plan.json'));
    expect(planned.resourceChanges.map((r) => [r.address, r.change.actions])).toEqual([
      ['terraform_data.a', ['create']],
      ['terraform_data.b', ['create']],
    ]);
    expect(listFiles(outdir)).toEqual([
      'stacks/envone-app/.terraform/',
      'stacks/envone-app/cdk.tf.json',
      'stacks/envone-app/plan.json',
      'stacks/envone-app/tfplan',
      'stacks/envthree-app/.terraform/',
      'stacks/envthree-app/cdk.tf.json',
      'stacks/envthree-app/plan.json',
      'stacks/envthree-app/tfplan',
    ]);
  });

  test('GIVEN stacks with nothing to do (empty, or already applied) WHEN planned THEN exit 0 and "no changes"', async () => {
    const outdir = makeOutdir({ 'envone-empty': dataStack({}), 'envone-applied': dataStack({ a: { input: 'x' } }) });
    applyNow(path.join(outdir, 'stacks/envone-applied'), engineEnv());

    const { code, out } = await plan(outdir);

    expect(code).toBe(0);
    expect(out).toMatch(/^envone-applied\s+no changes\s+no changes/m);
    expect(out).toMatch(/^envone-empty\s+no changes\s+no changes/m);
    expect(loadPlanFile(path.join(outdir, 'stacks/envone-applied/plan.json')).resourceChanges[0]?.change.actions).toEqual(['no-op']);
  });

  test('GIVEN one stack with an invalid configuration among good ones WHEN planned THEN exit 1, the good stacks are still planned, and every outcome is listed with the failure output', async () => {
    const outdir = makeOutdir({
      'envone-a': dataStack({ a: { input: 'a' } }),
      'envone-broken': dataStack({ a: { input: '${var.missing}' } }),
      'envone-c': dataStack({}),
    });
    writeFileSync(path.join(outdir, 'stacks/envone-broken/plan.json'), '{"stale": true}'); // left by an earlier run

    const { code, out } = await plan(outdir);

    expect(code).toBe(1);
    expect(out).toMatch(/^envone-a\s+changes\s+1 to add/m);
    expect(out).toMatch(/^envone-broken\s+FAILED\s+plan failed \(exit 1\): Error: Reference to undeclared input variable/m);
    expect(out).toMatch(/^envone-c\s+no changes/m);
    expect(out).toMatch(/--- envone-broken: plan failed \(exit 1\); end of its output:\n[\s\S]*An input variable with the name "missing" has not been declared/);
    expect(out).toMatch(/3 stacks: 1 with changes, 1 without changes, 1 failed — exit 1/);
    expect(existsSync(path.join(outdir, 'stacks/envone-a/plan.json'))).toBe(true);
    expect(existsSync(path.join(outdir, 'stacks/envone-broken/plan.json'))).toBe(false);
  });

  test('GIVEN a stack whose only change is a new output THEN it counts as changes and the summary says so', async () => {
    const outdir = makeOutdir({ 'envone-out': dataStack({}, { output: { greeting: { value: 'hello' } } }) });
    const { code, out } = await plan(outdir);
    expect(code).toBe(2);
    expect(out).toMatch(/^envone-out\s+changes\s+0 to add, 0 to change, 0 to destroy; 1 output change/m);
  });

  test('GIVEN an engine whose `show -json` output is cut short THEN that stack fails naming the file, and no plan.json is left', async () => {
    const outdir = makeOutdir({ 'envone-a': dataStack({}) });
    const runner: Runner = async (_command, args, options) => {
      if (args[0] === 'show') writeFileSync(options.stdoutFile!, '{"format_version": "1.2", "resource_changes": [');
      return { code: args[0] === 'plan' ? 2 : 0, output: '' };
    };
    const { code, out } = await plan(outdir, { runner });
    expect(code).toBe(1);
    expect(out).toMatch(/^envone-a\s+FAILED\s+the plan JSON is unusable: plan file ".*envone-a\/plan\.json": .*truncated/m);
    expect(existsSync(path.join(outdir, 'stacks/envone-a/plan.json'))).toBe(false);
  });

  test('GIVEN --parallel 2 and five stacks WHEN planned THEN never more than two stacks run at once, and two do', async () => {
    const dir = tempDir();
    const log = path.join(dir, 'calls.log');
    // A wrapper around the real binary that records when each call starts and ends.
    const wrapper = writeScript(
      path.join(dir, 'tofu-timed'),
      `echo "start $(basename "$PWD") $1 $(date +%s%N)" >> '${log}'\nsleep 0.3\n'${tofu}' "$@"\ncode=$?\necho "end $(basename "$PWD") $1 $(date +%s%N)" >> '${log}'\nexit $code`,
    );
    const outdir = makeOutdir(Object.fromEntries(['s1', 's2', 's3', 's4', 's5'].map((s) => [`envone-${s}`, dataStack({ x: { input: s } })])));

    const { code } = await plan(outdir, { parallel: '2', env: engineEnv({ TERRAFORM_BINARY_NAME: wrapper }) });

    expect(code).toBe(2);
    const events = readFileSync(log, 'utf8').trim().split('\n').map((l) => l.split(' '));
    const spans = new Map<string, { start: bigint; end: bigint }>();
    for (const [kind, stack, , at] of events) {
      const span = spans.get(stack!) ?? { start: BigInt(at!), end: BigInt(at!) };
      if (kind === 'start' && BigInt(at!) < span.start) span.start = BigInt(at!);
      if (kind === 'end' && BigInt(at!) > span.end) span.end = BigInt(at!);
      spans.set(stack!, span);
    }
    expect(spans.size).toBe(5);
    expect(events.filter(([kind]) => kind === 'start').map(([, , step]) => step).sort()).toEqual([...Array(5).fill('init'), ...Array(5).fill('plan'), ...Array(5).fill('show')]);
    const points = [...spans.values()].flatMap((s) => [[s.start, 1] as const, [s.end, -1] as const]).sort((a, b) => (a[0] === b[0] ? a[1] - b[1] : a[0] < b[0] ? -1 : 1));
    let running = 0;
    let most = 0;
    for (const [, delta] of points) most = Math.max(most, (running += delta));
    expect(most).toBe(2);
  });

  test('GIVEN TERRAFORM_BINARY_NAME=tofu (a name) THEN it is found on PATH, as cdktf does', async () => {
    const outdir = makeOutdir({ 'envone-a': dataStack({}) });
    const env = engineEnv({ TERRAFORM_BINARY_NAME: 'tofu', PATH: `${path.dirname(tofu)}${path.delimiter}${process.env.PATH ?? ''}` });
    const { code, out } = await plan(outdir, { env });
    expect(code).toBe(0);
    expect(out).toMatch(/^envone-a\s+no changes/m);
  });

  test('GIVEN stack names and --env THEN only those stacks are planned', async () => {
    const outdir = makeOutdir({ 'envone-a': dataStack({}), 'envone-b': dataStack({}), 'envthree-a': dataStack({}) });
    expect((await plan(outdir, { stacks: ['envone-b'] })).out).toMatch(/^1 stack: .*exit 0$/m);
    const byEnv = await plan(outdir, { envs: ['envthree'] });
    expect(byEnv.out).toMatch(/^envthree-a\s+no changes/m);
    expect(byEnv.out).not.toMatch(/envone-/);
  });

  test('GIVEN no engine on PATH THEN exit 1 and the message says what to set', async () => {
    const outdir = makeOutdir({ 'envone-a': dataStack({}) });
    const { code, err } = await plan(outdir, { env: { PATH: tempDir() } });
    expect(code).toBe(1);
    expect(err).toMatch(/^error: TERRAFORM_BINARY_NAME is unset, so "terraform" is used, but no "terraform" executable is on PATH — .*set TERRAFORM_BINARY_NAME to tofu or a path/);
  });
});

/** A time as Go's `time.Time.String()` prints it in the engine's `Lock Info`. */
function goTime(date: Date): string {
  return `${date.toISOString().replace('T', ' ').replace('Z', '')}000000 +0000 UTC`;
}

/** What the engine prints when its lock write finds a lock (the self-lock: its own, after a lost reply). */
function lockError(lock: { id: string; operation: string; who: string; created: Date }): string {
  return [
    'Acquiring state lock. This may take a few moments...',
    '',
    'Error: Error acquiring the state lock',
    '',
    'Error message: operation error DynamoDB: PutItem, https response error StatusCode: 400, RequestID: X,',
    'ConditionalCheckFailedException: The conditional request failed',
    'Lock Info:',
    `  ID:        ${lock.id}`,
    '  Path:      acme-tfstate/envone/app.tfstate',
    `  Operation: ${lock.operation}`,
    `  Who:       ${lock.who}`,
    '  Version:   1.12.6',
    `  Created:   ${goTime(lock.created)}`,
    '  Info:      ',
    '',
  ].join('\n');
}

// The real engine runs init, plan and show; the first plan is answered with a lock error instead, and
// force-unlock with what the case says. (The real lost reply is reproduced in state-tools' self-lock.test.ts.)
describe('platform plan: a plan that fails on a lock (real OpenTofu for everything else)', () => {
  const ID = '3f0c2a9e-1111-2222-3333-444444444444';
  const scripted = (firstPlan: (started: Date) => string, unlock: { code: number; output: string }) => {
    const calls: string[][] = [];
    let plans = 0;
    const runner: Runner = async (command, args, options) => {
      calls.push([...args]);
      if (args[0] === 'plan' && plans++ === 0) return { code: 1, output: firstPlan(new Date()) };
      if (args[0] === 'force-unlock') return unlock;
      return spawnRunner(command, args, options);
    };
    return { runner, calls };
  };

  test("GIVEN the run's own plan lock (same runner, plan, created after it started) THEN it is released by its ID, the stack is planned again and the summary says so", async () => {
    const outdir = makeOutdir({ 'envone-app': dataStack({}) });
    const { runner, calls } = scripted((now) => lockError({ id: ID, operation: 'OperationTypePlan', who: runnerIdentity(), created: now }), { code: 0, output: 'OpenTofu state has been successfully unlocked!' });
    const { code, out, err } = await plan(outdir, { runner });
    expect(code).toBe(0);
    expect(calls.map((c) => c[0])).toEqual(['init', 'plan', 'force-unlock', 'plan', 'show']);
    expect(calls[2]).toEqual(['force-unlock', '-force', '-no-color', ID]);
    expect(out).toMatch(new RegExp(`^envone-app\\s+no changes\\s+no changes \\(after releasing this run's own stuck lock ${ID}\\)`, 'm'));
    expect(err).not.toMatch(/held by this run itself/);
  });

  test('GIVEN both lock kinds, where force-unlock releases the table item and exits 1 on the lockfile the engine already deleted THEN the stack is planned again', async () => {
    const outdir = makeOutdir({ 'envone-app': dataStack({}) });
    const { runner, calls } = scripted((now) => lockError({ id: ID, operation: 'OperationTypePlan', who: runnerIdentity(), created: now }), {
      code: 1,
      output: 'Error: Failed to unlock state: dynamoDB lock released but s3 failed: failed to retrieve s3 lock info: operation error S3: GetObject, https response error StatusCode: 404, RequestID: X, NoSuchKey: The specified key does not exist.',
    });
    const { code } = await plan(outdir, { runner });
    expect(code).toBe(0);
    expect(calls.map((c) => c[0])).toEqual(['init', 'plan', 'force-unlock', 'plan', 'show']);
  });

  test.each([
    ['an apply of this runner (it may be writing state)', (now: Date) => ({ operation: 'OperationTypeApply', who: runnerIdentity(), created: now })],
    ['a plan of another runner', (now: Date) => ({ operation: 'OperationTypePlan', who: 'runner@other-host', created: now })],
    ['a plan of this runner from before this run', (now: Date) => ({ operation: 'OperationTypePlan', who: runnerIdentity(), created: new Date(now.getTime() - 60_000) })],
  ])('GIVEN a lock held by %s THEN nothing is unlocked: the stack fails and the lock is explained', async (_label, holder) => {
    const outdir = makeOutdir({ 'envone-app': dataStack({}) });
    const { runner, calls } = scripted((now) => lockError({ id: ID, ...holder(now) }), { code: 0, output: '' });
    const { code, out, err } = await plan(outdir, { runner });
    expect(code).toBe(1);
    expect(calls.map((c) => c[0])).toEqual(['init', 'plan']);
    expect(out).toMatch(/^envone-app\s+FAILED\s+plan failed \(exit 1\): Error: Error acquiring the state lock/m);
    expect(err).toContain(`lock ${ID}`);
  });

  test('GIVEN force-unlock refuses (the lock changed hands meanwhile) THEN the stack is not planned again and fails with the lock error', async () => {
    const outdir = makeOutdir({ 'envone-app': dataStack({}) });
    const { runner, calls } = scripted((now) => lockError({ id: ID, operation: 'OperationTypePlan', who: runnerIdentity(), created: now }), {
      code: 1,
      output: 'Error: Failed to unlock state: lock id "3f0c2a9e-1111-2222-3333-444444444444" does not match existing lock',
    });
    const { code, out } = await plan(outdir, { runner });
    expect(code).toBe(1);
    expect(calls.map((c) => c[0])).toEqual(['init', 'plan', 'force-unlock']);
    expect(out).toMatch(/^envone-app\s+FAILED\s+plan failed \(exit 1\)/m);
  });
});

// The fallback the bin takes without esbuild, or with PLATFORM_DEBUG=1 for source-mapped traces: the
// TypeScript sources through tsx. Help loads every lazily registered command, so each must load there too.
test('GIVEN PLATFORM_DEBUG=1 (the sources through tsx, not the bundle) WHEN `platform --help` loads every command THEN each loads', async () => {
  const help = await runBin(['--help'], { env: { PLATFORM_DEBUG: '1' } });
  expect(help.stderr).toBe('');
  expect(help.code).toBe(0);
  for (const command of ['synth', 'affected', 'plan', 'comment', 'drift', 'environments', 'promote', 'guard', 'explain-lock']) {
    expect(help.stdout).toMatch(new RegExp(`^  ${command}\\b`, 'm'));
  }
});

describe('platform plan: bad input (the real bin, exit 1, one clear message, never a stack trace)', () => {
  const outdir = (): string => makeOutdir({ 'envone-a': dataStack({}), 'envthree-a': dataStack({}) });

  // Each case starts a real process (~1 s): run them side by side.
  test.concurrent.each([
    ['an unknown stack name', (o: string) => ['plan', 'nope', '-o', o], /error: "nope": no such stack in .*stacks — choose from envone-a, envthree-a/],
    ['--parallel 0', (o: string) => ['plan', '-o', o, '--parallel', '0'], /error: --parallel "0": must be a whole number from 1 to 32/],
    ['--parallel abc', (o: string) => ['plan', '-o', o, '--parallel', 'abc'], /error: --parallel "abc": must be a whole number from 1 to 32/],
    ['--affected without --base', (o: string) => ['plan', '-o', o, '--affected'], /error: --affected needs --base <ref>/],
    ['--base without --affected', (o: string) => ['plan', '-o', o, '--base', 'main'], /error: --base only applies with --affected/],
    ['an unknown environment', (o: string) => ['plan', '-o', o, '--env', 'qa'], /error: --env "qa": no stacks of this environment .* choose from envone, envthree/],
    ['a missing cdktf.out', () => ['plan', '-o', '/nonexistent/cdktf.out'], /error: \/nonexistent\/cdktf.out: no synthesized output here — run `platform synth` first/],
    ['an unknown flag', (o: string) => ['plan', '-o', o, '--paralel', '2'], /error: unknown option '--paralel'/],
  ])('GIVEN %s', async (_name, args, message) => {
    const result = await runBin(args(outdir()), { env: { TERRAFORM_BINARY_NAME: tofu } });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(message);
    expect(result.stderr).not.toMatch(/\n\s+at /);
    expect(result.stdout).toBe('');
  });
});
