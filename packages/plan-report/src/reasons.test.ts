import { describeReason } from './reasons';

describe('describeReason', () => {
  it.each([
    ['replace_because_cannot_update', 'an attribute that forces replacement changed'],
    ['delete_because_no_resource_config', 'removed from configuration'],
    ['read_because_check_nested', 'it is used by a `check` block'],
  ])('puts %s in plain words', (reason, words) => {
    // GIVEN a documented action_reason
    // WHEN it is described
    // THEN it is plain words
    expect(describeReason(reason)).toBe(words);
  });

  it('spells out a reason it does not know rather than failing', () => {
    // GIVEN a reason from a newer Terraform or OpenTofu
    // WHEN it is described
    // THEN its words are shown
    expect(describeReason('delete_because_enabled_false')).toBe('delete because enabled false');
  });
});
