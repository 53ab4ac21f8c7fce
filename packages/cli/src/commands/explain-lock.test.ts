import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { runnerIdentity, SELF_LOCK_RUNBOOK } from '../lib/lock-diagnosis';
import { explainLock } from './explain-lock';

/** The lock error OpenTofu prints when `apply` cannot take the state lock (its diagnostic frame kept). */
function lockError(who: string, operation: string, created: Date): string {
  const go = created.toISOString().replace('T', ' ').replace('Z', ' +0000 UTC');
  return [
    '╷',
    '│ Error: Error acquiring the state lock',
    '│ ',
    '│ Error message: operation error DynamoDB: PutItem, https response error StatusCode: 400, ConditionalCheckFailedException',
    '│ Lock Info:',
    '│   ID:        7b1f2c3d-0000-4000-8000-000000000001',
    '│   Path:      acme-tfstate/aone/services.tfstate',
    `│   Operation: ${operation}`,
    `│   Who:       ${who}`,
    '│   Version:   1.12.6',
    `│   Created:   ${go}`,
    '│   Info:      ',
    '╵',
  ].join('\n');
}

describe('platform explain-lock (what apply.yml prints after a failed tofu apply)', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'explain-lock-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  const started = new Date(Date.now() - 30_000);
  const log = (text: string) => {
    const file = path.join(dir, 'apply.log');
    writeFileSync(file, `Acquiring state lock. This may take a few moments...\n${text}\n`);
    return file;
  };

  test('GIVEN an apply that failed on a lock this runner took for an apply after the step started THEN it says the run holds its own lock and names the runbook', () => {
    const file = log(lockError(runnerIdentity(), 'OperationTypeApply', new Date(Date.now() - 5_000)));
    const lines = explainLock({ stack: 'aone-services', log: file, started: started.toISOString(), operation: 'apply' });
    expect(lines[0]).toMatch(/^aone-services: the state lock 7b1f2c3d-0000-4000-8000-000000000001 is held by this run itself/);
    expect(lines.join('\n')).toContain(SELF_LOCK_RUNBOOK);
  });

  test('GIVEN a lock another runner holds THEN it names that runner and the general lock runbook, not a self-lock', () => {
    const file = log(lockError('someone@elsewhere', 'OperationTypeApply', new Date(Date.now() - 5_000)));
    const lines = explainLock({ stack: 'aone-services', log: file, started: started.toISOString(), operation: 'apply' });
    expect(lines[0]).toMatch(/^aone-services: the state is locked by someone@elsewhere \(OperationTypeApply/);
    expect(lines.join('\n')).not.toContain('held by this run itself');
  });

  test('GIVEN a lock of this runner created before the step started THEN it is not taken for this run\'s own', () => {
    const file = log(lockError(runnerIdentity(), 'OperationTypeApply', new Date(started.getTime() - 600_000)));
    expect(explainLock({ stack: 'aone-services', log: file, started: started.toISOString(), operation: 'apply' }).join('\n')).not.toContain('held by this run itself');
  });

  test('GIVEN a failure that is not a lock error THEN nothing is printed', () => {
    const file = log('Error: creating ECR Repository: AccessDeniedException');
    expect(explainLock({ stack: 'aone-services', log: file, started: started.toISOString(), operation: 'apply' })).toEqual([]);
  });

  test.each<[Partial<Record<'started' | 'operation' | 'log', string>>, RegExp]>([
    [{ started: 'yesterday' }, /--started "yesterday": is not a time/],
    [{ operation: 'destroy' }, /--operation "destroy": choose plan or apply/],
    [{ log: 'missing.log' }, /--log .*missing\.log: cannot be read \(ENOENT\)/],
    [{ log: '.' }, /--log .*: is not a regular file/],
  ])('GIVEN bad input %j THEN one clear error names the flag', (patch, message) => {
    const file = log('');
    mkdirSync(path.join(dir, 'sub'));
    const options = { stack: 'aone-services', log: file, started: started.toISOString(), operation: 'apply' as const, ...patch };
    if (patch.log) options.log = path.join(dir, patch.log);
    expect(() => explainLock(options as Parameters<typeof explainLock>[0])).toThrow(message);
  });
});
