import { deepPartialMatch } from './deep-match';
import { type StackJson, withoutMetadata } from './stack-json';

type Kind = 'resource' | 'data';

function bodies(json: StackJson, kind: Kind, type: string): Record<string, unknown>[] {
  const group = (json[kind] as Record<string, Record<string, Record<string, unknown>>> | undefined)?.[type] ?? {};
  return Object.values(group).map((b) => withoutMetadata(b));
}

function describeAll(found: Record<string, unknown>[]): string {
  const text = JSON.stringify(found, null, 2);
  return text.length > 4000 ? `${text.slice(0, 4000)}\n…` : text;
}

/**
 * Matchers over parsed synth output (see `synthJson`), complementing cdktf's own (which only match
 * the top level partially and cannot count or assert absence).
 */
export const stackMatchers = {
  /** Some resource of `type` deep-partially matches `props`. */
  toHaveResourceDeep(json: StackJson, type: string, props: Record<string, unknown> = {}) {
    const found = bodies(json, 'resource', type);
    const pass = found.some((b) => deepPartialMatch(b, props));
    return {
      pass,
      message: () =>
        pass
          ? `expected no ${type} matching ${JSON.stringify(props)}`
          : `expected a ${type} matching ${JSON.stringify(props, null, 2)}\nfound ${found.length}:\n${describeAll(found)}`,
    };
  },
  /** Some data source of `type` deep-partially matches `props`. */
  toHaveDataSourceDeep(json: StackJson, type: string, props: Record<string, unknown> = {}) {
    const found = bodies(json, 'data', type);
    const pass = found.some((b) => deepPartialMatch(b, props));
    return {
      pass,
      message: () =>
        pass
          ? `expected no data.${type} matching ${JSON.stringify(props)}`
          : `expected a data.${type} matching ${JSON.stringify(props, null, 2)}\nfound ${found.length}:\n${describeAll(found)}`,
    };
  },
  /** Exactly `count` resources of `type`. */
  toHaveResourceCount(json: StackJson, type: string, count: number) {
    const n = bodies(json, 'resource', type).length;
    return { pass: n === count, message: () => `expected ${count} ${type}, found ${n}` };
  },
  /** No resource of `type` at all. */
  toHaveNoResource(json: StackJson, type: string) {
    const n = bodies(json, 'resource', type).length;
    return { pass: n === 0, message: () => (n === 0 ? `expected some ${type}` : `expected no ${type}, found ${n}`) };
  },
};

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace jest {
    interface Matchers<R> {
      toHaveResourceDeep(type: string, props?: Record<string, unknown>): R;
      toHaveDataSourceDeep(type: string, props?: Record<string, unknown>): R;
      toHaveResourceCount(type: string, count: number): R;
      toHaveNoResource(type: string): R;
    }
  }
}
