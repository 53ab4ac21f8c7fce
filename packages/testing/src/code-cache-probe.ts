// Loaded more than once by code-cache.test.ts: a module with state of its own, nothing else.
let calls = 0;
export const probe = (value: string): string => `${value}-probe-${++calls}`;
