// Loaded twice by code-cache.test.ts: a module with a body, nothing else.
export const probe = (value: string): string => `${value}-probe`;
