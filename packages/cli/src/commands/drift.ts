import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { driftReport, slackPayload, type DriftJson, type SlackBlock, type SlackPayload } from '@platform/plan-report';
import { type Command } from 'commander';
import { EXIT, reportError, UsageError } from '../errors';
import { DEFAULT_PARALLEL, MAX_PARALLEL, parseParallel, type EngineCommandOptions } from '../lib/options';
import { diagnoseLocks } from '../lib/lock-diagnosis';
import { createProgress, progressMode } from '../lib/progress';
import { resolveTerraformBinary } from '../lib/runner';
import { formatOutcomes, planStacks, type StackOutcome } from '../lib/stack-plan';
import { listStacks, selectStacks } from '../lib/stacks';
import { writeLogs } from './plan';

export interface DriftOptions extends EngineCommandOptions {
  /** Write the Markdown report here (else it goes to stdout after the table). */
  readonly markdown?: string;
  /** Write the JSON report here. */
  readonly json?: string;
  /** Heading of the report. @default Drift report */
  readonly title?: string;
  /** Link in the Slack message. @default - the GitHub Actions run, from GITHUB_SERVER_URL, GITHUB_REPOSITORY and GITHUB_RUN_ID */
  readonly runUrl?: string;
  /** Never post to Slack, even when SLACK_WEBHOOK_URL is set. */
  readonly noSlack?: boolean;
  /** How the Slack payload is sent. @default - an HTTPS POST with fetch */
  readonly post?: (url: string, payload: SlackPayload) => Promise<void>;
}

/** The JSON report: the plan-report library's drift JSON plus the stacks that could not be checked. */
export interface DriftFileJson extends DriftJson {
  readonly failed: ReadonlyArray<{ readonly stack: string; readonly summary: string }>;
  readonly exitCode: number;
}

/** How long the Slack webhook may take to answer. */
export const SLACK_TIMEOUT_MS = 15_000;

/** POSTs a payload to a Slack incoming webhook; throws (without the secret URL) on failure. */
export async function postToSlack(url: string, payload: SlackPayload): Promise<void> {
  let response: Response;
  try {
    response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json; charset=utf-8' },
      body: JSON.stringify(payload),
      signal: AbortSignal.timeout(SLACK_TIMEOUT_MS),
    });
  } catch (err) {
    const e = err as Error & { cause?: { message?: string } };
    // Never echo the webhook URL: it is the secret.
    const why = [e.message, e.cause?.message].filter(Boolean).join(': ').split(url).join('<SLACK_WEBHOOK_URL>');
    throw new UsageError(`could not post the drift alert to SLACK_WEBHOOK_URL: ${why}`);
  }
  if (!response.ok) {
    const body = (await response.text().catch(() => '')).slice(0, 200);
    throw new UsageError(`SLACK_WEBHOOK_URL answered HTTP ${response.status}${body ? ` (${body})` : ''} — the drift alert was not delivered`);
  }
}

/** The run link for Slack, from the GitHub Actions environment. */
export function githubRunUrl(env: NodeJS.ProcessEnv): string | undefined {
  const { GITHUB_SERVER_URL: server, GITHUB_REPOSITORY: repo, GITHUB_RUN_ID: run } = env;
  return server && repo && run ? `${server}/${repo}/actions/runs/${run}` : undefined;
}

/** Adds a section naming the stacks that could not be checked, before the context line. */
export function withFailures(payload: SlackPayload, failed: readonly StackOutcome[]): SlackPayload {
  if (failed.length === 0) return payload;
  const names = failed.map((f) => `• \`${f.stack}\`: ${f.summary.replace(/[&<>]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;' })[c]!)}`).join('\n');
  const block: SlackBlock = { type: 'section', text: { type: 'mrkdwn', text: `*${failed.length} stack${failed.length === 1 ? '' : 's'} could not be checked:*\n${names}`.slice(0, 3000) } };
  const blocks = [...payload.blocks];
  // Slack allows 50 blocks: the failures replace the last drift section when the message is full.
  blocks.splice(blocks.length >= 50 ? blocks.length - 2 : blocks.length - 1, blocks.length >= 50 ? 1 : 0, block);
  return { text: `${payload.text}; ${failed.length} stack${failed.length === 1 ? '' : 's'} could not be checked`, blocks };
}

/**
 * Checks stacks for drift: `plan -refresh-only -detailed-exitcode` per stack (plans go to a temporary
 * folder, not cdktf.out), then a Markdown and JSON report of the resources changed outside Terraform,
 * and a Slack alert when SLACK_WEBHOOK_URL is set and something drifted or failed.
 * Returns 0 (no drift), 2 (drift) or 1 (an error, a stack that failed, or an undelivered alert).
 */
export async function runDrift(options: DriftOptions = {}): Promise<number> {
  const write = options.write ?? ((l: string) => process.stdout.write(`${l}\n`));
  const writeErr = options.writeErr ?? ((l: string) => process.stderr.write(`${l}\n`));
  const scratch = mkdtempSync(path.join(os.tmpdir(), 'platform-drift-'));
  try {
    const outdir = options.outdir ?? 'cdktf.out';
    const parallel = parseParallel(options.parallel);
    const env = options.env ?? process.env;
    const stacks = selectStacks(listStacks(outdir), options.stacks ?? [], options.envs ?? [], outdir);
    if (stacks.length === 0) throw new UsageError('no stacks selected — check the stack names and --env');
    const binary = resolveTerraformBinary(env);

    const progress = createProgress(
      stacks.map((s) => s.id),
      { mode: options.progress ?? progressMode(), write: writeErr },
    );
    let outcomes: StackOutcome[];
    const startedAt = new Date();
    try {
      outcomes = await planStacks({
        stacks,
        mode: 'refresh-only',
        parallel,
        binary,
        runner: options.runner,
        ...(options.lockTimeout ? { lockTimeout: options.lockTimeout } : {}),
        progress,
        env: { ...env, TF_IN_AUTOMATION: '1', TF_INPUT: '0' },
        planPaths: (s) => ({ tfplan: path.join(scratch, `${s.id}.tfplan`), json: path.join(scratch, `${s.id}.json`) }),
      });
    } finally {
      await progress.close();
    }
    if (options.verbose) writeLogs(outcomes, write);
    for (const line of formatOutcomes(outcomes, 'refresh-only')) write(line);
    for (const line of diagnoseLocks(outcomes, { startedAt })) writeErr(line);

    const checked = outcomes.filter((o) => o.plan).map((o) => ({ stack: o.stack, plan: o.plan! }));
    const failed = outcomes.filter((o) => o.status === 'error');
    const report = driftReport(checked, { ...(options.title ? { title: options.title } : {}) });
    const markdown =
      failed.length === 0
        ? report.markdown
        : `${report.markdown}\n### Not checked (${failed.length})\n\n${failed.map((f) => `- \`${f.stack}\`: ${f.summary.replace(/\s+/g, ' ')}`).join('\n')}\n`;
    const drifted = report.json.totalDrifted > 0;
    let code: number = failed.length > 0 ? EXIT.error : drifted ? EXIT.changes : EXIT.ok;

    const webhook = env.SLACK_WEBHOOK_URL?.trim();
    if (webhook && !options.noSlack && (drifted || failed.length > 0)) {
      const runUrl = options.runUrl ?? githubRunUrl(env);
      const payload = withFailures(slackPayload(report, runUrl ? { runUrl } : {}), failed);
      try {
        await (options.post ?? postToSlack)(webhook, payload);
        writeErr('posted the drift alert to Slack');
      } catch (err) {
        reportError(err, writeErr);
        code = EXIT.error;
      }
    }

    const json: DriftFileJson = { ...report.json, failed: failed.map((f) => ({ stack: f.stack, summary: f.summary })), exitCode: code };
    if (options.json) writeFile(options.json, `${JSON.stringify(json, null, 2)}\n`);
    if (options.markdown) writeFile(options.markdown, markdown);
    else write(`\n${markdown}`);
    return code;
  } catch (err) {
    return reportError(err, writeErr);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

function writeFile(file: string, text: string): void {
  mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  writeFileSync(file, text);
}

export function registerDrift(program: Command): void {
  program
    .command('drift')
    .description(
      'Check stacks for drift: `plan -refresh-only -detailed-exitcode` in each cdktf.out/stacks/<stack> (the plans go to a temporary folder), ' +
        'report the resources changed outside Terraform per stack (Markdown and JSON), and post a Slack alert when SLACK_WEBHOOK_URL is set and something drifted or failed.',
    )
    .argument('[stack...]', 'stack ids to check (default: all)')
    .option('-o, --outdir <dir>', 'synthesized output to check', 'cdktf.out')
    .option('-e, --env <name...>', 'only stacks of these environments')
    .option('-p, --parallel <n>', `how many stacks run at once, 1–${MAX_PARALLEL}`, String(DEFAULT_PARALLEL))
    .option('--markdown <file>', 'write the Markdown report here (default: stdout, after the table)')
    .option('--json <file>', 'write the JSON report here')
    .option('-t, --title <text>', 'heading of the report', 'Drift report')
    .option('--run-url <url>', 'link for the Slack message (default: this GitHub Actions run)')
    .option('--no-slack', 'do not post to Slack even when SLACK_WEBHOOK_URL is set')
    .option('-v, --verbose', "print each step's full output when its stack finishes")
    .addHelpText(
      'after',
      '\nThe engine is $TERRAFORM_BINARY_NAME (terraform by default; tofu works too). Only resources changed outside Terraform count as drift;\n' +
        'root outputs that are merely out of date (config changed, not applied yet) are listed but do not alert.\n' +
        'Exit codes: 0 no drift, 2 drift found (and every stack checked), 1 invalid input, a stack that could not be checked, or a Slack alert that was not delivered.',
    )
    .action(
      async (
        stacks: string[],
        opts: { outdir: string; env?: string[]; parallel: string; markdown?: string; json?: string; title: string; runUrl?: string; slack: boolean; verbose?: boolean },
      ) => {
        process.exitCode = await runDrift({
          stacks,
          envs: opts.env,
          outdir: opts.outdir,
          parallel: opts.parallel,
          markdown: opts.markdown,
          json: opts.json,
          title: opts.title,
          runUrl: opts.runUrl,
          noSlack: !opts.slack,
          verbose: opts.verbose,
        });
      },
    );
}
