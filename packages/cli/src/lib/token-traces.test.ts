import { Lazy, Tokenization } from 'cdktf';
import { skipTokenStackTraces } from './token-traces';

/** An `Error`-like class whose captures are counted. */
function countingErrorClass(): { errorClass: ErrorConstructor; captured: object[] } {
  const captured: object[] = [];
  const errorClass = {
    stackTraceLimit: 10,
    captureStackTrace(target: object) {
      captured.push(target);
      (target as { stack?: string }).stack = 'Error\n    at somewhere';
    },
  } as unknown as ErrorConstructor;
  return { errorClass, captured };
}

describe('skipTokenStackTraces', () => {
  test('GIVEN a capture with the limit raised to MAX_SAFE_INTEGER (cdktf token traces) THEN an empty stack, and nothing is captured', () => {
    const { errorClass, captured } = countingErrorClass();
    skipTokenStackTraces(errorClass);
    errorClass.stackTraceLimit = Number.MAX_SAFE_INTEGER;
    const target: { stack?: string } = {};
    errorClass.captureStackTrace(target);
    expect(target.stack).toBe('');
    expect(captured).toEqual([]);
  });

  test('GIVEN any other capture THEN it is captured as usual; once restored, token traces are captured again', () => {
    const { errorClass, captured } = countingErrorClass();
    const restore = skipTokenStackTraces(errorClass);
    const ordinary: { stack?: string } = {};
    errorClass.captureStackTrace(ordinary);
    expect(ordinary.stack).toContain('at somewhere');
    restore();
    errorClass.stackTraceLimit = Number.MAX_SAFE_INTEGER;
    const token: { stack?: string } = {};
    errorClass.captureStackTrace(token);
    expect(token.stack).toContain('at somewhere');
    expect(captured).toEqual([ordinary, token]);
  });
});

// packages/testing/src/setup.ts installs it for every suite, as `platform synth` does around its synth.
test('GIVEN a suite (without PLATFORM_DEBUG) WHEN cdktf creates a token THEN it records no creation stack; errors keep theirs', () => {
  const token = Tokenization.reverseString(Lazy.stringValue({ produce: () => 'x' })).firstToken!;
  if (process.env.PLATFORM_DEBUG) expect(token.creationStack.length).toBeGreaterThan(0);
  else expect(token.creationStack).toEqual([]);
  expect(new Error('kept').stack).toMatch(/\n\s+at /);
});
