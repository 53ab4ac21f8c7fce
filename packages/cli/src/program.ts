import { Command, CommanderError } from 'commander';
import { registerAffected } from './commands/affected';
import { registerComment } from './commands/comment';
import { registerDrift } from './commands/drift';
import { registerEnvironments } from './commands/environments';
import { registerGuard } from './commands/guard';
import { registerPlan } from './commands/plan';
import { registerPromote } from './commands/promote';
import { registerSynth } from './commands/synth';
import { reportError } from './errors';

export const EXIT_CODES_HELP = `
Exit codes:
  0  success (plan/drift: no changes)
  1  error: invalid input, failed command, or a stack that failed
  2  plan/drift: changes or drift found`;

/** The `platform` command with every sub-command registered. */
export function buildProgram(): Command {
  const program = new Command('platform')
    .description("The platform team's infrastructure CLI: synthesize, find affected stacks, plan, comment, detect drift.")
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .addHelpText('after', EXIT_CODES_HELP);
  registerSynth(program);
  registerAffected(program);
  registerPlan(program);
  registerComment(program);
  registerDrift(program);
  registerEnvironments(program);
  registerPromote(program);
  registerGuard(program);
  return program;
}

export async function main(argv: readonly string[]): Promise<number> {
  const program = buildProgram();
  try {
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
