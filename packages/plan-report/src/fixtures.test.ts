import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { type FixtureGroup, fixtureNames, fixtureStack, fixturesDir, leakedSecrets } from '../test/helpers';
import { renderComment } from './comment';
import { driftReport } from './drift';
import { slackPayload } from './slack';
import { summarize } from './summary';

const everyFixture = (['opentofu', 'custom'] as const).flatMap((group) => fixtureNames(group).map((name): [FixtureGroup, string] => [group, name]));

describe('every fixture', () => {
  it('is present: the eleven OpenTofu outputs with their README, and the hand-written ones', () => {
    // GIVEN the fixture folders
    // WHEN they are listed
    // THEN the copied OpenTofu set is complete
    expect(fixtureNames('opentofu')).toHaveLength(11);
    expect(existsSync(path.join(fixturesDir, 'opentofu', 'README.md'))).toBe(true);
    expect(existsSync(path.join(fixturesDir, 'README.md'))).toBe(true);
    expect(fixtureNames('custom').length).toBeGreaterThanOrEqual(4);
  });

  it.each(everyFixture)('%s/%s renders as a comment, a drift report and a Slack message without leaking secrets', (group, name) => {
    // GIVEN a fixture plan
    const stacks = fixtureStack(group, name);
    // WHEN every renderer runs on it
    const comment = renderComment(stacks);
    const drift = driftReport(stacks);
    const slack = JSON.stringify(slackPayload(drift, { runUrl: 'https://example.test/run/1' }));
    // THEN each produces output that names every changed resource, and no secret appears
    const summary = summarize(stacks[0]?.plan ?? { formatVersion: '1.0', resourceChanges: [], resourceDrift: [], outputChanges: {} });
    const changed = summary.create + summary.update + summary.replace + summary.delete + summary.read + summary.forget;
    expect((comment.match(/<details>/g) ?? []).length).toBeGreaterThanOrEqual(changed);
    expect(drift.json.stacksChecked).toBe(1);
    expect(leakedSecrets(comment + drift.markdown + JSON.stringify(drift.json) + slack)).toEqual([]);
  });
});
