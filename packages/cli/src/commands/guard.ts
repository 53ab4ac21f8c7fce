import { existsSync, readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { loadEnvironments } from '@platform/config';
import { AckFileError, type DestroyAck, formatGuard, parseAcks, type GuardReport, guardPlans } from '@platform/plan-report';
import { type Command } from 'commander';
import { EXIT, reportError, UsageError } from '../errors';
import { loadStackPlans } from '../lib/stack-plan';
import { environmentOf } from '../lib/stacks';

/** The acknowledgement file at the repository root, unless `--ack` names another. */
export const DEFAULT_ACK_FILE = 'destroy-ack.yaml';

export interface GuardCommandOptions {
  /** Folder holding the plans: every `plan.json` below it, the stack being its folder's name (as `platform plan` leaves them). */
  readonly plans: string;
  /** Acknowledgement file. @default destroy-ack.yaml (none when that file does not exist) */
  readonly ack?: string;
  /** Folder of environment files (for each environment's tier). @default envs */
  readonly envDir?: string;
  /** Folder the relative paths are resolved from. @default - process.cwd() */
  readonly cwd?: string;
  /** Resource types to guard. @default STATEFUL_TYPES */
  readonly statefulTypes?: readonly string[];
  readonly json?: boolean;
  readonly write?: (line: string) => void;
  readonly writeErr?: (line: string) => void;
}

/** Every `plan.json` below a folder (not inside `.terraform`), sorted. */
export function findPlanFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory() && e.name !== '.terraform' && e.name !== 'node_modules') walk(path.join(d, e.name));
      else if (e.isFile() && e.name === 'plan.json') out.push(path.join(d, e.name));
    }
  };
  walk(dir);
  return out.sort();
}

/** Reads an acknowledgement file; the default one may be absent (no acknowledgements), a named one must exist. */
export function readAcks(file: string, required: boolean, display = file): DestroyAck[] {
  if (!existsSync(file)) {
    if (required) throw new UsageError(`--ack ${file}: file not found — pass the acknowledgement file of this change, or leave --ack out to use ${DEFAULT_ACK_FILE} at the repository root`);
    return [];
  }
  try {
    return parseAcks(readFileSync(file, 'utf8'), display);
  } catch (err) {
    if (err instanceof AckFileError) throw new UsageError(err.message);
    throw err;
  }
}

/** Loads the plans under `plans` and evaluates the destroy guard. */
export function evaluateGuard(options: GuardCommandOptions): { report: GuardReport; ackFile: string; planFiles: string[] } {
  const cwd = path.resolve(options.cwd ?? process.cwd());
  const plansDir = path.resolve(cwd, options.plans);
  if (!existsSync(plansDir)) throw new UsageError(`--plans ${options.plans}: no such folder — pass the folder where \`platform plan\` left the plan.json files (e.g. cdktf.out)`);
  const planFiles = findPlanFiles(plansDir);
  if (planFiles.length === 0) throw new UsageError(`--plans ${options.plans}: holds no plan.json — run \`platform plan\` first (it writes <stack>/plan.json)`);
  const stacks = loadStackPlans(planFiles);
  const envs = loadEnvironments(path.resolve(cwd, options.envDir ?? 'envs'), { root: cwd });
  const tiers = new Map(envs.map((e) => [e.name, e.tier as string]));
  const ackFile = path.resolve(cwd, options.ack ?? DEFAULT_ACK_FILE);
  const shown = path.relative(cwd, ackFile).startsWith('..') ? ackFile : path.relative(cwd, ackFile);
  const acks = readAcks(ackFile, options.ack !== undefined, shown);
  const report = guardPlans(stacks, { tiers, acks, environmentOf, ...(options.statefulTypes ? { statefulTypes: options.statefulTypes } : {}) });
  return { report, ackFile: shown, planFiles };
}

/** Runs the guard; 0 when nothing is blocked, 1 when a production destroy is not acknowledged (or on bad input). */
export function runGuard(options: GuardCommandOptions): number {
  const write = options.write ?? ((l: string) => process.stdout.write(`${l}\n`));
  const writeErr = options.writeErr ?? ((l: string) => process.stderr.write(`${l}\n`));
  try {
    const { report, ackFile, planFiles } = evaluateGuard(options);
    if (options.json) write(JSON.stringify({ ...report, ackFile, plans: planFiles.length }, null, 2));
    else for (const line of formatGuard(report, ackFile)) write(line);
    return report.passed ? EXIT.ok : EXIT.error;
  } catch (err) {
    return reportError(err, writeErr);
  }
}

export function registerGuard(program: Command): void {
  program
    .command('guard')
    .description(
      'Destroy guard: fail when a plan of a production-tier environment destroys or replaces a stateful resource (S3 buckets, DynamoDB tables, KMS keys and aliases, ' +
        'log groups, ECR repositories, Route53 records and zones, Secrets Manager secrets, RDS/EFS, the platform\'s Helm releases) that the acknowledgement file does not name.',
    )
    .requiredOption('--plans <dir>', 'folder holding <stack>/plan.json files, as `platform plan` leaves them (e.g. cdktf.out)')
    .option('--ack <file>', `acknowledgement file: acknowledgements: [{ stack, address, reason }] (default: ${DEFAULT_ACK_FILE} at the repository root, if present)`)
    .option('--env-dir <dir>', 'folder of environment files (each environment\'s tier)', 'envs')
    .option('--json', 'print the findings as JSON')
    .addHelpText(
      'after',
      '\nEach finding is printed with its verdict: BLOCKED (production, not acknowledged), ACKNOWLEDGED (production, named in the file with a reason), ' +
        'allowed (non-production). A stack whose environment has no file is treated as production.\n' +
        'Exit codes: 0 nothing blocked, 1 a blocked destroy or invalid input (a bad plan or acknowledgement file is named with its line).',
    )
    .action((opts: { plans: string; ack?: string; envDir: string; json?: boolean }) => {
      process.exitCode = runGuard({ plans: opts.plans, ack: opts.ack, envDir: opts.envDir, json: opts.json });
    });
}
