import { type ResourceChange } from './types';

/**
 * Deterministic, locale-independent ordering with numbers compared by value, so
 * `aws_subnet.this[2]` sorts before `aws_subnet.this[10]`.
 */
export function naturalCompare(a: string, b: string): number {
  const left = a.match(/\d+|\D+/g) ?? [];
  const right = b.match(/\d+|\D+/g) ?? [];
  for (let i = 0; i < Math.min(left.length, right.length); i++) {
    const x = left[i] ?? '';
    const y = right[i] ?? '';
    if (x === y) continue;
    const bothNumbers = /^\d/.test(x) && /^\d/.test(y);
    if (bothNumbers && x.length !== y.length) {
      // Compare by value without Number() (which loses precision past 2^53): strip leading zeros, longer is bigger.
      const [p, q] = [x.replace(/^0+(?=\d)/, ''), y.replace(/^0+(?=\d)/, '')];
      if (p.length !== q.length) return p.length - q.length;
      if (p !== q) return p < q ? -1 : 1;
    }
    return x < y ? -1 : 1;
  }
  if (left.length !== right.length) return left.length - right.length;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Sorts a copy of `items` by a text key. */
export function sortBy<T>(items: readonly T[], key: (item: T) => string): T[] {
  return [...items].sort((a, b) => naturalCompare(key(a), key(b)));
}

/** Sorts a copy of resource changes by address (deposed objects after their current object). */
export function byAddress(resources: readonly ResourceChange[]): ResourceChange[] {
  return sortBy(resources, (resource) => `${resource.address} ${resource.deposed ?? ''}`);
}
