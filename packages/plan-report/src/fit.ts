/**
 * Fitting a document under a size limit by leaving out droppable blocks.
 *
 * Blocks are left out in order of `priority` (lowest first) and, within a priority, from the end
 * of the document backwards; the fewest blocks needed are left out. The renderer gets the set of
 * left-out block ids and must say what was left out (so its output is honest) without growing
 * when more blocks are left out.
 */

/** Default size limit of rendered Markdown: comfortably below GitHub's limit. */
export const DEFAULT_MAX_CHARS = 60_000;
/** GitHub rejects issue and pull-request comments of this many characters or more. */
export const GITHUB_COMMENT_LIMIT = 65_536;

/** Validates a `maxChars` option: an integer from 1,000 (room for a summary) to 65,535. */
export function checkMaxChars(maxChars: number): number {
  if (!Number.isInteger(maxChars) || maxChars < 1_000 || maxChars >= GITHUB_COMMENT_LIMIT) {
    throw new RangeError(`maxChars must be an integer from 1000 to ${GITHUB_COMMENT_LIMIT - 1}, got ${maxChars}`);
  }
  return maxChars;
}

export interface Droppable {
  readonly id: number;
  /** Lower priorities are left out first. */
  readonly priority: number;
}

export interface Fitted {
  readonly text: string;
  readonly dropped: ReadonlySet<number>;
}

/**
 * Renders with as few blocks left out as possible so that the text has at most `maxChars`
 * characters. If leaving out every block is still too long, the text is cut at a line break
 * and `cutNote` appended.
 */
export function fitToLength(
  blocks: readonly Droppable[],
  render: (dropped: ReadonlySet<number>) => string,
  maxChars: number,
  cutNote: string,
): Fitted {
  // Blocks come in document order: sort by priority, then from the end backwards.
  const order = blocks
    .map((block, position) => ({ block, position }))
    .sort((a, b) => a.block.priority - b.block.priority || b.position - a.position)
    .map(({ block }) => block.id);
  const attempt = (count: number): Fitted => {
    const dropped = new Set(order.slice(0, count));
    return { text: render(dropped), dropped };
  };

  const full = attempt(0);
  if (full.text.length <= maxChars) return full;

  // Leaving out more blocks never makes the text longer, so search for the smallest count that fits.
  let low = 1;
  let high = order.length;
  let best: Fitted | undefined;
  while (low <= high) {
    const middle = Math.floor((low + high) / 2);
    const candidate = attempt(middle);
    if (candidate.text.length <= maxChars) {
      best = candidate;
      high = middle - 1;
    } else {
      low = middle + 1;
    }
  }
  if (best !== undefined) return best;

  const all = order.length === 0 ? full : attempt(order.length);
  return { text: cutAtLine(all.text, maxChars - cutNote.length - 2) + `\n\n${cutNote}`, dropped: all.dropped };
}

/** The longest prefix of `text` ending at a line break that has at most `limit` characters. */
function cutAtLine(text: string, limit: number): string {
  if (limit <= 0) return '';
  const cut = text.lastIndexOf('\n', limit);
  return text.slice(0, cut > 0 ? cut : limit);
}
