import fc from 'fast-check';
import { type AttributeChange, type ValueChange, diffAttributes, formatPath, jsonEqual, mask, shownText } from './attributes';
import { type JsonValue } from './types';

/** A change with no sensitive or unknown parts, overridden by `parts`. */
function change(parts: Partial<ValueChange>): ValueChange {
  return { before: null, after: null, beforeSensitive: false, afterSensitive: false, afterUnknown: false, ...parts };
}

/** Rows as `path: before → after` text, easy to compare. */
function lines(rows: readonly AttributeChange[]): string[] {
  return rows.map((row) => `${formatPath(row.path)}: ${shownText(row.before)} → ${shownText(row.after)}`);
}

describe('diffAttributes', () => {
  it('lists only the attributes that differ, walking nested objects and arrays', () => {
    // GIVEN an update touching a nested map and one list element
    const before = { name: 'web', tags: { env: 'delta', team: 'a' }, rules: [{ port: 80 }, { port: 443 }] };
    const after = { name: 'web', tags: { env: 'papa', team: 'a' }, rules: [{ port: 80 }, { port: 8443 }] };
    // WHEN it is diffed
    // THEN only the two changed leaves are listed, by path
    expect(lines(diffAttributes(change({ before, after })))).toEqual(['rules[1].port: 443 → 8443', 'tags.env: "delta" → "papa"']);
  });

  it('flattens a create into its attributes, skipping nulls, with unknown ones known after apply', () => {
    // GIVEN a create with an unknown id and a nested unknown
    const after = { ami: 'bar', unset: null, block: [{ name: 'a' }] };
    // WHEN it is diffed
    const rows = diffAttributes(change({ after, afterUnknown: { id: true, block: [{ uid: true }] } }));
    // THEN each set or unknown attribute is a row from (none)
    expect(lines(rows)).toEqual([
      'ami: (none) → "bar"',
      'block[0].name: (none) → "a"',
      'block[0].uid: (none) → (known after apply)',
      'id: (none) → (known after apply)',
    ]);
  });

  it('flattens a delete into the attributes that go away', () => {
    // GIVEN a delete
    // WHEN it is diffed
    // THEN every attribute goes to (none)
    expect(lines(diffAttributes(change({ before: { ami: 'foo', id: 'i-1' } })))).toEqual(['ami: "foo" → (none)', 'id: "i-1" → (none)']);
  });

  it('marks unknown array elements (OpenTofu unknown-output shape)', () => {
    // GIVEN an output list whose middle element is unknown
    // WHEN it is diffed under the output's name
    const rows = diffAttributes(change({ after: ['hello', null, 'world'], afterUnknown: [false, true, false] }), ['bar']);
    // THEN the element is known after apply
    expect(lines(rows)).toEqual(['bar[0]: (none) → "hello"', 'bar[1]: (none) → (known after apply)', 'bar[2]: (none) → "world"']);
  });

  it('shows a whole unknown value replacing a known one', () => {
    // GIVEN an attribute that becomes unknown, with a sensitive part in its old value
    const rows = diffAttributes(
      change({
        before: { config: { user: 'admin', password: 'SECRET-1' } },
        after: {},
        beforeSensitive: { config: { password: true } },
        afterUnknown: { config: true },
      }),
    );
    // WHEN it is shown
    // THEN the old value is shown masked and the new one as known after apply
    expect(lines(rows)).toEqual(['config: {"user":"admin","password":"(sensitive)"} → (known after apply)']);
  });

  it.each<[string, Partial<ValueChange>, string[]]>([
    ['sensitive on both sides', { before: { pw: 'SECRET-a' }, after: { pw: 'SECRET-b' }, beforeSensitive: { pw: true }, afterSensitive: { pw: true } }, ['pw: (sensitive) → (sensitive)']],
    ['sensitive only after (the old value is masked too)', { before: { pw: 'SECRET-a' }, after: { pw: 'SECRET-b' }, afterSensitive: { pw: true } }, ['pw: (sensitive) → (sensitive)']],
    ['sensitive only before', { before: { pw: 'SECRET-a' }, after: { pw: 'SECRET-b' }, beforeSensitive: { pw: true } }, ['pw: (sensitive) → (sensitive)']],
    ['a whole sensitive block', { before: { db: { user: 'u', pw: 'SECRET-a' } }, after: { db: { user: 'v', pw: 'SECRET-b' } }, afterSensitive: { db: true } }, ['db: (sensitive) → (sensitive)']],
    ['a whole sensitive object at the root', { before: { pw: 'SECRET-a' }, after: null, beforeSensitive: true }, [': (sensitive) → (none)']],
    ['sensitive list elements (mirrored structure)', { before: { l: [{ s: 'SECRET-a', n: 1 }] }, after: { l: [{ s: 'SECRET-b', n: 2 }] }, beforeSensitive: { l: [{ s: true }] }, afterSensitive: { l: [{ s: true }] } }, ['l[0].n: 1 → 2', 'l[0].s: (sensitive) → (sensitive)']],
    ['an unchanged sensitive value', { before: { pw: 'SECRET-a' }, after: { pw: 'SECRET-a' }, beforeSensitive: { pw: true }, afterSensitive: { pw: true } }, []],
    ['a sensitive value created', { before: null, after: { pw: 'SECRET-a' }, afterSensitive: { pw: true } }, ['pw: (none) → (sensitive)']],
  ])('masks %s', (_, parts, expected) => {
    // GIVEN a change with sensitive parts
    // WHEN it is diffed and shown
    const text = lines(diffAttributes(change(parts)));
    // THEN the sensitive parts are placeholders and no secret appears
    expect(text).toEqual(expected);
    expect(text.join('\n')).not.toContain('SECRET');
  });

  it('shows a change of type as whole values, masking sensitive parts', () => {
    // GIVEN a string that becomes an object with a sensitive member
    const rows = diffAttributes(change({ before: { v: 'plain' }, after: { v: { key: 'SECRET-x', n: 1 } }, afterSensitive: { v: { key: true } } }));
    // WHEN it is shown
    // THEN the object is shown with the member masked
    expect(lines(rows)).toEqual(['v: "plain" → {"key":"(sensitive)","n":1}']);
  });

  it('reports an empty collection appearing or disappearing', () => {
    // GIVEN a map that becomes empty-but-set and a list that goes away
    // WHEN they are diffed
    // THEN both are rows (an empty collection is not the same as unset)
    expect(lines(diffAttributes(change({ before: { tags: null, list: [] }, after: { tags: {}, list: null } })))).toEqual(['list: [] → (none)', 'tags: (none) → {}']);
  });

  it('treats null and absent as the same', () => {
    // GIVEN an attribute that is null before and missing after
    // WHEN it is diffed
    // THEN nothing changed
    expect(diffAttributes(change({ before: { a: null, b: 1 }, after: { b: 1 } }))).toEqual([]);
  });

  it('never copies a sensitive value into its result (property)', () => {
    // GIVEN random before/after trees where some subtrees are sensitive and hold secrets
    fc.assert(
      fc.property(sensitiveTree, sensitiveTree, fc.boolean(), (before, after, unknownRoot) => {
        // WHEN they are diffed and every row is rendered
        const rows = diffAttributes({
          before: before.value,
          after: after.value,
          beforeSensitive: before.mask,
          afterSensitive: after.mask,
          afterUnknown: unknownRoot ? { extra: true } : false,
        });
        const text = JSON.stringify(rows) + lines(rows).join('\n');
        // THEN no secret appears anywhere in the result
        expect(text).not.toContain('SECRET');
      }),
      { numRuns: 500 },
    );
  });

  it('finds nothing to report between a value and itself (property)', () => {
    // GIVEN any JSON value with any sensitivity
    fc.assert(
      fc.property(sensitiveTree, (tree) => {
        // WHEN it is diffed against itself
        // THEN there are no rows
        expect(diffAttributes({ before: tree.value, after: tree.value, beforeSensitive: tree.mask, afterSensitive: tree.mask, afterUnknown: false })).toEqual([]);
      }),
    );
  });
});

describe('mask', () => {
  it('replaces sensitive and unknown parts with placeholders', () => {
    // GIVEN a value with a sensitive member and an unknown element
    // WHEN it is masked
    // THEN those parts are placeholders and the rest is copied
    expect(mask({ a: 'x', s: 'SECRET', l: [1, 2] }, { s: true }, { l: [false, true] })).toEqual({ a: 'x', s: '(sensitive)', l: [1, '(known after apply)'] });
  });
});

describe('jsonEqual', () => {
  it('compares structurally', () => {
    // GIVEN pairs of JSON values
    // WHEN they are compared
    // THEN key order does not matter, types and lengths do
    expect(jsonEqual({ a: [1, { b: 2 }], c: null }, { c: null, a: [1, { b: 2 }] })).toBe(true);
    expect(jsonEqual([1, 2], [1, 2, 3])).toBe(false);
    expect(jsonEqual('1', 1)).toBe(false);
    expect(jsonEqual({ a: 1 }, [1])).toBe(false);
  });
});

describe('formatPath', () => {
  it('uses dots for names, brackets for indexes and quoted keys', () => {
    // GIVEN paths with names, indexes and keys that are not identifiers
    // WHEN they are formatted
    // THEN they read like Terraform references
    expect(formatPath(['ingress', 0, 'cidr_blocks', 1])).toBe('ingress[0].cidr_blocks[1]');
    expect(formatPath(['labels', 'app.kubernetes.io/name'])).toBe('labels["app.kubernetes.io/name"]');
    expect(formatPath(['tags', 'my-tag'])).toBe('tags.my-tag');
  });
});

describe('shownText', () => {
  it('shortens long values and says by how much', () => {
    // GIVEN a 500-character string
    const value = 'x'.repeat(500);
    // WHEN it is shown with the default limit
    const text = shownText({ kind: 'value', value });
    // THEN it is cut at 200 characters with the rest counted
    expect(text).toBe(`"${'x'.repeat(199)}… (302 more characters)`);
  });
});

/** A JSON tree with its sensitivity mirror; sensitive subtrees (and only they) hold `SECRET` strings. */
interface Tree {
  readonly value: JsonValue;
  readonly mask: JsonValue;
}

const plainLeaf: fc.Arbitrary<JsonValue> = fc.oneof(fc.constant(null), fc.boolean(), fc.integer(), fc.string({ unit: fc.constantFrom('a', 'b', '|', '`', ' ') }));
const secretValue: fc.Arbitrary<JsonValue> = fc.oneof(
  fc.constant('SECRET-string'),
  fc.constant(['SECRET-item', 'SECRET-item-2']),
  fc.constant({ SECRET_KEY: 'SECRET-value', nested: { deeper: 'SECRET-deep' } }),
  fc.integer().map((n) => `SECRET-${n}`),
);
const key = fc.constantFrom('a', 'b', 'c', 'name', 'tags');

const { tree: sensitiveTree } = fc.letrec<{ tree: Tree }>((tie) => ({
  tree: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    plainLeaf.map((value): Tree => ({ value, mask: false })),
    secretValue.map((value): Tree => ({ value, mask: true })),
    fc.array(tie('tree'), { maxLength: 3 }).map((items): Tree => ({ value: items.map((item) => item.value), mask: items.map((item) => item.mask) })),
    fc.dictionary(key, tie('tree'), { maxKeys: 3 }).map(
      (entries): Tree => ({
        value: Object.fromEntries(Object.entries(entries).map(([name, item]) => [name, item.value])),
        mask: Object.fromEntries(Object.entries(entries).map(([name, item]) => [name, item.mask])),
      }),
    ),
  ),
}));
