import { diagnoseLockOutput, diagnoseLocks, isSelfHeld, lockOperationOf, parseGoTime, parseLockInfo, SELF_LOCK_RUNBOOK } from './lock-diagnosis';
import { type StackOutcome } from './stack-plan';

const ID = '6a0a9440-d073-9040-2142-e14b47cc005f';
const RUNNER = 'runner@ci-host-17';
const STARTED = new Date('2026-11-30T01:02:00Z');
const NOW = new Date('2026-11-30T01:02:09Z');

/** What `tofu plan -no-color` prints when the lock is taken (framed or not). */
function lockError(opts: { who?: string; operation?: string; created?: string; framed?: boolean } = {}): string {
  const body = [
    'Error: Error acquiring the state lock',
    '',
    'Error message: operation error DynamoDB: PutItem, https response error StatusCode: 400, RequestID: x,',
    'ConditionalCheckFailedException: The conditional request failed',
    'Lock Info:',
    `  ID:        ${ID}`,
    '  Path:      acme-tfstate/team-a/services.tfstate',
    `  Operation: ${opts.operation ?? 'OperationTypePlan'}`,
    `  Who:       ${opts.who ?? RUNNER}`,
    '  Version:   1.12.6',
    `  Created:   ${opts.created ?? '2026-11-30 01:02:04.481516342 +0000 UTC'}`,
    '  Info:      ',
    '',
    'OpenTofu acquires a state lock to protect the state from being written',
    'by multiple users at the same time.',
  ];
  return ['Acquiring state lock. This may take a few moments...', ...(opts.framed ? ['╷', ...body.map((l) => `│ ${l}`), '╵'] : body)].join('\n');
}

describe('parseLockInfo', () => {
  test.each([false, true])('GIVEN a lock error (framed: %s) THEN its Lock Info is read', (framed) => {
    expect(parseLockInfo(lockError({ framed }))).toEqual({
      id: ID,
      path: 'acme-tfstate/team-a/services.tfstate',
      operation: 'OperationTypePlan',
      who: RUNNER,
      created: new Date('2026-11-30T01:02:04.481Z'),
    });
  });

  test('GIVEN output without a lock error THEN there is nothing to read', () => {
    expect(parseLockInfo('Error: Invalid provider configuration\nLock Info:\n  ID: x')).toBeUndefined();
    expect(parseLockInfo('Error: Error acquiring the state lock\nno info block')).toBeUndefined();
  });

  test.each([
    ['2026-11-30 01:02:04 +0000 UTC', '2026-11-30T01:02:04.000Z'],
    ['2026-11-30 03:02:04.5 +0200 CEST', '2026-11-30T01:02:04.500Z'],
    ['not a time', undefined],
  ])('GIVEN Created %j THEN it is %s', (text, iso) => {
    expect(parseGoTime(text)?.toISOString()).toBe(iso);
  });
});

describe('diagnoseLockOutput', () => {
  const ctx = { startedAt: STARTED, now: NOW, who: RUNNER };

  test('GIVEN a lock of this runner and operation created after the command started THEN it says the run holds its own lock, after a lost reply, and names the runbook entry', () => {
    const lines = diagnoseLockOutput('team-a-services', lockError(), ctx);
    expect(lines.join('\n')).toContain(`team-a-services: the state lock ${ID} is held by this run itself (${RUNNER}, OperationTypePlan, created 5 s ago`);
    expect(lines.join('\n')).toMatch(/first write succeeded but its reply was lost \(a network error\)/);
    expect(lines.join('\n')).toContain(`force-unlock ${ID}`);
    expect(lines.join('\n')).toContain(SELF_LOCK_RUNBOOK);
  });

  test.each([
    ['another runner', { who: 'someone@laptop' }],
    ['an apply', { operation: 'OperationTypeApply' }],
    ['a lock older than the command', { created: '2026-11-30 00:40:00 +0000 UTC' }],
    ['a lock without a creation time', { created: 'unknown' }],
  ])('GIVEN %s THEN it is reported as held by someone else, with the Locks runbook', (_label, opts) => {
    const text = diagnoseLockOutput('team-a-services', lockError(opts), ctx).join('\n');
    expect(text).toContain('team-a-services: the state is locked by');
    expect(text).toContain('docs/runbooks/state-surgery.md#locks');
    expect(text).not.toContain('held by this run itself');
  });

  test('GIVEN the runner from this process THEN it is user@host, what the engine writes into Who', () => {
    const lock = parseLockInfo(lockError())!;
    expect(isSelfHeld({ ...lock, who: 'nobody@nowhere' }, { startedAt: STARTED, now: NOW })).toBe(false);
  });

  test('GIVEN no lock error THEN nothing is said', () => {
    expect(diagnoseLockOutput('team-a-services', 'Error: Unsupported argument', ctx)).toEqual([]);
  });
});

describe('diagnoseLocks', () => {
  const outcome = (stack: string, status: StackOutcome['status'], output: string): StackOutcome => ({
    stack,
    status,
    durationMs: 1,
    summary: '',
    logs: [
      { step: 'init', code: 0, output: 'Initializing the backend...' },
      { step: 'plan', code: status === 'error' ? 1 : 2, output },
    ],
  });

  test('GIVEN several stacks THEN only the failed ones with a lock error are explained, in order', () => {
    const lines = diagnoseLocks(
      [outcome('team-a-network', 'changes', 'Plan: 1 to add'), outcome('team-a-services', 'error', lockError()), outcome('team-a-data', 'error', 'Error: boom')],
      { startedAt: STARTED, now: NOW, who: RUNNER },
    );
    expect(lines[0]).toMatch(/^team-a-services: the state lock .* is held by this run itself/);
    expect(lines.every((l) => !l.includes('team-a-network') && !l.includes('team-a-data'))).toBe(true);
  });
});

describe('lockOperationOf', () => {
  test.each([
    [['plan', '-input=false', '-lock-timeout=10s'], 'OperationTypePlan'],
    [['apply', '-auto-approve'], 'OperationTypeApply'],
    [['destroy', '-auto-approve'], 'OperationTypeApply'],
    [['refresh'], 'OperationTypeRefresh'],
    [['import', '-input=false', 'terraform_data.A', 'id-1'], 'OperationTypeInvalid'],
    [['state', 'push', '-lock-timeout=10s', 'dest.tfstate'], 'state-push'],
    [['state', 'mv', 'a.b', 'a.c'], 'state-mv'],
    [['state', 'rm', '-dry-run', 'a.b'], 'state-rm'],
    [['-chdir=stacks/x', 'taint', 'a.b'], 'taint'],
  ])('GIVEN tofu %j THEN its lock operation is %s', (args, operation) => {
    expect(lockOperationOf(args)).toBe(operation);
  });

  test.each([[['init']], [['state', 'pull']], [['show', '-json', 'tfplan']], [['force-unlock', '-force', 'x']], [[]]])(
    'GIVEN tofu %j (no lock, or an unknown one) THEN undefined',
    (args) => {
      expect(lockOperationOf(args)).toBeUndefined();
    },
  );
});

describe('parseLockInfo on a failed release', () => {
  // OpenTofu 1.12.6 after an apply whose unlock reply was lost (the retried conditional DeleteItem found the item gone).
  const output = [
    'Error: Error releasing the state lock',
    '',
    'Error message: s3 lock released but dynamoDB failed: operation error',
    'DynamoDB: DeleteItem, https response error StatusCode: 400, RequestID: X,',
    'ConditionalCheckFailedException: The conditional request failed',
    'Lock Info:',
    '  ID:        49faa9a5-f72b-0e79-bb2a-09d614380c5e',
    '  Path:      it-state-surgery/surgery/source.tfstate',
    '  Operation: OperationTypeApply',
    '  Who:       root@vm',
    '  Version:   1.12.6',
    '  Created:   2026-11-30 05:02:51.999818157 +0000 UTC',
    '  Info:      ',
  ].join('\n');

  test("GIVEN the release error WHEN read as an acquire error (the CLI's diagnosis) THEN nothing: it is not a held lock", () => {
    expect(parseLockInfo(output)).toBeUndefined();
  });

  test('GIVEN the release error WHEN read as one THEN its lock info', () => {
    expect(parseLockInfo(output, 'release')).toEqual({
      id: '49faa9a5-f72b-0e79-bb2a-09d614380c5e',
      path: 'it-state-surgery/surgery/source.tfstate',
      operation: 'OperationTypeApply',
      who: 'root@vm',
      created: new Date('2026-11-30T05:02:51.999Z'),
    });
  });
});
