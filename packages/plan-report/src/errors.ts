/**
 * A plan file that cannot be used: missing, unreadable, not JSON, truncated, or not shaped like
 * `terraform show -json` output. The message names the file, says what is wrong and where
 * (`$.resource_changes[3].change.actions` or `line 12, column 5`). It never quotes values from
 * the file (only its `format_version`), because plan files hold secrets.
 */
export class PlanFileError extends Error {
  override readonly name = 'PlanFileError';

  constructor(
    /** The file (or source name) that was read. */
    readonly file: string,
    /** What is wrong, in words. */
    readonly problem: string,
    /** Where in the file: a JSON path (`$.a[0].b`) or a `line L, column C` position. */
    readonly location?: string,
    options?: { readonly cause?: unknown },
  ) {
    super(`plan file "${file}": ${problem}${location === undefined ? '' : ` (at ${location})`}`, options);
  }
}
