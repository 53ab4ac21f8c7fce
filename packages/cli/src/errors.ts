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
 * Errors that are the user's (bad config, props, flags, files, policy violations, an output folder that
 * cannot be replaced), recognized by name so that printing an error does not load the packages that throw them
 * (@platform/config's schemas, @platform/policy's rules).
 */
const USER_ERRORS = new Set(['ConfigError', 'UsageError', 'PolicyViolationError', 'OutputReplaceError']);

/** What the file system said, for a person. */
const FS_REASONS: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'operation not permitted (immutable, or owned by another user)',
  EROFS: 'read-only file system',
  ENOSPC: 'no space left on device',
  EDQUOT: 'disk quota exceeded',
  ENOENT: 'no such file or folder',
  ENOTDIR: 'not a folder',
  EEXIST: 'a file is in the way',
  EISDIR: 'is a folder',
};

/**
 * Prints an error for a person and returns the exit code. Users' own mistakes (bad config, bad
 * props, bad flags, bad files, failed validations) and file-system refusals get one message; anything
 * else is a bug in this project and keeps its stack trace.
 */
export function reportError(err: unknown, write: (line: string) => void = (l) => process.stderr.write(`${l}\n`)): number {
  const fsError = err as (NodeJS.ErrnoException & { dest?: unknown }) | undefined;
  if (err instanceof Error && USER_ERRORS.has(err.name)) {
    write(`error: ${err.message}`);
  } else if (err instanceof Error && /^Validation failed with the following errors/.test(err.message)) {
    // cdktf's construct validations (e.g. two stacks sharing a state object).
    write(`error: ${err.message.replace(/^Validation failed with the following errors:/, 'synth validation failed:')}`);
  } else if (err instanceof Error && typeof fsError?.code === 'string' && fsError.code in FS_REASONS && typeof fsError.path === 'string') {
    const dest = typeof fsError.dest === 'string' ? ` → ${fsError.dest}` : '';
    write(`error: ${fsError.syscall ?? 'access'} ${fsError.path}${dest}: ${FS_REASONS[fsError.code]} (${fsError.code})`);
  } else {
    write(`internal error (please report): ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  }
  return EXIT.error;
}
