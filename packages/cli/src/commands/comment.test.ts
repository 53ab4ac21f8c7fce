import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { environmentSchema, loadEnvironments } from '@platform/config';
import { commentMarker } from '@platform/plan-report';
import { PlatformStack } from '@platform/stacks/platform-stack';
import { Testing } from 'cdktf';
import { capture, cleanTemps, FIXTURES, REPO_ROOT, runBin, tempDir } from '../../test/helpers';
import { diffStackObjects } from '../lib/object-diff';
import { UsageError } from '../errors';
import { stackNameOf } from '../lib/stack-plan';
import { buildComment, runComment } from './comment';

const plans = path.join(FIXTURES, 'plans');
const onePlan = path.join(plans, 'aone-services/plan.json');
const twoPlan = path.join(plans, 'atwo-services/plan.json');
const threePlan = path.join(plans, 'athree-network/plan.json');

afterAll(cleanTemps);

/** A copy of a plan file under `<tmp>/<stack>/plan.json`, optionally cut short. */
function planCopy(stack: string, from: string, keepChars?: number): string {
  const dir = path.join(tempDir(), stack);
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'plan.json');
  if (keepChars === undefined) copyFileSync(from, file);
  else writeFileSync(file, readFileSync(from, 'utf8').slice(0, keepChars));
  return file;
}

describe('platform comment', () => {
  test('GIVEN plan files of three stacks THEN one comment covers them, named after their folders, with the hidden marker on the first line', () => {
    const markdown = buildComment({ files: [twoPlan, onePlan, threePlan] });

    expect(markdown.split('\n')[0]).toBe(commentMarker('Terraform plan'));
    expect(markdown).toMatch(/^## Terraform plan$/m);
    for (const stack of ['aone-services', 'atwo-services', 'athree-network']) expect(markdown).toContain(`### \`${stack}\``);
    expect(markdown).toMatch(/\| `aone-services` \| 3 \| 0 \| 0 \| 0 \| 0 \|/);
    expect(markdown).toMatch(/⚠️ Destroyed or replaced \(1\)/);
  });

  test('GIVEN --title THEN the heading and the marker follow it (one marker per kind of comment)', () => {
    const markdown = buildComment({ files: [onePlan], title: 'Plan: aone' });
    expect(markdown.split('\n')[0]).toBe(commentMarker('Plan: aone'));
    expect(markdown).toMatch(/^## Plan: aone$/m);
  });

  test('GIVEN --output THEN the Markdown is written there (folders created) and stdout stays empty', () => {
    const output = path.join(tempDir(), 'out', 'comment.md');
    const out = capture();
    const err = capture();
    expect(runComment({ files: [onePlan], output, write: out.write, writeErr: err.write })).toBe(0);
    expect(readFileSync(output, 'utf8')).toBe(buildComment({ files: [onePlan] }));
    expect(out.lines).toEqual([]);
    expect(err.text()).toMatch(/wrote the comment for 1 plan to .*comment\.md/);
  });

  test('GIVEN --max-chars THEN details are left out to fit and a note says so', () => {
    const markdown = buildComment({ files: [onePlan, twoPlan, threePlan], maxChars: 1000, artifactHint: 'see the `plans` artifact' });
    expect(markdown.length).toBeLessThanOrEqual(1000);
    expect(markdown).toMatch(/truncated: .*see the `plans` artifact/);
  });

  test.each([
    ['a truncated plan file', () => [planCopy('aone-services', onePlan, 200)], /plan file ".*aone-services\/plan\.json": .*truncated/],
    ['a file that is not JSON', () => [writeTo('aone-services', 'not json at all')], /plan file ".*aone-services\/plan\.json": invalid JSON/],
    ['a state file instead of a plan', () => [writeTo('aone-services', '{"version": 4, "values": {}}')], /this is a state, not a plan/],
    ['a missing plan file', () => ['/nonexistent/aone-services/plan.json'], /plan file "\/nonexistent\/aone-services\/plan\.json": file not found/],
    ['two plans from one stack folder', () => [onePlan, onePlan], /stack "aone-services" is already given by/],
  ])('GIVEN %s THEN a UsageError names the file', (_name, files, message) => {
    expect(() => buildComment({ files: files() })).toThrow(UsageError);
    expect(() => buildComment({ files: files() })).toThrow(message);
  });

  test('GIVEN several bad files THEN all of them are named at once', () => {
    expect(() => buildComment({ files: ['/nonexistent/a/plan.json', planCopy('b', onePlan, 10)] })).toThrow(/2 unusable plan files:\n {2}- plan file "\/nonexistent\/a\/plan\.json": file not found\n {2}- plan file ".*\/b\/plan\.json"/);
  });

  test.each(['999', '65536', 'lots'])('GIVEN --max-chars %s THEN a UsageError names the flag and the allowed range', (value) => {
    expect(() => buildComment({ files: [onePlan], maxChars: value })).toThrow(`--max-chars "${value}": must be a whole number from 1000 to 65535`);
  });

  test('GIVEN a path THEN the stack is the folder holding the file', () => {
    expect(stackNameOf('cdktf.out/stacks/aone-services/plan.json')).toBe('aone-services');
  });

  test.concurrent.each([
    ['valid plans', () => ['comment', onePlan, threePlan, '--title', 'Plan (aone)'], 0, /^<!-- platform-plan-comment: plan-aone -->\n/],
    ['a truncated plan', () => ['comment', planCopy('aone-services', onePlan, 120)], 1, /^error: plan file ".*aone-services\/plan\.json": .*truncated/],
    ['no plan files', () => ['comment'], 1, /^error: no plan files given — pass one or more …\/<stack>\/plan.json files .*or --allow-empty/],
    ['no plan files and --allow-empty', () => ['comment', '--allow-empty'], 0, /^<!-- platform-plan-comment: terraform-plan -->\n[\s\S]*_No stacks were planned._/],
  ])('GIVEN the real bin and %s THEN the exit code and message are right, never a stack trace', async (_name, args, code, pattern) => {
    const result = await runBin(args());
    expect(result.code).toBe(code);
    expect(code === 0 ? result.stdout : result.stderr).toMatch(pattern);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });
});

function writeTo(stack: string, text: string): string {
  const dir = path.join(tempDir(), stack);
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'plan.json'), text);
  return path.join(dir, 'plan.json');
}

describe('platform comment: destroy guard verdicts and the Kubernetes object diff', () => {
  const ENV_DIR = path.join(REPO_ROOT, 'envs');
  const envs = loadEnvironments(ENV_DIR, { root: REPO_ROOT });
  const production = envs.find((e) => e.tier === 'production')!;
  const OPENTOFU = path.join(REPO_ROOT, 'packages/plan-report/test/fixtures/opentofu');

  /**
   * A production stack's plan from the OpenTofu fixtures: the replace of requires-replace.json as an
   * S3 bucket (stateful) and the delete of basic-delete.json as an IAM role (not stateful), addresses
   * chosen so that address order alone would put the role first.
   */
  function guardedPlan(): string {
    const replace = JSON.parse(readFileSync(path.join(OPENTOFU, 'requires-replace.json'), 'utf8')) as { resource_changes: Array<Record<string, unknown>> };
    const del = JSON.parse(readFileSync(path.join(OPENTOFU, 'basic-delete.json'), 'utf8')) as { resource_changes: Array<Record<string, unknown>> };
    const bucket = { ...replace.resource_changes[0], address: 'aws_s3_bucket.state', type: 'aws_s3_bucket', name: 'state' };
    const role = { ...del.resource_changes.find((r) => r.address === 'test_instance.test-delete'), address: 'aws_iam_role.a', type: 'aws_iam_role', name: 'a' };
    return writeTo(`${production.name}-services`, JSON.stringify({ ...replace, resource_changes: [role, bucket] }));
  }

  test('GIVEN a production plan replacing a bucket and deleting a role THEN the guard table follows the summary and the bucket comes first with BLOCKED', () => {
    const markdown = buildComment({ files: [guardedPlan()], envDir: ENV_DIR, ack: ackWith([]) });
    expect(markdown).toMatch(/### ⛔ Destroy guard: 1 stateful resource blocked\n\n\| verdict \| stack \| address \| action \| tier \|/);
    expect(markdown).toContain(`| ⛔ blocked | \`${production.name}-services\` | \`aws_s3_bucket.state\` | replace | production |`);
    const destroyed = markdown.slice(markdown.indexOf('Destroyed or replaced (2)'));
    expect(destroyed.indexOf('aws_s3_bucket.state')).toBeLessThan(destroyed.indexOf('aws_iam_role.a'));
    expect(destroyed).toMatch(/⛔ \*\*Destroy guard: BLOCKED\*\* — production tier, not acknowledged: the apply fails unless `[^`]*destroy-ack\.yaml` names `aws_s3_bucket\.state`/);
  });

  test('GIVEN an acknowledgement THEN the verdict is acknowledged with its reason', () => {
    const reason = 'bucket is recreated empty on purpose: state moved to the new one';
    const markdown = buildComment({ files: [guardedPlan()], envDir: ENV_DIR, ack: ackWith([{ stack: `${production.name}-services`, address: 'aws_s3_bucket.state', reason }]) });
    expect(markdown).toContain('### Destroy guard: nothing blocked');
    expect(markdown).toContain('✅ **Destroy guard: acknowledged**');
    expect(markdown).toContain(escapeForMarkdown(reason));
  });

  test('GIVEN --affected with a report of a real synth pair THEN the comment has a Kubernetes objects section per stack, even with no plans', async () => {
    const env = envs.find((e) => e.services.some((s) => s.imageTag))!;
    const svc = env.services.find((s) => s.imageTag)!;
    const { name, file, ...data } = env;
    const head = { ...environmentSchema.parse({ ...data, services: env.services.map((s) => (s === svc ? { ...s, imageTag: 'comment-1' } : s)) }), name, file };
    const synth = (config: typeof env) => JSON.parse(Testing.synth(new PlatformStack(Testing.app(), config))) as Record<string, unknown>;
    const id = `${env.name}-platform`;
    const objects = diffStackObjects(new Map([[id, synth(env)]]), new Map([[id, synth(head)]]));
    const reportFile = path.join(tempDir(), 'affected.json');
    writeFileSync(reportFile, JSON.stringify({ stacks: objects.map((o) => ({ stack: o.stack, objects: o.changes })) }));

    const markdown = buildComment({ files: [], allowEmpty: true, affected: reportFile });
    expect(markdown).toContain('### Kubernetes objects (offline, from the synth)');
    expect(markdown).toContain(`#### \`${id}\` — 1 changed`);
    expect(markdown).toContain(`\`spec.source.helm.values.image.tag\`: \`${svc.imageTag}\` → \`comment-1\``);
    expect(markdown).not.toContain('No changes in any stack.');

    const result = await runBin(['comment', '--allow-empty', '--affected', path.join(tempDir(), 'missing.json')]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^error: --affected .*missing\.json: file not found — pass the output of `platform affected --json`/);
  });
});

function ackWith(entries: unknown[]): string {
  const file = path.join(tempDir(), 'destroy-ack.yaml');
  writeFileSync(file, JSON.stringify({ acknowledgements: entries }));
  return file;
}

function escapeForMarkdown(text: string): string {
  return text.replace(/[\\`*_{}[\]()#+\-.!<>~&]/g, (c) => `\\${c}`);
}
