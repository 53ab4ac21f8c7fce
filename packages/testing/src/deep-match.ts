/**
 * Deep partial match: every key in `expected` must be present in `actual` with a matching value, at
 * any depth. Lists match when each expected element matches a distinct element of the actual list
 * (order-free subset). Asymmetric matchers (`expect.any(String)`, …) are honoured.
 */
export function deepPartialMatch(actual: unknown, expected: unknown): boolean {
  if (isAsymmetric(expected)) return expected.asymmetricMatch(actual);
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual)) return false;
    const used = new Set<number>();
    return expected.every((e) => {
      const i = actual.findIndex((a, idx) => !used.has(idx) && deepPartialMatch(a, e));
      if (i < 0) return false;
      used.add(i);
      return true;
    });
  }
  if (expected && typeof expected === 'object') {
    if (!actual || typeof actual !== 'object' || Array.isArray(actual)) return false;
    return Object.entries(expected).every(([k, v]) => k in actual && deepPartialMatch((actual as Record<string, unknown>)[k], v));
  }
  return Object.is(actual, expected);
}

function isAsymmetric(v: unknown): v is { asymmetricMatch(other: unknown): boolean } {
  return !!v && typeof v === 'object' && typeof (v as { asymmetricMatch?: unknown }).asymmetricMatch === 'function';
}
