import { ConfigError } from '@platform/config';
import { PolicyViolationError } from '@platform/policy';

/** A problem with how the CLI was called or with a file it was given: printed as is, exit 1. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** Exit codes shared by every command. */
export const EXIT = { ok: 0, error: 1, changes: 2 } as const;

/**
 * Prints an error for a person and returns the exit code. Users' own mistakes (bad config, bad
 * props, bad flags, bad files, failed validations) get their message only; anything else is a bug
 * in this project and keeps its stack trace.
 */
export function reportError(err: unknown, write: (line: string) => void = (l) => process.stderr.write(`${l}\n`)): number {
  if (err instanceof ConfigError || err instanceof UsageError || err instanceof PolicyViolationError) {
    write(`error: ${err.message}`);
  } else if (err instanceof Error && /^Validation failed with the following errors/.test(err.message)) {
    // cdktf's construct validations (e.g. two stacks sharing a state object).
    write(`error: ${err.message.replace(/^Validation failed with the following errors:/, 'synth validation failed:')}`);
  } else {
    write(`internal error (please report): ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  }
  return EXIT.error;
}
