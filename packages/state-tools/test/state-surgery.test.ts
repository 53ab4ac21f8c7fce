/**
 * docs/runbooks/state-surgery.md, run for real: each operation the cdktf way and with the CLI
 * fallback, on environment stacks (S3 backend at moto) made of terraform_data, each verified the
 * way the runbook says: a saved plan whose resource changes hold no delete.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { type EnvironmentConfig } from '@platform/config';
import { EnvironmentStack } from '@platform/stack-factory';
import { environmentFixture, firstEnvironment, type MotoServer, startMoto, tofuOk } from '@platform/testing';
import { DataResource, type TerraformStack } from 'cdktf';
import { Construct } from 'constructs';
import { createBackend, initOnce, motoFactoryOptions, synthStacks } from './harness';

const env = environmentFixture(
  firstEnvironment(),
  { state: { bucket: 'it-state-surgery', lockTable: 'it-surgery-locks', useLockfile: true } },
  'surgery',
);

/** An environment stack whose body the test writes: "the code" before and after a change. */
class Stack extends EnvironmentStack {
  constructor(scope: Construct, config: EnvironmentConfig, name: string, body: (stack: TerraformStack) => void) {
    super(scope, config, name);
    body(this);
  }
}

interface Change {
  readonly address: string;
  readonly previous_address?: string;
  readonly change: { readonly actions: readonly string[]; readonly importing?: { readonly id: string } };
}

/**
 * No two operations here share a state, so a lock an operation meets can only be its own, left by a lost
 * reply (tofuOk releases it and runs the operation again): waiting for it to go away would only add the
 * whole timeout to the run.
 */
const LOCK_TIMEOUT = '-lock-timeout=0s';

describe('state surgery runbook against a real engine (OpenTofu + moto)', () => {
  let moto: MotoServer;
  let work: string;
  const outdir = () => path.join(work, 'cdktf.out');

  /** Synthesizes the given stacks (id → body) and runs `tofu init` in each new one; returns their folders. */
  const code = async (stacks: Record<string, (s: TerraformStack) => void>) => {
    const dirs = synthStacks(outdir(), motoFactoryOptions(moto), (app) => {
      for (const [name, body] of Object.entries(stacks)) new Stack(app, env, name, body);
    }, { keepInit: true });
    await Promise.all(Object.values(dirs).map((dir) => initOnce(dir)));
    return Object.fromEntries(Object.entries(dirs).map(([id, dir]) => [id.replace(/^surgery-/, ''), dir]));
  };
  const apply = (dir: string) => tofuOk(['apply', '-auto-approve', '-input=false', LOCK_TIMEOUT], { cwd: dir });
  /** The runbook's check: save the plan, read its resource changes, summary line included. */
  const plan = async (dir: string): Promise<{ changes: Change[]; summary: string }> => {
    const text = await tofuOk(['plan', '-input=false', LOCK_TIMEOUT, '-out=tfplan'], { cwd: dir });
    const json = JSON.parse((await tofuOk(['show', '-json', 'tfplan'], { cwd: dir })).stdout) as {
      resource_changes?: Change[];
    };
    const summary = /^(Plan: .*|No changes\..*)$/m.exec(text.stdout)?.[1] ?? text.stdout;
    return { changes: json.resource_changes ?? [], summary };
  };
  const deletes = (changes: Change[]) =>
    changes.filter((c) => c.change.actions.includes('delete')).map((c) => c.address);
  const pull = async (dir: string) =>
    JSON.parse((await tofuOk(['state', 'pull'], { cwd: dir })).stdout) as {
      resources: Array<{ type: string; name: string; instances: Array<{ attributes: { id: string } }> }>;
    };
  const ids = async (dir: string) =>
    Object.fromEntries((await pull(dir)).resources.map((r) => [`${r.type}.${r.name}`, r.instances[0]!.attributes.id]));

  beforeAll(async () => {
    moto = await startMoto();
    work = mkdtempSync(path.join(tmpdir(), 'state-surgery-'));
    await createBackend(moto, { buckets: [env.state.bucket], lockTable: env.state.lockTable });
  });
  afterAll(async () => {
    await moto?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  test('GIVEN a renamed construct WHEN moveFromId(old address) is added THEN the plan moves it with no destroy, and the CLI fallback `state mv` does the same', async () => {
    let dirs = await code({ rename: (s) => void new DataResource(s, 'Archive', { input: { value: 'logs' } }) });
    await apply(dirs.rename!);
    const before = await ids(dirs.rename!);
    // Step 0 of the runbook: a local copy of the state before touching it.
    expect((await pull(dirs.rename!)).resources).toHaveLength(1);

    dirs = await code({
      rename: (s) =>
        new DataResource(new Construct(s, 'Logs'), 'Resource', { input: { value: 'logs' } }).moveFromId(
          'terraform_data.Archive',
        ),
    });
    const newAddress = Object.keys(
      JSON.parse(readFileSync(path.join(dirs.rename!, 'cdk.tf.json'), 'utf8')).resource.terraform_data,
    ).map((id) => `terraform_data.${id}`)[0]!;
    const moved = await plan(dirs.rename!);
    expect(moved.changes).toEqual([
      expect.objectContaining({
        address: newAddress,
        previous_address: 'terraform_data.Archive',
        change: expect.objectContaining({ actions: ['no-op'] }),
      }),
    ]);
    expect(deletes(moved.changes)).toEqual([]);
    expect(moved.summary).toBe('Plan: 0 to add, 0 to change, 0 to destroy.');
    await apply(dirs.rename!);
    expect(await ids(dirs.rename!)).toEqual({ [newAddress]: before['terraform_data.Archive'] });

    // CLI fallback: back to the old name with `state mv`, code without a moved block.
    dirs = await code({ rename: (s) => void new DataResource(s, 'Archive', { input: { value: 'logs' } }) });
    await tofuOk(['state', 'mv', LOCK_TIMEOUT, newAddress, 'terraform_data.Archive'], { cwd: dirs.rename! });
    const after = await plan(dirs.rename!);
    expect(after.summary).toMatch(/^No changes\./);
    expect(await ids(dirs.rename!)).toEqual(before);
  }, 60_000);

  test('GIVEN a construct deleted with a removed block (destroy = false) THEN the plan forgets it with no destroy; the CLI fallback `state rm` does the same', async () => {
    let dirs = await code({
      remove: (s) => {
        new DataResource(s, 'Keep', { input: { value: 1 } });
        new DataResource(s, 'Legacy', { input: { value: 2 } });
        new DataResource(s, 'Old', { input: { value: 3 } });
      },
    });
    await apply(dirs.remove!);
    dirs = await code({
      remove: (s) => {
        new DataResource(s, 'Keep', { input: { value: 1 } });
        s.addOverride('removed', [{ from: 'terraform_data.Legacy', lifecycle: { destroy: false } }]);
        new DataResource(s, 'Old', { input: { value: 3 } });
      },
    });
    const forget = await plan(dirs.remove!);
    expect(forget.changes.find((c) => c.address === 'terraform_data.Legacy')?.change.actions).toEqual(['forget']);
    expect(deletes(forget.changes)).toEqual([]);
    expect(forget.summary).toBe('Plan: 0 to add, 0 to change, 0 to destroy, 1 to forget.');
    await apply(dirs.remove!);
    expect(Object.keys(await ids(dirs.remove!)).sort()).toEqual(['terraform_data.Keep', 'terraform_data.Old']);

    // CLI fallback: `state rm` (dry run first), then the code without the resource plans clean.
    const dry = await tofuOk(['state', 'rm', '-dry-run', 'terraform_data.Old'], { cwd: dirs.remove! });
    expect(dry.stdout).toContain('Would remove terraform_data.Old');
    await tofuOk(['state', 'rm', LOCK_TIMEOUT, 'terraform_data.Old'], { cwd: dirs.remove! });
    dirs = await code({ remove: (s) => void new DataResource(s, 'Keep', { input: { value: 1 } }) });
    expect((await plan(dirs.remove!)).summary).toMatch(/^No changes\./);
  }, 60_000);

  test('GIVEN an existing resource WHEN importFrom(id) is added THEN the plan imports it instead of creating it; the CLI fallback `import` does the same', async () => {
    const dirs = await code({
      adopt: (s) => {
        new DataResource(s, 'Adopted', {}).importFrom('existing-id-1');
      },
    });
    const adopt = await plan(dirs.adopt!);
    expect(adopt.changes).toEqual([
      expect.objectContaining({
        address: 'terraform_data.Adopted',
        change: expect.objectContaining({ actions: ['no-op'], importing: { id: 'existing-id-1' } }),
      }),
    ]);
    expect(adopt.summary).toBe('Plan: 1 to import, 0 to add, 0 to change, 0 to destroy.');
    await apply(dirs.adopt!);
    expect(await ids(dirs.adopt!)).toEqual({ 'terraform_data.Adopted': 'existing-id-1' });

    // CLI fallback: the code declares the resource, `tofu import` binds it.
    const cli = await code({
      adopt: (s) => {
        new DataResource(s, 'Adopted', {});
        new DataResource(s, 'AdoptedByCli', {});
      },
    });
    await tofuOk(['import', '-input=false', LOCK_TIMEOUT, 'terraform_data.AdoptedByCli', 'existing-id-2'], {
      cwd: cli.adopt!,
    });
    expect((await plan(cli.adopt!)).summary).toMatch(/^No changes\./);
    expect((await ids(cli.adopt!))['terraform_data.AdoptedByCli']).toBe('existing-id-2');
  }, 60_000);

  test('GIVEN a resource moving between stacks THEN import in the destination plus removed in the source keep it (no destroy, same id); so does the CLI fallback pull / state mv / push', async () => {
    const source = (s: TerraformStack) => {
      new DataResource(s, 'Stays', { input: { value: 'a' } });
      new DataResource(s, 'Shared', { input: { value: 'moving' } });
      new DataResource(s, 'Shared2', { input: { value: 'moving-by-cli' } });
    };
    let dirs = await code({ source, dest: (s) => void new DataResource(s, 'Own', { input: { value: 'b' } }) });
    await apply(dirs.source!);
    await apply(dirs.dest!);
    const original = await ids(dirs.source!);

    // The cdktf way: the destination imports it (by the id the source state holds), then the source forgets it.
    dirs = await code({
      source: (s) => {
        new DataResource(s, 'Stays', { input: { value: 'a' } });
        s.addOverride('removed', [{ from: 'terraform_data.Shared', lifecycle: { destroy: false } }]);
        new DataResource(s, 'Shared2', { input: { value: 'moving-by-cli' } });
      },
      dest: (s) => {
        new DataResource(s, 'Own', { input: { value: 'b' } });
        new DataResource(s, 'Shared', { input: { value: 'moving' } }).importFrom(original['terraform_data.Shared']!);
      },
    });
    const destPlan = await plan(dirs.dest!);
    expect(destPlan.summary).toBe('Plan: 1 to import, 0 to add, 1 to change, 0 to destroy.'); // terraform_data imports without its input
    await apply(dirs.dest!);
    const sourcePlan = await plan(dirs.source!);
    expect(deletes(sourcePlan.changes)).toEqual([]);
    expect(sourcePlan.summary).toBe('Plan: 0 to add, 0 to change, 0 to destroy, 1 to forget.');
    await apply(dirs.source!);
    expect((await ids(dirs.dest!))['terraform_data.Shared']).toBe(original['terraform_data.Shared']);
    expect(Object.keys(await ids(dirs.source!)).sort()).toEqual(['terraform_data.Shared2', 'terraform_data.Stays']);

    // CLI fallback: pull both states, move between the files, push both back.
    const src = path.join(work, 'source.tfstate');
    const dst = path.join(work, 'dest.tfstate');
    writeFileSync(src, (await tofuOk(['state', 'pull'], { cwd: dirs.source! })).stdout);
    writeFileSync(dst, (await tofuOk(['state', 'pull'], { cwd: dirs.dest! })).stdout);
    await tofuOk(
      ['state', 'mv', `-state=${src}`, `-state-out=${dst}`, 'terraform_data.Shared2', 'terraform_data.Shared2'],
      { cwd: dirs.dest! },
    );
    await tofuOk(['state', 'push', LOCK_TIMEOUT, dst], { cwd: dirs.dest! });
    await tofuOk(['state', 'push', LOCK_TIMEOUT, src], { cwd: dirs.source! });
    dirs = await code({
      source: (s) => void new DataResource(s, 'Stays', { input: { value: 'a' } }),
      dest: (s) => {
        new DataResource(s, 'Own', { input: { value: 'b' } });
        new DataResource(s, 'Shared', { input: { value: 'moving' } });
        new DataResource(s, 'Shared2', { input: { value: 'moving-by-cli' } });
      },
    });
    expect((await plan(dirs.source!)).summary).toMatch(/^No changes\./);
    expect((await plan(dirs.dest!)).summary).toMatch(/^No changes\./);
    expect((await ids(dirs.dest!))['terraform_data.Shared2']).toBe(original['terraform_data.Shared2']);
  }, 90_000);
});
