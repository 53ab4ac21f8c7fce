import { fixtureNames, fixtureStack, generatePlanJson, leakedSecrets, loadFixture } from '../test/helpers';
import { renderComment } from './comment';
import { DEFAULT_MAX_CHARS, GITHUB_COMMENT_LIMIT } from './fit';
import { parsePlan } from './load';
import { type StackPlan } from './types';

const ALL_FIXTURES: StackPlan[] = [
  ...fixtureNames('opentofu').map((name) => ({ stack: `tofu-${name.replace(/\.json$/, '')}`, plan: loadFixture('opentofu', name) })),
  ...fixtureNames('custom').map((name) => ({ stack: `custom-${name.replace(/\.json$/, '')}`, plan: loadFixture('custom', name) })),
];

/** The Markdown between a stack's heading and the next stack's heading. */
function stackSection(markdown: string, stack: string): string {
  const start = markdown.indexOf(`### \`${stack}\``);
  expect(start).toBeGreaterThanOrEqual(0);
  const next = markdown.indexOf('\n### ', start + 1);
  return markdown.slice(start, next === -1 ? undefined : next);
}

function countDetails(markdown: string): number {
  return (markdown.match(/<details>/g) ?? []).length;
}

/** Cells of a table line, split at unescaped pipes. */
function cells(line: string): string[] {
  return line.split(/(?<!\\)\|/).slice(1, -1);
}

describe('renderComment: structure', () => {
  it('starts with the hidden marker for the title', () => {
    // GIVEN a plan and a custom title
    const stacks = fixtureStack('opentofu', 'basic-create.json');
    // WHEN the comment is rendered with and without the title
    // THEN the first line is the marker of that title's slug
    expect(renderComment(stacks).split('\n')[0]).toBe('<!-- platform-plan-comment: terraform-plan -->');
    expect(renderComment(stacks, { title: 'Plan: papa (eu-west-1)' }).split('\n')[0]).toBe('<!-- platform-plan-comment: plan-papa-eu-west-1 -->');
  });

  it('has a summary table with one row per stack, sorted by name, and a total', () => {
    // GIVEN three stacks in no particular order
    const stacks = [
      { stack: 'papa', plan: loadFixture('opentofu', 'requires-replace.json') },
      { stack: 'delta', plan: loadFixture('opentofu', 'basic-create.json') },
      { stack: 'ci', plan: loadFixture('opentofu', 'basic-update.json') },
    ];
    // WHEN the comment is rendered
    const markdown = renderComment(stacks);
    // THEN the table lists them by name with their counts and status, then a total
    const summary = markdown.slice(markdown.indexOf('| stack'), markdown.indexOf('\n\n', markdown.indexOf('| stack')));
    const rows = summary.split('\n');
    expect(rows.map((line) => cells(line).map((text) => text.trim()))).toEqual([
      ['stack', 'create', 'update', 'replace', 'delete', 'no-op', 'status'],
      ['---', '---:', '---:', '---:', '---:', '---:', '---'],
      ['`ci`', '0', '0', '0', '0', '1', '✅ no changes'],
      ['`delta`', '3', '0', '0', '0', '0', '📝 changes'],
      ['`papa`', '0', '0', '1', '0', '0', '⚠️ destroys'],
      ['**total**', '3', '0', '1', '0', '1', '⚠️ destroys'],
    ]);
    // AND the stack sections follow in the same order (no section for a stack without changes)
    expect(markdown.indexOf('### `delta`')).toBeLessThan(markdown.indexOf('### `papa`'));
    expect(markdown).not.toContain('### `ci`');
  });

  it('adds read, forget and drifted columns only when some stack has them', () => {
    // GIVEN a plan with reads and forgets, and one with drift
    // WHEN they are rendered
    const header = (markdown: string): string => markdown.split('\n').find((line) => line.startsWith('| stack')) ?? '';
    // THEN the extra columns appear
    expect(header(renderComment(fixtureStack('custom', 'action-reasons.json')))).toBe(
      '| stack | create | update | replace | delete | no-op | read | forget | status |',
    );
    expect(header(renderComment(fixtureStack('opentofu', 'drift.json')))).toContain('| drifted |');
  });

  it('is deterministic whatever the input order', () => {
    // GIVEN every fixture, in two orders
    // WHEN each is rendered
    // THEN the comments are identical
    expect(renderComment([...ALL_FIXTURES].reverse())).toBe(renderComment(ALL_FIXTURES));
  });

  it('says so when nothing changes', () => {
    // GIVEN a plan with only a no-op
    // WHEN it is rendered
    const markdown = renderComment(fixtureStack('opentofu', 'basic-update.json'));
    // THEN it says there are no changes, with no resource blocks
    expect(markdown).toContain('No changes in any stack.');
    expect(countDetails(markdown)).toBe(0);
    expect(renderComment([])).toContain('_No stacks were planned._');
  });
});

describe('renderComment: the OpenTofu fixtures', () => {
  it('lists a replace first, with its reason, order and the paths that force it', () => {
    // GIVEN OpenTofu's requires-replace plan
    // WHEN it is rendered
    const section = stackSection(renderComment(fixtureStack('opentofu', 'requires-replace.json')), 'requires-replace');
    // THEN the replace is under the destroy heading, marked, with the reason in words and the forcing path
    expect(section).toContain('#### ⚠️ Destroyed or replaced (1)');
    expect(section).toContain('<summary>⚠️ <b>replace</b> <code>test_instance.test</code> — an attribute that forces replacement changed</summary>');
    expect(section).toContain('**Forces replacement:** `ami`');
    expect(section).toContain('**Order:** destroy, then create the replacement');
    expect(section).toContain('| `ami` ⚠️ forces replacement | `"bar"` | `"force-replace"` |');
    expect(section).toContain('| `id` | `"placeholder"` | _(known after apply)_ |');
  });

  it('lists a delete before the update, with the delete reason', () => {
    // GIVEN OpenTofu's basic-delete plan (an update listed before a delete)
    // WHEN it is rendered
    const section = stackSection(renderComment(fixtureStack('opentofu', 'basic-delete.json')), 'basic-delete');
    // THEN the delete comes first, marked as a destroy "removed from configuration"
    const destroy = section.indexOf('⚠️ <b>destroy</b> <code>test_instance.test-delete</code> — removed from configuration');
    const update = section.indexOf('<b>update in place</b> <code>test_instance.test</code>');
    expect(destroy).toBeGreaterThan(0);
    expect(update).toBeGreaterThan(destroy);
    expect(section).toContain('**Plan:** 0 to add, 1 to change, 1 to destroy.');
  });

  it('shows drift in its own section', () => {
    // GIVEN OpenTofu's drift plan
    // WHEN it is rendered
    const section = stackSection(renderComment(fixtureStack('opentofu', 'drift.json')), 'drift');
    // THEN the refreshed resource is under "Changed outside Terraform", with the state and actual values
    const drift = section.slice(section.indexOf('#### Changed outside Terraform (1)'));
    expect(drift).toContain('<code>test_instance.should_refresh</code> — changed outside Terraform');
    expect(drift).toContain('| `ami` | `"refresh-me"` | `"refreshed"` |');
    expect(drift).not.toContain('no_refresh');
  });

  it('shows where a moved resource came from', () => {
    // GIVEN OpenTofu's moved plan and its count-instance move
    // WHEN they are rendered
    const moved = renderComment(fixtureStack('opentofu', 'moved.json'));
    const multi = renderComment(fixtureStack('opentofu', 'multi-resource-update.json'));
    // THEN "moved from" names the previous address, also for a move with no other change
    expect(moved).toContain('<code>test_instance.baz</code> (moved from <code>test_instance.foo</code>)');
    expect(moved).toContain('**Moved from** `test_instance.foo`');
    expect(multi).toContain('<b>move</b> <code>test_instance.test[0]</code> (moved from <code>test_instance.test</code>)');
  });

  it('shows module addresses', () => {
    // GIVEN OpenTofu's modules and nested-modules plans
    // WHEN they are rendered
    const markdown = renderComment([...fixtureStack('opentofu', 'modules.json'), ...fixtureStack('opentofu', 'nested-modules.json')]);
    // THEN each resource appears with its full module address
    for (const address of [
      'module.module_test_bar.test_instance.test',
      'module.module_test_foo.test_instance.test[0]',
      'module.module_test_foo.test_instance.test[2]',
      'module.my_module.module.more.test_instance.test',
    ]) {
      expect(markdown).toContain(`<code>${address}</code>`);
    }
  });

  it('masks sensitive attributes and outputs', () => {
    // GIVEN OpenTofu's sensitive-values plan (ami and the output are sensitive: "boop")
    // WHEN it is rendered
    const markdown = renderComment(fixtureStack('opentofu', 'sensitive-values.json'));
    // THEN they are shown as (sensitive) and the value is nowhere
    expect(markdown).toContain('| `ami` | _(none)_ | _(sensitive)_ |');
    expect(markdown).toContain('| `test` | _(none)_ | _(sensitive)_ |');
    expect(markdown).not.toContain('boop');
  });

  it('shows unknown outputs as known after apply', () => {
    // GIVEN OpenTofu's unknown-output plan
    // WHEN it is rendered
    const markdown = renderComment(fixtureStack('opentofu', 'unknown-output.json'));
    // THEN unknown list elements and object members say so
    const outputs = markdown.slice(markdown.indexOf('#### Outputs'));
    expect(outputs).toContain('| `bar[1]` | _(none)_ | _(known after apply)_ |');
    expect(outputs).toContain('| `baz.time` | _(none)_ | _(known after apply)_ |');
    expect(outputs).toContain('| `foo` | _(none)_ | `"hello"` |');
  });
});

describe('renderComment: custom fixtures', () => {
  it('explains every documented action reason', () => {
    // GIVEN a plan with each action_reason Terraform documents
    // WHEN it is rendered
    const markdown = renderComment(fixtureStack('custom', 'action-reasons.json'));
    // THEN each reason is in words
    for (const words of [
      'an attribute that forces replacement changed',
      'the object is tainted',
      'replacement was requested (`-replace`)',
      'a `replace_triggered_by` reference changed',
      'its module was removed from configuration',
      'its `count` index is beyond the new `count`',
      'its key is no longer in `for_each`',
      'the resource switched between `count`, `for_each` and a single instance',
      'a `moved` block points at an address that is not in the configuration',
      'its configuration depends on values not known until apply',
      'it depends on a resource with pending changes',
    ]) {
      expect(markdown).toContain(`**Why:** ${words}`);
    }
    // AND nested replace paths, create_before_destroy, deposed objects, forget and import are shown
    expect(markdown).toContain('**Forces replacement:** `ami`, `network_interface[0].subnet_id`');
    expect(markdown).toContain('| `network_interface[0].subnet_id` ⚠️ forces replacement | `"subnet-aaa"` | `"subnet-bbb"` |');
    expect(markdown).toContain('**Order:** create the replacement, then destroy (`create_before_destroy`)');
    expect(markdown).toContain('⚠️ <b>destroy</b> <code>aws_instance.web</code> (deposed object <code>a1b2c3d4</code>)');
    expect(markdown).toContain('<b>forget (remove from state, keep the object)</b> <code>aws_s3_bucket.keep</code>');
    expect(markdown).toContain('**Imported from ID** `imported`');
    expect(markdown).not.toContain('aws_vpc.main');
  });

  it('lists all destroys and replaces before any other change, each group by address', () => {
    // GIVEN a plan mixing destroys, replaces, reads, a forget and an import
    // WHEN it is rendered
    const markdown = renderComment(fixtureStack('custom', 'action-reasons.json'));
    const summaries = [...markdown.matchAll(/<summary>(⚠️ )?<b>[^<]+<\/b> <code>([^<]+)<\/code>/g)].map((match) => ({
      destructive: match[1] !== undefined,
      address: match[2] ?? '',
    }));
    // THEN the destructive ones come first, and each group is sorted by address
    const firstOther = summaries.findIndex((entry) => !entry.destructive);
    expect(summaries.slice(0, firstOther).every((entry) => entry.destructive)).toBe(true);
    expect(summaries.slice(firstOther).every((entry) => !entry.destructive)).toBe(true);
    const addresses = summaries.map((entry) => entry.address);
    expect(addresses.slice(0, firstOther)).toEqual([...addresses.slice(0, firstOther)].sort());
    expect(addresses.slice(firstOther)).toEqual([...addresses.slice(firstOther)].sort());
  });

  it('keeps tables intact and HTML inert whatever the values contain', () => {
    // GIVEN values with pipes, backticks, HTML, comments, Markdown and line breaks
    // WHEN they are rendered
    const markdown = renderComment(fixtureStack('custom', 'markdown-hostile.json'));
    // THEN every table row has exactly three cells
    const body = markdown.slice(markdown.indexOf('\n### '));
    const rows = body.split('\n').filter((line) => line.startsWith('|'));
    expect(rows.length).toBeGreaterThan(5);
    for (const row of rows) expect(cells(row)).toHaveLength(3);
    // AND HTML from values only appears inside code spans, addresses in summaries are escaped
    expect(markdown).toContain('`"<script>alert(1)</script>"`');
    expect(markdown.replace(/`"<script>alert\(1\)<\/script>"`/g, '')).not.toContain('<script>');
    expect(markdown).toContain('<code>null_resource.weird[&quot;a|b`c&quot;]</code>');
    expect(markdown).toContain('| `triggers.tick` | ```"a`b``c"``` | ````"a`b```c"```` |');
    expect(markdown).toContain('| `triggers.pipe` | `"x\\|y"` | `"x\\|y\\|z"` |');
    // AND a long value is shortened
    expect(markdown).toMatch(/… \(\d+ more characters\)`/);
  });

  it('never prints a sensitive value, nested or not', () => {
    // GIVEN every fixture, including nested sensitive blocks, lists, outputs and drift
    // WHEN they are rendered together
    const markdown = renderComment(ALL_FIXTURES);
    // THEN no secret appears, and the sensitive attributes are there as placeholders
    expect(leakedSecrets(markdown)).toEqual([]);
    const section = stackSection(markdown, 'custom-nested-sensitive');
    expect(section).toContain('| `connection` | _(sensitive)_ | _(sensitive)_ |');
    expect(section).toContain('| `replicas[1].secret` | _(sensitive)_ | _(sensitive)_ |');
    expect(section).toContain('| `data` | _(none)_ | _(sensitive)_ |');
    expect(section).toContain('| _(whole object)_ | _(sensitive)_ | _(none)_ |');
    expect(section).toContain('| `result` | _(sensitive)_ | _(known after apply)_ |');
    expect(section).toContain('| `db_connection.password` | _(none)_ | _(sensitive)_ |');
    expect(section).toContain('| `api_key` | _(sensitive)_ | _(sensitive)_ |');
    expect(section).toContain('| `tags.env` | `"blue"` | `"green"` |');
  });
});

describe('renderComment: size limit', () => {
  const total = 5_000;
  const huge = (): StackPlan[] => [{ stack: 'huge', plan: parsePlan(generatePlanJson(total), 'generated') }];

  it('drops resource blocks from the end, keeping destroys longest, and counts what it dropped', () => {
    // GIVEN a plan of 5,000 resources (500 deletes), far beyond a comment's size
    // WHEN it is rendered with the default limit
    const markdown = renderComment(huge());
    // THEN it fits, and the note's count plus the blocks shown is every resource
    expect(markdown.length).toBeLessThanOrEqual(DEFAULT_MAX_CHARS);
    const note = /^> … truncated: (\d+) more resources not shown; the full plan is in the workflow artifact$/m.exec(markdown);
    expect(note).not.toBeNull();
    const shown = countDetails(markdown);
    expect(shown).toBeGreaterThan(0);
    expect(Number(note?.[1]) + shown).toBe(total);
    // AND the blocks shown are the first deletes by address (destroys are dropped last, each group from the end)
    const addresses = [...markdown.matchAll(/<summary>⚠️ <b>destroy<\/b> <code>aws_ssm_parameter\.generated\[(\d+)\]<\/code>/g)].map((match) => Number(match[1]));
    expect(addresses).toHaveLength(shown);
    expect(addresses).toEqual(Array.from({ length: shown }, (_, index) => index * 10));
    // AND the summary table and the per-stack note are still there
    expect(markdown).toContain('| `huge` | 0 | 4500 | 0 | 500 | 0 | ⚠️ destroys |');
    expect(markdown).toContain(`_… ${total - shown} resources of this stack not shown: the comment is too long._`);
  });

  it('uses the artifact hint and the given limit', () => {
    // GIVEN a huge plan, a smaller limit and a hint
    // WHEN it is rendered
    const markdown = renderComment(huge(), { maxChars: 20_000, artifactHint: 'download `plan-json` from [the run](https://example.test/run/1)' });
    // THEN it fits the limit and points to the artifact
    expect(markdown.length).toBeLessThanOrEqual(20_000);
    expect(markdown).toMatch(/^> … truncated: \d+ more resources not shown; download `plan-json` from \[the run\]\(https:\/\/example\.test\/run\/1\)$/m);
  });

  it('keeps every block when the comment fits', () => {
    // GIVEN every fixture (well under the limit)
    // WHEN they are rendered
    const markdown = renderComment(ALL_FIXTURES);
    // THEN nothing is dropped
    expect(markdown).not.toContain('truncated');
    expect(markdown.length).toBeLessThan(DEFAULT_MAX_CHARS);
  });

  it('fits even when the summary alone is too long, by cutting at a line', () => {
    // GIVEN 300 stacks, whose summary table alone is longer than the limit
    const plan = loadFixture('opentofu', 'basic-create.json');
    const stacks = Array.from({ length: 300 }, (_, index) => ({ stack: `stack-with-a-long-name-${index}`, plan }));
    // WHEN it is rendered with a small limit
    const markdown = renderComment(stacks, { maxChars: 5_000 });
    // THEN it fits, keeps whole lines, and says it was cut
    expect(markdown.length).toBeLessThanOrEqual(5_000);
    expect(markdown).toMatch(/\n\n> … truncated: the comment is too long even without resource details \(900 resources not shown\); the full plan is in the workflow artifact$/);
  });

  it.each([GITHUB_COMMENT_LIMIT, 999, 1_500.5])('rejects maxChars %p', (maxChars) => {
    // GIVEN a limit GitHub would reject, or too small to hold a summary
    // WHEN a comment is rendered with it
    // THEN it is refused
    expect(() => renderComment([], { maxChars })).toThrow(RangeError);
  });
});

describe('renderComment: snapshot for review', () => {
  it('renders a replace, a delete and an update', () => {
    // GIVEN two small stacks
    const stacks = [...fixtureStack('opentofu', 'requires-replace.json'), ...fixtureStack('opentofu', 'basic-delete.json')];
    // WHEN they are rendered
    // THEN the comment reads as reviewed
    expect(renderComment(stacks, { title: 'Plan for #42' })).toMatchSnapshot();
  });
});
