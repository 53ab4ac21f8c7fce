import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { DEFAULT_MAX_CHARS, GITHUB_COMMENT_LIMIT, loadPlanFile, PlanFileError, renderComment, type StackPlan } from '@platform/plan-report';
import { type Command } from 'commander';
import { EXIT, reportError, UsageError } from '../errors';
import { parseIntFlag } from '../lib/options';

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
  readonly write?: (text: string) => void;
  readonly writeErr?: (line: string) => void;
}

/** The stack a plan file belongs to: the name of the folder it is in. */
export function stackNameOf(file: string): string {
  return path.basename(path.dirname(path.resolve(file)));
}

/** Loads every plan file (a bad one is a UsageError naming it) and renders one pull-request comment. */
export function buildComment(options: CommentOptions): string {
  if (options.files.length === 0 && !options.allowEmpty) {
    throw new UsageError('no plan files given — pass one or more …/<stack>/plan.json files (from `platform plan`), or --allow-empty for a comment saying nothing was planned');
  }
  const seen = new Map<string, string>();
  const stacks: StackPlan[] = [];
  const problems: string[] = [];
  for (const file of options.files) {
    const stack = stackNameOf(file);
    const other = seen.get(stack);
    if (other !== undefined) {
      problems.push(`${file}: stack "${stack}" is already given by ${other} — the stack name is the plan file's folder name, so pass one plan per stack folder`);
      continue;
    }
    seen.set(stack, file);
    try {
      stacks.push({ stack, plan: loadPlanFile(file) });
    } catch (err) {
      if (!(err instanceof PlanFileError)) throw err;
      problems.push(err.message);
    }
  }
  if (problems.length > 0) throw new UsageError(problems.length === 1 ? problems[0]! : `${problems.length} unusable plan files:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  const maxChars = options.maxChars === undefined ? undefined : parseIntFlag('--max-chars', String(options.maxChars), 1000, GITHUB_COMMENT_LIMIT - 1);
  return renderComment(stacks, {
    ...(options.title !== undefined ? { title: options.title } : {}),
    ...(maxChars !== undefined ? { maxChars } : {}),
    ...(options.artifactHint !== undefined ? { artifactHint: options.artifactHint } : {}),
  });
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
        "The stack name is the plan file's folder name. The first line is a hidden marker, so CI can find and update its earlier comment.",
    )
    .argument('[plan.json...]', 'plan JSON files, one per stack folder')
    .option('-t, --title <text>', 'heading of the comment (one title, one marker: use one per comment kind)')
    .option('-o, --output <file>', 'write the Markdown to this file instead of stdout')
    .option('--max-chars <n>', `longest comment, 1000–${GITHUB_COMMENT_LIMIT - 1}; details are left out beyond it`, String(DEFAULT_MAX_CHARS))
    .option('--artifact-hint <markdown>', 'where the full plans are, for the note shown when details are left out')
    .option('--allow-empty', 'with no plan files, render a comment saying no stack was planned (instead of failing)')
    .addHelpText('after', '\nExit codes: 0 rendered, 1 invalid input (a missing, malformed or truncated plan file is named in the message).')
    .action((files: string[], opts: { title?: string; output?: string; maxChars: string; artifactHint?: string; allowEmpty?: boolean }) => {
      process.exitCode = runComment({ files, title: opts.title, output: opts.output, maxChars: opts.maxChars, artifactHint: opts.artifactHint, allowEmpty: opts.allowEmpty });
    });
}
