import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { Command, CommanderError } from 'commander';
import { reportError } from './errors';

export const EXIT_CODES_HELP = `
Exit codes:
  0  success (plan/drift: no changes)
  1  error: invalid input, failed command, or a stack that failed
  2  plan/drift: changes or drift found`;

type Register = (program: Command) => void;

/**
 * Every sub-command, in help order: its name and its registration, loaded only when that command runs
 * (help loads them all), so `platform synth` never loads plan's engine runner or listr2. One line each.
 * `require`, not `import()`: the precompiled bundle, jest and the tsx fallback (`PLATFORM_DEBUG=1`, or no
 * esbuild) all load CommonJS, and tsx's CommonJS hook does not reach a dynamic `import()` — which made
 * every command fail with ERR_MODULE_NOT_FOUND on that fallback.
 */
/* eslint-disable @typescript-eslint/no-require-imports */
export const COMMANDS: ReadonlyArray<readonly [name: string, load: () => Promise<Register>]> = [
  ['synth', async () => (require('./commands/synth') as Record<'registerSynth', Register>).registerSynth],
  ['affected', async () => (require('./commands/affected') as Record<'registerAffected', Register>).registerAffected],
  ['plan', async () => (require('./commands/plan') as Record<'registerPlan', Register>).registerPlan],
  ['comment', async () => (require('./commands/comment') as Record<'registerComment', Register>).registerComment],
  ['drift', async () => (require('./commands/drift') as Record<'registerDrift', Register>).registerDrift],
  ['environments', async () => (require('./commands/environments') as Record<'registerEnvironments', Register>).registerEnvironments],
  ['promote', async () => (require('./commands/promote') as Record<'registerPromote', Register>).registerPromote],
  ['guard', async () => (require('./commands/guard') as Record<'registerGuard', Register>).registerGuard],
  ['explain-lock', async () => (require('./commands/explain-lock') as Record<'registerExplainLock', Register>).registerExplainLock],
];
/* eslint-enable @typescript-eslint/no-require-imports */

/** The repository root: the nearest folder at or above `from` holding cdktf.json. */
export function findRepositoryRoot(from: string = process.cwd()): string | undefined {
  for (let dir = path.resolve(from); ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'cdktf.json'))) return dir;
    if (path.dirname(dir) === dir) return undefined;
  }
}

/**
 * The `platform` command with the sub-command named in `argv` registered (every one when none is named,
 * e.g. for --help). Default file and folder options (`<dir>`, `<file>`, `<path>`: cdktf.out, envs, …) are
 * relative to the repository root, so the CLI works from any subfolder; paths the user types stay
 * relative to the current folder.
 */
export async function buildProgram(argv: readonly string[] = []): Promise<Command> {
  const program = new Command('platform')
    .description("The platform team's infrastructure CLI: synthesize, find affected stacks, plan, comment, detect drift.")
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .addHelpText('after', EXIT_CODES_HELP);
  const named = argv.slice(2).find((a) => !a.startsWith('-'));
  const only = COMMANDS.filter(([name]) => name === named);
  for (const [, load] of only.length > 0 ? only : COMMANDS) (await load())(program);
  program.hook('preAction', (_root, action) => {
    const root = findRepositoryRoot();
    if (!root || root === process.cwd()) return;
    for (const option of action.options) {
      const key = option.attributeName();
      const value = action.getOptionValue(key) as unknown;
      if (action.getOptionValueSource(key) === 'default' && /<(dir|file|path)>/.test(option.flags) && typeof value === 'string' && !path.isAbsolute(value)) {
        action.setOptionValueWithSource(key, path.join(root, value), 'default');
      }
    }
  });
  return program;
}

export async function main(argv: readonly string[]): Promise<number> {
  try {
    const program = await buildProgram(argv);
    await program.parseAsync([...argv]);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      // Help and version print and exit 0; bad flags and unknown commands have been printed: exit 1.
      return err.exitCode === 0 ? 0 : 1;
    }
    return reportError(err);
  }
}
