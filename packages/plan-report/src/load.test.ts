import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { fixtureNames, fixturePath, loadFixture } from '../test/helpers';
import { PlanFileError } from './errors';
import { jsonPath, loadPlanFile, parsePlan } from './load';

/** Runs `load` and returns the PlanFileError it throws (failing the test if it throws anything else). */
function planFileError(load: () => unknown): PlanFileError {
  try {
    load();
  } catch (error) {
    expect(error).toBeInstanceOf(PlanFileError);
    return error as PlanFileError;
  }
  throw new Error('expected a PlanFileError, but nothing was thrown');
}

describe('loadPlanFile on valid plans', () => {
  it.each([...fixtureNames('opentofu').map((name) => ['opentofu', name] as const), ...fixtureNames('custom').map((name) => ['custom', name] as const)])(
    'loads %s/%s',
    (group, name) => {
      // GIVEN a real (or hand-written, same-format) `show -json` output
      // WHEN it is loaded
      const plan = loadFixture(group, name);
      // THEN it validates and keeps its format version
      expect(plan.formatVersion).toMatch(/^1\./);
    },
  );

  it('maps the fields it reads onto the camelCase model', () => {
    // GIVEN OpenTofu's requires-replace and moved plans
    // WHEN they are loaded
    const replace = loadFixture('opentofu', 'requires-replace.json');
    const moved = loadFixture('opentofu', 'moved.json');
    // THEN actions, reasons, replace paths, unknown mirrors and previous addresses come through
    const resource = replace.resourceChanges[0];
    expect(resource?.change.actions).toEqual(['delete', 'create']);
    expect(resource?.actionReason).toBe('replace_because_cannot_update');
    expect(resource?.change.replacePaths).toEqual([['ami']]);
    expect(resource?.change.afterUnknown).toEqual({ id: true });
    expect(moved.resourceChanges[0]?.previousAddress).toBe('test_instance.foo');
  });

  it('defaults the optional sections to empty', () => {
    // GIVEN a plan with only a format version (Terraform omits empty sections)
    // WHEN it is parsed
    const plan = parsePlan('{"format_version":"1.2"}', 'minimal');
    // THEN the lists are empty, not undefined
    expect(plan.resourceChanges).toEqual([]);
    expect(plan.resourceDrift).toEqual([]);
    expect(plan.outputChanges).toEqual({});
  });

  it('ignores properties it does not know, as the format asks', () => {
    // GIVEN a plan with properties from a newer minor version
    const text = JSON.stringify({ format_version: '1.9', future_section: [1, 2], resource_changes: [] });
    // WHEN it is parsed
    // THEN it is accepted
    expect(parsePlan(text, 'future').formatVersion).toBe('1.9');
  });

  it('accepts a UTF-8 byte-order mark (as written by some Windows tools)', () => {
    // GIVEN plan text preceded by a BOM
    // WHEN it is parsed
    // THEN the BOM is skipped
    expect(parsePlan('\uFEFF{"format_version":"1.0"}', 'bom').formatVersion).toBe('1.0');
  });

  it('reads a copy written to disk', () => {
    // GIVEN a fixture copied to a temporary folder
    const dir = mkdtempSync(path.join(tmpdir(), 'plan-report-'));
    const file = path.join(dir, 'plan.json');
    writeFileSync(file, readFileSync(fixturePath('opentofu', 'basic-delete.json')));
    // WHEN it is loaded
    // THEN it has both resource changes
    expect(loadPlanFile(file).resourceChanges.map((resource) => resource.address)).toEqual(['test_instance.test', 'test_instance.test-delete']);
  });
});

describe('loadPlanFile on bad files', () => {
  it.each([
    ['empty.json', 'the file is empty', undefined],
    ['syntax-error.json', 'invalid JSON: unexpected character where a value was expected', 'line 3, column 42'],
    ['truncated.json', 'unexpected end of input: the file looks truncated', 'line 50, column 4'],
    ['top-level-array.json', 'expected a JSON object at the top level, found an array', '$'],
    ['future-format.json', 'unsupported format_version "2.0" (this reader understands 1.x)', '$.format_version'],
    ['missing-format-version.json', 'missing required property (expected string)', '$.format_version'],
    ['actions-not-array.json', 'expected array, received string', '$.resource_changes[1].change.actions'],
    ['state-not-plan.json', 'this is a state, not a plan: run `terraform show -json` on a saved plan file (plan -out)', '$'],
  ])('%s gives a PlanFileError naming the file, the problem and where', (name, problem, location) => {
    // GIVEN a broken plan file
    const file = fixturePath('invalid', name);
    // WHEN it is loaded
    const error = planFileError(() => loadPlanFile(file));
    // THEN the error names the file, says what is wrong and where
    expect(error.file).toBe(file);
    expect(error.problem).toBe(problem);
    expect(error.location).toBe(location);
    expect(error.message).toBe(`plan file "${file}": ${problem}${location === undefined ? '' : ` (at ${location})`}`);
  });

  it('says a missing file is missing', () => {
    // GIVEN a path with no file
    const file = fixturePath('invalid', 'does-not-exist.json');
    // WHEN it is loaded
    const error = planFileError(() => loadPlanFile(file));
    // THEN the message names the file and the problem, and keeps the system error as the cause
    expect(error.message).toBe(`plan file "${file}": file not found`);
    expect((error.cause as NodeJS.ErrnoException).code).toBe('ENOENT');
  });

  it('says a directory is not a file', () => {
    // GIVEN a directory where a plan file is expected
    // WHEN it is loaded
    // THEN the message says so
    expect(planFileError(() => loadPlanFile(fixturePath('invalid', ''))).problem).toBe('is a directory, not a file');
  });

  it('never quotes the file content in a JSON syntax error, which may hold secrets', () => {
    // GIVEN a broken file with a secret next to the syntax error (JSON.parse's own message would quote it)
    const text = readFileSync(fixturePath('invalid', 'syntax-error.json'), 'utf8');
    expect(() => JSON.parse(text)).toThrow(/SECRET/);
    // WHEN it is parsed
    const error = planFileError(() => parsePlan(text, 'broken.json'));
    // THEN the message gives a position but not the secret
    expect(error.message).not.toContain('SECRET');
    expect(error.message).toContain('broken.json');
  });

  it.each([
    ['a string action', { format_version: '1.0', resource_changes: [{ address: 'a.b', mode: 'managed', type: 'a', name: 'b', change: { actions: ['explode'] } }] }, '$.resource_changes[0].change.actions[0]'],
    ['no actions', { format_version: '1.0', resource_changes: [{ address: 'a.b', mode: 'managed', type: 'a', name: 'b', change: { actions: [] } }] }, '$.resource_changes[0].change.actions'],
    ['a resource without change', { format_version: '1.0', resource_drift: [{ address: 'a.b', mode: 'managed', type: 'a', name: 'b' }] }, '$.resource_drift[0].change'],
    ['an output that is not an object', { format_version: '1.0', output_changes: { 'db-url': 'x' } }, '$.output_changes["db-url"]'],
    ['a numeric format version', { format_version: 1 }, '$.format_version'],
  ])('rejects %s with the JSON path of the problem', (_, document, location) => {
    // GIVEN plan JSON with a wrong shape
    // WHEN it is parsed
    const error = planFileError(() => parsePlan(JSON.stringify(document), 'shape.json'));
    // THEN the error points at the offending part
    expect(error.location).toBe(location);
    expect(error.message.startsWith('plan file "shape.json": ')).toBe(true);
  });

  it('rejects null, numbers and strings at the top level', () => {
    // GIVEN JSON documents that are not objects
    // WHEN they are parsed
    // THEN each is a PlanFileError saying what was found
    expect(planFileError(() => parsePlan('null', 'n')).problem).toContain('found null');
    expect(planFileError(() => parsePlan('42', 'n')).problem).toContain('found a number');
    expect(planFileError(() => parsePlan('"plan"', 'n')).problem).toContain('found a string');
  });
});

describe('jsonPath', () => {
  it('formats keys, indexes and unusual keys', () => {
    // GIVEN a Zod issue path
    // WHEN it is formatted
    // THEN identifiers use dots, numbers brackets, other keys quoted brackets
    expect(jsonPath([])).toBe('$');
    expect(jsonPath(['resource_changes', 3, 'change', 'actions', 0])).toBe('$.resource_changes[3].change.actions[0]');
    expect(jsonPath(['output_changes', 'my-output'])).toBe('$.output_changes["my-output"]');
  });
});
