import { fixtureStack, leakedSecrets, loadFixture } from '../test/helpers';
import { type DriftReport, driftReport } from './drift';
import { parsePlan } from './load';
import { type SlackBlock, slackPayload } from './slack';

function textOf(block: SlackBlock): string {
  if (block.type === 'context') return block.elements.map((element) => element.text).join('\n');
  return block.text.text;
}

const report: DriftReport = driftReport([
  { stack: 'papa', plan: loadFixture('custom', 'refresh-only.json') },
  { stack: 'delta <&>', plan: loadFixture('opentofu', 'drift.json') },
  { stack: 'ci', plan: loadFixture('opentofu', 'basic-update.json') },
]);

describe('slackPayload', () => {
  it('has a header, one section per drifted stack and a link to the run', () => {
    // GIVEN a drift report with two drifted stacks out of three
    // WHEN the Slack payload is built with a run URL
    const payload = slackPayload(report, { runUrl: 'https://github.com/acme/infra/actions/runs/42?check=1&x=2' });
    // THEN the text and header summarise, each drifted stack has a section, and the context links the run
    expect(payload.text).toBe('Drift detected: 5 resources in 2 of 3 stacks');
    expect(payload.blocks.map((block) => block.type)).toEqual(['header', 'section', 'section', 'context']);
    expect(textOf(payload.blocks[0] as SlackBlock)).toBe('⚠️ Drift detected: 5 resources in 2 of 3 stacks');
    expect(textOf(payload.blocks[1] as SlackBlock)).toBe('*delta &lt;&amp;&gt;*: 1 drifted resource\n• `test_instance.should_refresh` changed: ami');
    expect(textOf(payload.blocks[2] as SlackBlock)).toContain('• `aws_instance.bastion` deleted outside Terraform');
    expect(textOf(payload.blocks[3] as SlackBlock)).toBe('<https://github.com/acme/infra/actions/runs/42?check=1&amp;x=2|View the workflow run> for the full report.');
  });

  it('names changed attributes but never their values', () => {
    // GIVEN drift including sensitive attributes
    // WHEN the Slack payload is built
    const body = JSON.stringify(slackPayload(report));
    // THEN attribute paths appear, values (sensitive or not) do not
    expect(body).toContain('changed: master_user_secret, password');
    expect(body).not.toContain('someone-else');
    expect(leakedSecrets(body)).toEqual([]);
  });

  it('says so when nothing drifted', () => {
    // GIVEN a report without drift
    // WHEN the Slack payload is built without a run URL
    const payload = slackPayload(driftReport(fixtureStack('opentofu', 'basic-create.json')));
    // THEN it reports no drift and still says where to look
    expect(payload.text).toBe('No drift: all 1 stacks match their Terraform state');
    expect(payload.blocks.map((block) => block.type)).toEqual(['header', 'section', 'context']);
    expect(textOf(payload.blocks[2] as SlackBlock)).toBe('See the workflow run for the full report.');
  });

  it("stays within Slack's limits on a huge report", () => {
    // GIVEN 80 drifted stacks, one of them with 500 drifted resources
    const drifted = (count: number): string =>
      JSON.stringify({
        format_version: '1.2',
        resource_drift: Array.from({ length: count }, (_, index) => ({
          address: `aws_security_group_rule.rule_with_a_long_name[${index}]`,
          mode: 'managed',
          type: 'aws_security_group_rule',
          name: 'rule_with_a_long_name',
          change: { actions: ['update'], before: { cidr: 'a', port: 1, more: [1, 2, 3, 4, 5, 6] }, after: { cidr: 'b', port: 2, more: [] } },
        })),
      });
    const stacks = Array.from({ length: 80 }, (_, index) => ({ stack: `stack-${String(index).padStart(2, '0')}`, plan: parsePlan(drifted(index === 0 ? 500 : 1), 'generated') }));
    // WHEN the payload is built
    const payload = slackPayload(driftReport(stacks), { runUrl: 'https://example.test/run|1' });
    // THEN there are at most 50 blocks, sections fit 3,000 characters, and what is left out is counted
    expect(payload.blocks).toHaveLength(50);
    for (const block of payload.blocks) expect(textOf(block).length).toBeLessThanOrEqual(3_000);
    expect(textOf(payload.blocks[1] as SlackBlock)).toMatch(/\n… and \d+ more$/);
    expect(textOf(payload.blocks[48] as SlackBlock)).toBe('… and 33 more drifted stacks');
    expect(textOf(payload.blocks[49] as SlackBlock)).toContain('<https://example.test/run%7C1|View the workflow run>');
    expect(textOf(payload.blocks[1] as SlackBlock)).toContain('changed: cidr, more[0], more[1], more[2], more[3] and 3 more');
  });
});
