import { fixtureStack, leakedSecrets, loadFixture } from '../test/helpers';
import { driftReport } from './drift';
import { parsePlan } from './load';
import { type StackPlan } from './types';

const REFRESH_ONLY: StackPlan[] = [
  { stack: 'papa', plan: loadFixture('custom', 'refresh-only.json') },
  { stack: 'delta', plan: loadFixture('opentofu', 'drift.json') },
  { stack: 'ci', plan: loadFixture('opentofu', 'basic-update.json') },
];

describe('driftReport: JSON', () => {
  it('lists every stack, sorted, with its drifted resources and the totals', () => {
    // GIVEN three stacks, two with drift
    // WHEN the report is built
    const { json } = driftReport(REFRESH_ONLY);
    // THEN each stack is there with its count, and the totals add up
    expect(json.stacks.map((stack) => [stack.stack, stack.drifted])).toEqual([
      ['ci', 0],
      ['delta', 1],
      ['papa', 4],
    ]);
    expect(json).toMatchObject({ stacksChecked: 3, stacksDrifted: 2, totalDrifted: 5 });
  });

  it('gives each drifted resource its changed attributes, with values as JSON text', () => {
    // GIVEN OpenTofu's drift plan
    // WHEN the report is built
    const { json } = driftReport(fixtureStack('opentofu', 'drift.json'));
    // THEN the refreshed resource lists the attribute that changed outside Terraform
    expect(json.stacks[0]?.resources).toEqual([
      {
        address: 'test_instance.should_refresh',
        type: 'test_instance',
        drift: 'changed',
        attributes: [{ path: 'ami', before: '"refresh-me"', after: '"refreshed"' }],
      },
    ]);
  });

  it('tells deleted objects from changed ones and walks nested attributes', () => {
    // GIVEN a refresh-only plan with a deleted instance and a changed security group
    // WHEN the report is built
    const resources = driftReport(fixtureStack('custom', 'refresh-only.json')).json.stacks[0]?.resources ?? [];
    // THEN the kinds and nested paths are right
    expect(resources.find((resource) => resource.address === 'aws_instance.bastion')?.drift).toBe('deleted');
    expect(resources.find((resource) => resource.address === 'aws_security_group.web')?.attributes.map((attribute) => attribute.path)).toEqual([
      'ingress[0].cidr_blocks[1]',
      'ingress[1].cidr_blocks[0]',
      'ingress[1].from_port',
      'ingress[1].to_port',
    ]);
  });

  it('masks sensitive drift', () => {
    // GIVEN drift in sensitive attributes (a password, a sensitive block)
    // WHEN the report is built
    const report = driftReport(REFRESH_ONLY);
    const database = report.json.stacks.find((stack) => stack.stack === 'papa')?.resources.find((resource) => resource.address === 'aws_db_instance.main');
    // THEN they are (sensitive) and no secret is in either output
    expect(database?.attributes).toEqual([
      { path: 'master_user_secret', before: '(sensitive)', after: '(sensitive)' },
      { path: 'password', before: '(sensitive)', after: '(sensitive)' },
    ]);
    expect(leakedSecrets(JSON.stringify(report.json))).toEqual([]);
    expect(leakedSecrets(report.markdown)).toEqual([]);
  });
});

describe('driftReport: Markdown', () => {
  it('has a headline, a table of every stack and a section per drifted stack', () => {
    // GIVEN three stacks, two with drift
    // WHEN the report is built
    const { markdown } = driftReport(REFRESH_ONLY, { title: 'Nightly drift check' });
    // THEN the headline counts, the table lists all stacks, and only drifted stacks get sections
    expect(markdown.startsWith('## Nightly drift check\n\n**5 drifted resources** in 2 of 3 stacks.')).toBe(true);
    expect(markdown).toContain('| `ci` | 0 |');
    expect(markdown).toContain('### `papa` (4)');
    expect(markdown).not.toContain('### `ci`');
    expect(markdown).toContain('<code>aws_instance.bastion</code> — deleted outside Terraform');
    expect(markdown).toContain('| `tags.owner` | `"platform"` | `"someone-else"` |');
  });

  it('says when there is no drift', () => {
    // GIVEN plans without resource_drift
    // WHEN the report is built
    const report = driftReport(fixtureStack('opentofu', 'basic-update.json'));
    // THEN it says all stacks match
    expect(report.markdown).toContain('**No drift:** all 1 stacks match their Terraform state.');
    expect(report.json.totalDrifted).toBe(0);
  });

  it('stays under the size limit and says how much it left out', () => {
    // GIVEN a refresh-only plan with 3,000 drifted resources
    const drift = Array.from({ length: 3_000 }, (_, index) => ({
      address: `aws_s3_bucket.b[${index}]`,
      mode: 'managed',
      type: 'aws_s3_bucket',
      name: 'b',
      change: { actions: ['update'], before: { tags: { owner: 'a' } }, after: { tags: { owner: `b-${index}` } } },
    }));
    const plan = parsePlan(JSON.stringify({ format_version: '1.2', resource_drift: drift }), 'generated');
    // WHEN the report is built with a limit
    const report = driftReport([{ stack: 'big', plan }], { maxChars: 30_000 });
    // THEN the Markdown fits, the note counts the rest, and the JSON keeps everything
    expect(report.markdown.length).toBeLessThanOrEqual(30_000);
    const shown = (report.markdown.match(/<details>/g) ?? []).length;
    expect(report.markdown).toContain(`> … truncated: ${3_000 - shown} more resources not shown; the full report is in the workflow artifact`);
    expect(report.json.stacks[0]?.resources).toHaveLength(3_000);
  });
});
