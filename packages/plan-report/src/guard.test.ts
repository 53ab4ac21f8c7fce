import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { AckFileError, destroyAction, guardPlans, parseAcks } from './guard';
import { parsePlan } from './load';
import { type ResourceChange } from './types';

const FIXTURES = path.join(__dirname, '..', 'test', 'fixtures', 'opentofu');
const REASON = 'the table moved to the new module, data exported first';

function change(actions: ResourceChange['change']['actions']): ResourceChange {
  const plan = parsePlan(readFileSync(path.join(FIXTURES, 'requires-replace.json'), 'utf8'), 'requires-replace.json');
  const rc = plan.resourceChanges[0]!;
  return { ...rc, change: { ...rc.change, actions } };
}

describe('destroy guard', () => {
  test.each([
    [['delete'], 'delete'],
    [['delete', 'create'], 'replace'],
    [['create', 'delete'], 'replace'],
    [['create', 'forget'], undefined],
    [['forget'], undefined],
    [['update'], undefined],
    [['no-op'], undefined],
  ] as const)('GIVEN actions %j THEN the destroy action is %s', (actions, expected) => {
    expect(destroyAction(change([...actions]))).toBe(expected);
  });

  test('GIVEN a bare list of acknowledgements THEN it is read like the acknowledgements: key, with file:line sources', () => {
    const acks = parseAcks(`- stack: zzprod-data\n  address: aws_dynamodb_table.locks\n  reason: ${REASON}\n`, 'ack.yaml');
    expect(acks).toEqual([{ stack: 'zzprod-data', address: 'aws_dynamodb_table.locks', reason: REASON, source: 'ack.yaml:1' }]);
    expect(parseAcks('', 'ack.yaml')).toEqual([]);
    expect(parseAcks('acknowledgements: []\n', 'ack.yaml')).toEqual([]);
  });

  test.each([
    ['an unknown top-level key', `acknowledgements: []\nextra: 1\n`, /ack\.yaml:1: unknown key "extra"/],
    ['a repeated entry', `- {stack: a-b, address: x.y, reason: "${REASON}"}\n- {stack: a-b, address: x.y, reason: "${REASON}"}\n`, /ack\.yaml:2: acknowledgements\[1\] repeats a-b x\.y \(also at ack\.yaml:1\)/],
    ['a scalar', 'acknowledgements: yes\n', /acknowledgements is not a list/],
    ['broken YAML', 'acknowledgements: [\n', /ack\.yaml:\d+: .* — fix the YAML syntax/],
  ])('GIVEN %s THEN AckFileError names the line and the fix', (_name, text, message) => {
    expect(() => parseAcks(text, 'ack.yaml')).toThrow(AckFileError);
    expect(() => parseAcks(text, 'ack.yaml')).toThrow(message);
  });

  test('GIVEN a data source and a stateful type that is only updated THEN neither is a finding; a production delete without acknowledgement fails the report', () => {
    const plan = parsePlan(readFileSync(path.join(FIXTURES, 'requires-replace.json'), 'utf8'), 'x');
    const rc = plan.resourceChanges[0]!;
    const stacks = [
      {
        stack: 'zzprod-data',
        plan: {
          ...plan,
          resourceChanges: [
            { ...rc, mode: 'data' as const, type: 'aws_s3_bucket', address: 'data.aws_s3_bucket.x' },
            { ...rc, type: 'aws_kms_key', address: 'aws_kms_key.k', change: { ...rc.change, actions: ['update' as const] } },
            { ...rc, type: 'aws_dynamodb_table', address: 'aws_dynamodb_table.locks', change: { ...rc.change, actions: ['delete' as const] } },
          ],
        },
      },
    ];
    const report = guardPlans(stacks, { tiers: new Map([['zzprod', 'production']]) });
    expect(report.findings.map((f) => [f.address, f.action, f.verdict])).toEqual([['aws_dynamodb_table.locks', 'delete', 'blocked']]);
    expect(report.passed).toBe(false);
    const acked = guardPlans(stacks, { tiers: new Map([['zzprod', 'production']]), acks: parseAcks(`- {stack: zzprod-data, address: aws_dynamodb_table.locks, reason: "${REASON}"}`, 'a.yaml') });
    expect(acked.passed).toBe(true);
    expect(acked.findings[0]!.ack).toEqual({ reason: REASON, source: 'a.yaml:1' });
  });
});
