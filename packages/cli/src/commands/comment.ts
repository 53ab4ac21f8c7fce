import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { loadEnvironments } from '@platform/config';
import {
  DEFAULT_MAX_CHARS,
  GITHUB_COMMENT_LIMIT,
  guardPlans,
  renderComment,
  type ObjectChange,
  type StackObjectDiff,
} from '@platform/plan-report';
import { type Command } from 'commander';
import { EXIT, reportError, UsageError } from '../errors';
import { parseIntFlag } from '../lib/options';
import { loadStackPlans } from '../lib/stack-plan';
import { environmentOf } from '../lib/stacks';
import { DEFAULT_ACK_FILE, readAcks } from './guard';

export interface CommentOptions {
  /** Plan JSON files (`show -json`), each in its stack's folder: `…/<stack>/plan.json`. */
  readonly files: readonly string[];
  /** Heading; the hidden marker is derived from it, so one title = one upserted comment. @default Terraform plan */
  readonly title?: string;
  /** Write here instead of stdout. */
  readonly output?: string;
  /** @default 60000 */
  readonly maxChars?: string | number;
  /** Where the full plan is, for the truncation note (Markdown). */
  readonly artifactHint?: string;
  /** With no files, render a comment that says no stack was planned (CI: nothing affected) instead of failing. */
  readonly allowEmpty?: boolean;
  /** `platform affected --json` output: its Kubernetes object diff is rendered, a section per stack. */
  readonly affected?: string;
  /** Destroy acknowledgements for the guard's verdicts. @default destroy-ack.yaml when present */
  readonly ack?: string;
  /** Environment files, for each stack's tier (the guard's verdicts). @default envs (when absent, every stack counts as production) */
  readonly envDir?: string;
  readonly write?: (text: string) => void;
  readonly writeErr?: (line: string) => void;
}

/** The stack a plan file belongs to: the name of the folder it is in. */
/** Loads every plan file (a bad one is a UsageError naming it) and renders one pull-request comment. */
export function buildComment(options: CommentOptions): string {
  if (options.files.length === 0 && !options.allowEmpty) {
    throw new UsageError('no plan files given — pass one or more …/<stack>/plan.json files (from `platform plan`), or --allow-empty for a comment saying nothing was planned');
  }
  const stacks = loadStackPlans(options.files);
  const maxChars = options.maxChars === undefined ? undefined : parseIntFlag('--max-chars', String(options.maxChars), 1000, GITHUB_COMMENT_LIMIT - 1);
  const objects = options.affected !== undefined ? readObjectDiff(options.affected) : undefined;
  const envDir = path.resolve(options.envDir ?? 'envs');
  const tiers = existsSync(envDir) ? new Map(loadEnvironments(envDir).map((e) => [e.name, e.tier as string])) : new Map<string, string>();
  const ackFile = options.ack ?? DEFAULT_ACK_FILE;
  const guard = { ...guardPlans(stacks, { tiers, acks: readAcks(path.resolve(ackFile), options.ack !== undefined, ackFile), environmentOf }), ackFile };
  return renderComment(stacks, {
    guard,
    ...(objects !== undefined ? { objects } : {}),
    ...(options.title !== undefined ? { title: options.title } : {}),
    ...(maxChars !== undefined ? { maxChars } : {}),
    ...(options.artifactHint !== undefined ? { artifactHint: options.artifactHint } : {}),
  });
}

/** The object diff of a `platform affected --json` report: each stack's `objects`. A file that is not such a report is a UsageError naming it. */
export function readObjectDiff(file: string): StackObjectDiff[] {
  let report: unknown;
  try {
    report = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new UsageError(`--affected ${file}: ${e.code === 'ENOENT' ? 'file not found' : 'not readable JSON'} — pass the output of \`platform affected --json\``);
  }
  const stacks = (report as { stacks?: unknown })?.stacks;
  if (!Array.isArray(stacks)) throw new UsageError(`--affected ${file}: has no "stacks" list — pass the output of \`platform affected --json\``);
  const out: StackObjectDiff[] = [];
  for (const [i, s] of stacks.entries()) {
    const { stack, objects } = (s ?? {}) as { stack?: unknown; objects?: unknown };
    if (objects === undefined) continue; // a report from before the object diff
    const valid = (o: unknown): o is ObjectChange =>
      typeof o === 'object' && o !== null && ['added', 'removed', 'changed'].includes((o as ObjectChange).action) && typeof (o as ObjectChange).kind === 'string' && typeof (o as ObjectChange).name === 'string' && Array.isArray((o as ObjectChange).fields);
    if (typeof stack !== 'string' || !Array.isArray(objects) || !objects.every(valid)) {
      throw new UsageError(`--affected ${file}: stacks[${i}] is not a stack with an objects list — pass the output of \`platform affected --json\``);
    }
    if (objects.length > 0) out.push({ stack, changes: objects });
  }
  return out;
}

/** Renders the comment to stdout or `--output`; returns 0, or 1 with a message naming the bad file or flag. */
export function runComment(options: CommentOptions): number {
  const writeErr = options.writeErr ?? ((l: string) => process.stderr.write(`${l}\n`));
  try {
    const markdown = buildComment(options);
    if (options.output) {
      mkdirSync(path.dirname(path.resolve(options.output)), { recursive: true });
      writeFileSync(options.output, markdown);
      writeErr(`wrote the comment for ${options.files.length} plan${options.files.length === 1 ? '' : 's'} to ${options.output} (${markdown.length} characters)`);
    } else {
      (options.write ?? ((t: string) => process.stdout.write(t)))(markdown);
    }
    return EXIT.ok;
  } catch (err) {
    return reportError(err, writeErr);
  }
}

export function registerComment(program: Command): void {
  program
    .command('comment')
    .description(
      'Render one Markdown pull-request comment from several stacks\' plan JSON files (`platform plan` writes cdktf.out/stacks/<stack>/plan.json). ' +
        "The stack name is the plan file's folder name. The first line is a hidden marker, so CI can find and update its earlier comment. " +
        'Destroys and replaces of stateful resources come first, with the destroy guard\'s verdict; --affected adds the offline Kubernetes object diff.',
    )
    .argument('[plan.json...]', 'plan JSON files, one per stack folder')
    .option('-t, --title <text>', 'heading of the comment (one title, one marker: use one per comment kind)')
    .option('-o, --output <file>', 'write the Markdown to this file instead of stdout')
    .option('--max-chars <n>', `longest comment, 1000–${GITHUB_COMMENT_LIMIT - 1}; details are left out beyond it`, String(DEFAULT_MAX_CHARS))
    .option('--artifact-hint <markdown>', 'where the full plans are, for the note shown when details are left out')
    .option('--allow-empty', 'with no plan files, render a comment saying no stack was planned (instead of failing)')
    .option('--affected <file>', 'output of `platform affected --json`: adds its Kubernetes object diff (a section per stack; what Helm/Argo CD will apply)')
    .option('--ack <file>', `destroy acknowledgements for the destroy guard's verdicts (default: ${DEFAULT_ACK_FILE}, if present)`)
    .option('--env-dir <dir>', 'folder of environment files (each stack\'s tier, for the destroy guard)', 'envs')
    .addHelpText('after', '\nExit codes: 0 rendered, 1 invalid input (a missing, malformed or truncated plan file is named in the message).')
    .action((files: string[], opts: { title?: string; output?: string; maxChars: string; artifactHint?: string; allowEmpty?: boolean; affected?: string; ack?: string; envDir: string }) => {
      process.exitCode = runComment({
        files,
        title: opts.title,
        output: opts.output,
        maxChars: opts.maxChars,
        artifactHint: opts.artifactHint,
        allowEmpty: opts.allowEmpty,
        affected: opts.affected,
        ack: opts.ack,
        envDir: opts.envDir,
      });
    });
}
