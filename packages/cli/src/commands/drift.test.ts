import { execFileSync } from 'node:child_process';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { type AddressInfo } from 'node:net';
import * as path from 'node:path';
import { type SlackPayload } from '@platform/plan-report';
import { toolPath } from '@platform/testing';
import { capture, cleanTemps, dataStack, engineEnv, FIXTURES, listFiles, makeOutdir, tempDir } from '../../test/helpers';
import { type Runner } from '../lib/runner';
import { runDrift, type DriftFileJson, type DriftOptions } from './drift';

const tofu = toolPath('tofu');

/** A real Slack stand-in on 127.0.0.1 that records what it is sent and answers `status`. */
interface Webhook {
  readonly url: string;
  readonly received: Array<{ path: string; contentType: string; body: SlackPayload }>;
  status: number;
  close(): Promise<void>;
}

async function startWebhook(): Promise<Webhook> {
  const received: Webhook['received'] = [];
  const hook = { received, status: 200 } as { received: Webhook['received']; status: number };
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      received.push({ path: req.url ?? '', contentType: req.headers['content-type'] ?? '', body: JSON.parse(body) as SlackPayload });
      res.writeHead(hook.status, { 'content-type': 'text/plain' });
      res.end(hook.status === 200 ? 'ok' : 'invalid_token');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(hook, {
    url: `http://127.0.0.1:${port}/services/T000/B000/secret-token`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  });
}

async function drift(outdir: string, options: Partial<DriftOptions> & { envExtra?: NodeJS.ProcessEnv } = {}): Promise<{ code: number; out: string; err: string }> {
  const out = capture();
  const err = capture();
  const { envExtra, ...rest } = options;
  const code = await runDrift({ outdir, env: engineEnv({ TERRAFORM_BINARY_NAME: tofu, ...envExtra }), progress: 'plain', write: out.write, writeErr: err.write, ...rest });
  return { code, out: out.text(), err: err.text() };
}

function applied(stacks: Record<string, Record<string, unknown>>): string {
  const outdir = makeOutdir(stacks);
  const env = engineEnv();
  for (const id of Object.keys(stacks)) {
    execFileSync(tofu, ['init', '-input=false', '-no-color'], { cwd: path.join(outdir, 'stacks', id), env, stdio: 'pipe' });
    execFileSync(tofu, ['apply', '-input=false', '-auto-approve', '-no-color'], { cwd: path.join(outdir, 'stacks', id), env, stdio: 'pipe' });
  }
  return outdir;
}

let webhook: Webhook;
beforeEach(async () => {
  webhook = await startWebhook();
});
afterEach(async () => {
  await webhook.close();
});
afterAll(cleanTemps);

describe('platform drift with the real OpenTofu binary', () => {
  test('GIVEN applied stacks that match their state THEN exit 0, "no drift" per stack, a JSON report, and no Slack message', async () => {
    const outdir = applied({ 'dev-a': dataStack({ x: { input: 'a' } }), 'dev-b': dataStack({ y: { input: 'b' } }) });
    const before = listFiles(outdir);
    const json = path.join(tempDir(), 'drift.json');

    const { code, out } = await drift(outdir, { json, envExtra: { SLACK_WEBHOOK_URL: webhook.url } });

    expect(code).toBe(0);
    expect(out).toMatch(/^dev-a\s+no drift\s+no drift/m);
    expect(out).toMatch(/^dev-b\s+no drift\s+no drift/m);
    expect(out).toMatch(/\*\*No drift:\*\* all 2 stacks match their Terraform state\./);
    expect(JSON.parse(readFileSync(json, 'utf8'))).toMatchObject({ stacksChecked: 2, totalDrifted: 0, failed: [], exitCode: 0 });
    expect(webhook.received).toEqual([]);
    // Refresh-only plans go to a temporary folder: the synthesized output is as it was.
    expect(listFiles(outdir)).toEqual(before);
  });

  test('GIVEN a state whose recorded outputs are out of date THEN the engine exits 2 but it is not resource drift: exit 0 with a note', async () => {
    const outdir = applied({ 'dev-a': dataStack({ x: { input: 'a' } }, { output: { o: { value: '${terraform_data.x.output}' } } }) });
    const stateFile = path.join(outdir, 'stacks/dev-a/terraform.tfstate');
    const state = JSON.parse(readFileSync(stateFile, 'utf8')) as { serial: number; outputs: Record<string, { value: unknown }> };
    state.outputs.o!.value = 'edited by hand';
    state.serial += 1;
    writeFileSync(stateFile, JSON.stringify(state));

    const { code, out } = await drift(outdir, { verbose: true });

    expect(out).toMatch(/^=== dev-a: plan \(exit 2\)$/m);
    expect(code).toBe(0);
    expect(out).toMatch(/^dev-a\s+no drift\s+no drift \(1 output out of date: the config changed and was not applied yet\)/m);
  });

  test('GIVEN one stack that cannot be planned THEN exit 1, the others are still checked, and Slack is told which stack could not be checked', async () => {
    const outdir = applied({ 'dev-a': dataStack({ x: { input: 'a' } }) });
    makeOutdir({ 'dev-broken': dataStack({ x: { input: '${var.missing}' } }) }, outdir);
    const markdown = path.join(tempDir(), 'drift.md');

    const { code, out } = await drift(outdir, { markdown, envExtra: { SLACK_WEBHOOK_URL: webhook.url }, runUrl: 'https://github.example/acme/infra/actions/runs/42' });

    expect(code).toBe(1);
    expect(out).toMatch(/^dev-a\s+no drift/m);
    expect(out).toMatch(/^dev-broken\s+FAILED\s+plan failed \(exit 1\): Error: Reference to undeclared input variable/m);
    expect(readFileSync(markdown, 'utf8')).toMatch(/### Not checked \(1\)\n\n- `dev-broken`: plan failed \(exit 1\)/);
    expect(webhook.received).toHaveLength(1);
    const payload = webhook.received[0]!.body;
    expect(payload.text).toMatch(/; 1 stack could not be checked$/);
    expect(JSON.stringify(payload.blocks)).toContain('*1 stack could not be checked:*\\n• `dev-broken`: plan failed (exit 1)');
    expect(payload.blocks.at(-1)).toEqual({ type: 'context', elements: [{ type: 'mrkdwn', text: '<https://github.example/acme/infra/actions/runs/42|View the workflow run> for the full report.' }] });
  });
});

describe('platform drift with a scripted engine replaying a real refresh-only plan (resource drift cannot be made with built-in resources)', () => {
  const driftPlan = path.join(FIXTURES, 'drift/drift.json');

  /** Answers like the engine: init 0; plan 2 for stacks in `drifted`, else 0; show writes that stack's plan JSON. */
  function scripted(drifted: ReadonlySet<string>, calls: Array<{ stack: string; args: readonly string[] }>): Runner {
    return async (_command, args, options) => {
      const stack = path.basename(options.cwd);
      calls.push({ stack, args });
      if (args[0] === 'plan') return { code: drifted.has(stack) ? 2 : 0, output: '' };
      if (args[0] === 'show') {
        if (drifted.has(stack)) copyFileSync(driftPlan, options.stdoutFile!);
        else writeFileSync(options.stdoutFile!, JSON.stringify({ format_version: '1.2', resource_changes: [], resource_drift: [] }));
      }
      return { code: 0, output: '' };
    };
  }

  test('GIVEN a stack whose resource changed outside Terraform THEN exit 2, the Markdown and JSON name it, and Slack gets the alert with the run link', async () => {
    const outdir = makeOutdir({ 'dev-a': dataStack({}), 'prod-a': dataStack({}) });
    const before = listFiles(outdir);
    const calls: Array<{ stack: string; args: readonly string[] }> = [];
    const json = path.join(tempDir(), 'drift.json');
    const env = { GITHUB_SERVER_URL: 'https://github.com', GITHUB_REPOSITORY: 'acme/infra', GITHUB_RUN_ID: '7', SLACK_WEBHOOK_URL: webhook.url };

    const { code, out, err } = await drift(outdir, { runner: scripted(new Set(['prod-a']), calls), json, envExtra: env });

    expect(code).toBe(2);
    expect(out).toMatch(/^prod-a\s+DRIFT\s+1 resource changed outside Terraform/m);
    expect(out).toMatch(/^dev-a\s+no drift/m);
    expect(out).toMatch(/2 stacks: 1 drifted, 1 without drift, 0 failed — exit 2/);
    expect(out).toMatch(/\*\*1 drifted resource\*\* in 1 of 2 stacks\./);
    expect(out).toContain('test_instance.should_refresh');
    const report = JSON.parse(readFileSync(json, 'utf8')) as DriftFileJson;
    expect(report).toMatchObject({ stacksChecked: 2, stacksDrifted: 1, totalDrifted: 1, exitCode: 2, failed: [] });
    expect(report.stacks.find((s) => s.stack === 'prod-a')!.resources.map((r) => r.address)).toEqual(['test_instance.should_refresh']);
    expect(webhook.received).toHaveLength(1);
    expect(webhook.received[0]).toMatchObject({ path: '/services/T000/B000/secret-token', contentType: 'application/json; charset=utf-8' });
    expect(webhook.received[0]!.body.text).toBe('Drift detected: 1 resource in 1 of 2 stacks');
    expect(JSON.stringify(webhook.received[0]!.body.blocks)).toContain('https://github.com/acme/infra/actions/runs/7');
    expect(err).toMatch(/posted the drift alert to Slack/);
    // Each stack: init, then a refresh-only plan with a detailed exit code and a lock timeout, saved outside cdktf.out.
    const planArgs = calls.find((c) => c.stack === 'prod-a' && c.args[0] === 'plan')!.args;
    expect(planArgs).toEqual(expect.arrayContaining(['-refresh-only', '-detailed-exitcode', '-lock-timeout=5m', '-input=false']));
    expect(planArgs.find((a) => a.startsWith('-out='))).not.toContain(outdir);
    expect(calls.filter((c) => c.stack === 'prod-a').map((c) => c.args[0])).toEqual(['init', 'plan', 'show']);
    expect(listFiles(outdir)).toEqual(before);
  });

  test('GIVEN the webhook refuses the alert THEN exit 1 and the message says so without revealing the webhook URL', async () => {
    webhook.status = 500;
    const outdir = makeOutdir({ 'prod-a': dataStack({}) });
    const { code, err } = await drift(outdir, { runner: scripted(new Set(['prod-a']), []), envExtra: { SLACK_WEBHOOK_URL: webhook.url } });
    expect(code).toBe(1);
    expect(err).toMatch(/error: SLACK_WEBHOOK_URL answered HTTP 500 \(invalid_token\) — the drift alert was not delivered/);
    expect(err).not.toContain('secret-token');
  });

  test.each([
    ['nothing listens there', (port: string) => `http://127.0.0.1:${port}/services/secret-token`, /could not post the drift alert to SLACK_WEBHOOK_URL: fetch failed: .*ECONNREFUSED/],
    ['it is not a URL', () => 'not a url secret-token', /could not post the drift alert to SLACK_WEBHOOK_URL: .*<SLACK_WEBHOOK_URL>/],
  ])('GIVEN a webhook where %s THEN exit 1 without revealing it', async (_name, url, message) => {
    const port = new URL(webhook.url).port;
    await webhook.close();
    const outdir = makeOutdir({ 'prod-a': dataStack({}) });
    const { code, err } = await drift(outdir, { runner: scripted(new Set(['prod-a']), []), envExtra: { SLACK_WEBHOOK_URL: url(port) } });
    webhook = await startWebhook(); // for afterEach
    expect(code).toBe(1);
    expect(err).toMatch(message);
    expect(err).not.toContain('secret-token');
  });

  test('GIVEN --no-slack THEN nothing is posted even with drift and a webhook', async () => {
    const outdir = makeOutdir({ 'prod-a': dataStack({}) });
    const { code } = await drift(outdir, { runner: scripted(new Set(['prod-a']), []), noSlack: true, envExtra: { SLACK_WEBHOOK_URL: webhook.url } });
    expect(code).toBe(2);
    expect(webhook.received).toEqual([]);
  });

  test('GIVEN an engine that writes a truncated plan THEN that stack fails with the file named, exit 1, no crash', async () => {
    const outdir = makeOutdir({ 'prod-a': dataStack({}) });
    const runner: Runner = async (_c, args, options) => {
      if (args[0] === 'show') writeFileSync(options.stdoutFile!, readFileSync(driftPlan, 'utf8').slice(0, 500));
      return { code: args[0] === 'plan' ? 2 : 0, output: '' };
    };
    const { code, out } = await drift(outdir, { runner });
    expect(code).toBe(1);
    expect(out).toMatch(/^prod-a\s+FAILED\s+the plan JSON is unusable: plan file ".*prod-a\.json": .*truncated/m);
  });

  test('GIVEN an unknown stack THEN exit 1 with the stacks to choose from', async () => {
    const outdir = makeOutdir({ 'prod-a': dataStack({}) });
    const { code, err } = await drift(outdir, { stacks: ['prod-b'] });
    expect(code).toBe(1);
    expect(err).toMatch(/^error: "prod-b": no such stack in .* — choose from prod-a$/);
  });
});
