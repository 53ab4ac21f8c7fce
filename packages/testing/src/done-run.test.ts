import { codeOfDoneRun } from './tofu';

const NO_CHANGES = 'No changes. Your infrastructure matches the configuration.\n';
const CHANGES = 'OpenTofu will perform the following actions:\n\nPlan: 1 to add, 0 to change, 0 to destroy.\n';
const OUTPUTS = 'Changes to Outputs:\n  + name = "x"\n';
const PLAN = ['plan', '-input=false', '-detailed-exitcode'];

describe('codeOfDoneRun (the exit code a run that did its work would have had)', () => {
  test('GIVEN success means exit 0 THEN 0, whatever the command', () => {
    expect(codeOfDoneRun(['apply', '-auto-approve'], '', [0])).toBe(0);
    expect(codeOfDoneRun(PLAN, CHANGES, [0])).toBe(0);
  });

  test('GIVEN plan -detailed-exitcode THEN 0 after "No changes.", 2 after a plan summary or output changes', () => {
    expect(codeOfDoneRun(PLAN, NO_CHANGES, [0, 2])).toBe(0);
    expect(codeOfDoneRun(PLAN, CHANGES, [0, 2])).toBe(2);
    expect(codeOfDoneRun(PLAN, OUTPUTS, [0, 2])).toBe(2);
  });

  test('GIVEN output that says neither or both, another command, or no -detailed-exitcode THEN unknown', () => {
    expect(codeOfDoneRun(PLAN, 'Refreshing state...\n', [0, 2])).toBeUndefined();
    expect(codeOfDoneRun(PLAN, `${NO_CHANGES}${CHANGES}`, [0, 2])).toBeUndefined();
    expect(codeOfDoneRun(['apply', '-auto-approve'], NO_CHANGES, [0, 2])).toBeUndefined();
    expect(codeOfDoneRun(['plan', '-input=false'], NO_CHANGES, [0, 2])).toBeUndefined();
    expect(codeOfDoneRun(PLAN, NO_CHANGES, [0, 1])).toBeUndefined();
  });
});
