import { addressBlocks, describeRefactor, diffStack, diffSynthesized, MOVED_FIX, normalize, semanticallyEqual, suspectedRefactors } from './semantic-diff';

/** A stack as cdktf synthesizes it: `//` metadata on the document and on each block. */
function stack(resources: Record<string, Record<string, Record<string, unknown>>>, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const withMeta = Object.fromEntries(
    Object.entries(resources).map(([type, byName]) => [
      type,
      Object.fromEntries(Object.entries(byName).map(([name, body]) => [name, { '//': { metadata: { path: `stack/${name}`, uniqueId: name } }, ...body }])),
    ]),
  );
  return {
    '//': { metadata: { backend: 's3', stackName: 'delta-services', version: '0.21.0' } },
    terraform: { backend: { s3: { bucket: 'b', key: 'delta/services.tfstate' } }, required_version: '>= 1.10.0' },
    resource: withMeta,
    ...extra,
  };
}

describe('normalize / semanticallyEqual', () => {
  test('GIVEN the same configuration with keys in another order WHEN compared THEN it is equal', () => {
    const a = { resource: { aws_s3_bucket: { logs: { bucket: 'x', tags: { a: '1', b: '2' } } } }, terraform: { required_version: '1' } };
    const b = { terraform: { required_version: '1' }, resource: { aws_s3_bucket: { logs: { tags: { b: '2', a: '1' }, bucket: 'x' } } } };
    expect(semanticallyEqual(a, b)).toBe(true);
    expect(JSON.stringify(normalize(a))).toBe(JSON.stringify(normalize(b)));
  });

  test('GIVEN only the "//" metadata differs (construct path, unique id, cdktf version) WHEN compared THEN it is equal', () => {
    const a = stack({ aws_iam_role: { r: { name: 'x' } } });
    const b = JSON.parse(JSON.stringify(a)) as { '//': { metadata: { version: string } }; resource: { aws_iam_role: { r: { '//': { metadata: { path: string } } } } } };
    b['//'].metadata.version = '0.22.0';
    b.resource.aws_iam_role.r['//'].metadata.path = 'stack/renamed/r';
    expect(semanticallyEqual(a, b)).toBe(true);
  });

  test('GIVEN list order differs WHEN compared THEN it is a difference (Terraform lists are ordered)', () => {
    expect(semanticallyEqual({ a: [1, 2] }, { a: [2, 1] })).toBe(false);
  });

  test('GIVEN a value differs deep inside WHEN compared THEN it is a difference', () => {
    expect(semanticallyEqual(stack({ t: { r: { v: { deep: [1, { x: 1 }] } } } }), stack({ t: { r: { v: { deep: [1, { x: 2 }] } } } }))).toBe(false);
  });
});

describe('addressBlocks', () => {
  test('GIVEN a synthesized stack THEN resources, data sources, outputs, providers and terraform settings get Terraform-style addresses', () => {
    const doc = stack(
      { aws_iam_role: { role: { name: 'x' } } },
      { data: { aws_iam_policy_document: { doc: { statement: [] } } }, output: { arn: { value: 'x' } }, provider: { aws: [{ region: 'eu-west-1' }] } },
    );
    expect([...addressBlocks(doc).keys()].sort()).toEqual([
      'aws_iam_role.role',
      'data.aws_iam_policy_document.doc',
      'output.arn',
      'provider.aws',
      'terraform.backend',
      'terraform.required_version',
    ]);
  });
});

describe('diffStack', () => {
  test('GIVEN resources added, removed and changed THEN each list names them and the stack is changed', () => {
    const base = stack({ aws_iam_role: { keep: { name: 'a' }, gone: { name: 'g' }, edit: { name: 'e' } } });
    const head = stack({ aws_iam_role: { keep: { name: 'a' }, edit: { name: 'e2' } }, aws_s3_bucket: { fresh: { bucket: 'f' } } });
    expect(diffStack('delta-services', base, head)).toEqual({
      stack: 'delta-services',
      status: 'changed',
      added: ['aws_s3_bucket.fresh'],
      removed: ['aws_iam_role.gone'],
      changed: ['aws_iam_role.edit'],
    });
  });

  test('GIVEN a backend setting changes THEN the stack is changed at terraform.backend', () => {
    const base = stack({});
    const head = stack({});
    (head.terraform as { backend: { s3: { key: string } } }).backend.s3.key = 'delta/other.tfstate';
    expect(diffStack('s', base, head)).toMatchObject({ status: 'changed', changed: ['terraform.backend'] });
  });

  test('GIVEN a stack only on one side THEN it is added or removed', () => {
    expect(diffStack('s', undefined, stack({ t: { r: {} } })).status).toBe('added');
    expect(diffStack('s', stack({ t: { r: {} } }), undefined).status).toBe('removed');
  });

  test('GIVEN the same stack with reordered keys and other metadata THEN it is unchanged', () => {
    const base = stack({ aws_iam_role: { r: { name: 'x', path: '/' } } });
    const head = stack({ aws_iam_role: { r: { path: '/', name: 'x' } } });
    (head['//'] as { metadata: { version: string } }).metadata.version = '9.9.9';
    expect(diffStack('s', base, head)).toMatchObject({ status: 'unchanged', added: [], removed: [], changed: [] });
  });
});

describe('suspectedRefactors', () => {
  test('GIVEN a resource disappears while one of the same type appears THEN it is flagged as a destroy-and-recreate', () => {
    const base = stack({ aws_iam_role: { payments_Role_1A2B3C4D: { name: 'payments-delta-workload' } }, aws_s3_bucket: { other: { bucket: 'o' } } });
    const head = stack({ aws_iam_role: { payments_WorkloadRole_5E6F7A8B: { name: 'payments-delta-workload' } }, aws_s3_bucket: { other: { bucket: 'o' } } });
    const diff = diffStack('delta-services', base, head);
    const refactors = suspectedRefactors(diff, head);
    expect(refactors).toEqual([
      { stack: 'delta-services', type: 'aws_iam_role', removed: ['aws_iam_role.payments_Role_1A2B3C4D'], added: ['aws_iam_role.payments_WorkloadRole_5E6F7A8B'] },
    ]);
    expect(describeRefactor(refactors[0]!)).toBe(
      'delta-services: aws_iam_role.payments_Role_1A2B3C4D disappears while aws_iam_role.payments_WorkloadRole_5E6F7A8B appears — Terraform will destroy and recreate',
    );
    expect(MOVED_FIX).toMatch(/moveFromId.*moved \{ from = <old address> to = <new address> \}/s);
  });

  test('GIVEN the head has a moved block for the pair THEN nothing is flagged', () => {
    const base = stack({ aws_iam_role: { old: { name: 'r' } } });
    const head = stack({ aws_iam_role: { new: { name: 'r' } } }, { moved: [{ from: 'aws_iam_role.old', to: 'aws_iam_role.new' }] });
    expect(suspectedRefactors(diffStack('s', base, head), head)).toEqual([]);
  });

  test('GIVEN a resource is removed and one of another type added THEN it is not a refactor', () => {
    const base = stack({ aws_iam_role: { old: {} } });
    const head = stack({ aws_s3_bucket: { new: {} } });
    expect(suspectedRefactors(diffStack('s', base, head), head)).toEqual([]);
  });

  test('GIVEN data sources or outputs are renamed THEN they are not flagged (nothing is destroyed)', () => {
    const base = stack({}, { data: { aws_iam_policy_document: { a: {} } }, output: { a: { value: 1 } } });
    const head = stack({}, { data: { aws_iam_policy_document: { b: {} } }, output: { b: { value: 1 } } });
    expect(suspectedRefactors(diffStack('s', base, head), head)).toEqual([]);
  });
});

describe('diffSynthesized', () => {
  test('GIVEN base and head outputs THEN affected holds the added and changed stacks, sorted, and not the removed or unchanged ones', () => {
    const same = stack({ t: { r: { v: 1 } } });
    const base = new Map([
      ['delta-services', same],
      ['papa-services', same],
      ['old-stack', same],
    ]);
    const head = new Map([
      ['papa-services', stack({ t: { r: { v: 2 } } })],
      ['delta-services', stack({ t: { r: { v: 1 } } })],
      ['delta-network', same],
    ]);
    const diff = diffSynthesized(base, head);
    expect(diff.affected).toEqual(['delta-network', 'papa-services']);
    expect(diff.stacks.map((s) => [s.stack, s.status])).toEqual([
      ['delta-network', 'added'],
      ['delta-services', 'unchanged'],
      ['old-stack', 'removed'],
      ['papa-services', 'changed'],
    ]);
  });
});
