import { type FixtureGroup, loadFixture } from '../test/helpers';
import { parsePlan } from './load';
import { type PlanStatus, type PlanSummary, changeKind, planStatus, summarize } from './summary';

describe('changeKind', () => {
  it.each([
    [['no-op'], 'no-op'],
    [['create'], 'create'],
    [['read'], 'read'],
    [['update'], 'update'],
    [['delete'], 'delete'],
    [['forget'], 'forget'],
    [['delete', 'create'], 'replace'],
    [['create', 'delete'], 'replace'],
    [['create', 'forget'], 'replace'],
  ] as const)('classifies %j as %s', (actions, kind) => {
    // GIVEN a change's actions
    // WHEN they are classified
    // THEN both orders of delete+create are a replace
    expect(changeKind(actions)).toBe(kind);
  });
});

const ZERO: PlanSummary = { create: 0, update: 0, replace: 0, delete: 0, noOp: 0, read: 0, forget: 0 };

describe('summarize', () => {
  it.each<[FixtureGroup, string, Partial<PlanSummary>, PlanStatus]>([
    ['opentofu', 'basic-create.json', { create: 3 }, 'changes'],
    ['opentofu', 'basic-update.json', { noOp: 1 }, 'no changes'],
    ['opentofu', 'basic-delete.json', { update: 1, delete: 1 }, 'destroys'],
    ['opentofu', 'requires-replace.json', { replace: 1 }, 'destroys'],
    ['opentofu', 'sensitive-values.json', { create: 1 }, 'changes'],
    ['opentofu', 'unknown-output.json', {}, 'changes'],
    ['opentofu', 'drift.json', { update: 2 }, 'changes'],
    ['opentofu', 'moved.json', { update: 1 }, 'changes'],
    ['opentofu', 'multi-resource-update.json', { create: 1, noOp: 1 }, 'changes'],
    ['opentofu', 'modules.json', { create: 4 }, 'changes'],
    ['opentofu', 'nested-modules.json', { create: 1 }, 'changes'],
    ['custom', 'action-reasons.json', { replace: 4, delete: 6, read: 2, forget: 1, noOp: 2 }, 'destroys'],
    ['custom', 'nested-sensitive.json', { create: 1, update: 1, replace: 1, delete: 1 }, 'destroys'],
    ['custom', 'refresh-only.json', { noOp: 1 }, 'no changes'],
    ['custom', 'markdown-hostile.json', { update: 2 }, 'changes'],
  ])('counts %s/%s', (group, name, counts, status) => {
    // GIVEN a fixture plan
    const plan = loadFixture(group, name);
    // WHEN it is summarized
    // THEN each kind is counted and the status follows
    expect(summarize(plan)).toEqual({ ...ZERO, ...counts });
    expect(planStatus(plan)).toBe(status);
  });

  it('counts a move with no other change as a change, and a plain read as none', () => {
    // GIVEN a plan whose only changes are a no-op move, and one whose only change is a data-source read
    const resource = (extra: object, actions: string[]): object => ({
      address: 'a.b',
      mode: 'managed',
      type: 'a',
      name: 'b',
      ...extra,
      change: { actions, before: {}, after: {} },
    });
    const moved = parsePlan(JSON.stringify({ format_version: '1.0', resource_changes: [resource({ previous_address: 'a.c' }, ['no-op'])] }), 'moved');
    const read = parsePlan(JSON.stringify({ format_version: '1.0', resource_changes: [resource({ mode: 'data' }, ['read'])] }), 'read');
    // WHEN their status is computed
    // THEN the move is a change and the read is not
    expect(planStatus(moved)).toBe('changes');
    expect(planStatus(read)).toBe('no changes');
  });
});
