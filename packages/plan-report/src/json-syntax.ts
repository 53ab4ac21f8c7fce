/**
 * Finds where JSON text first goes wrong, for error messages. `JSON.parse` messages quote a
 * snippet of the input, and a plan file's input holds secrets, so we locate the error ourselves
 * and report only a position and a description.
 */

export interface JsonSyntaxProblem {
  /** What is wrong, in words; never quotes the input. */
  readonly problem: string;
  /** True when the text ends before the JSON value is complete (a truncated file). */
  readonly truncated: boolean;
  readonly line: number;
  readonly column: number;
}

type Expect = 'value' | 'value-or-close' | 'key' | 'key-or-close' | 'colon' | 'comma-or-close' | 'end';

const LITERALS = ['true', 'false', 'null'] as const;
const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const PARTIAL_NUMBER = /-?(?:(?:0|[1-9]\d*)(?:\.\d*)?(?:[eE][+-]?\d*)?)?/y;
const STRING_BODY = /(?:[^"\\\u0000-\u001f]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*/y;

/** Returns the first syntax problem in `text`, or undefined when it is valid JSON. */
export function findJsonSyntaxProblem(text: string): JsonSyntaxProblem | undefined {
  const closers: Array<'}' | ']'> = [];
  let expect: Expect = 'value';
  let i = 0;

  const at = (offset: number, problem: string, truncated = false): JsonSyntaxProblem => {
    const before = text.slice(0, offset);
    const line = before.split('\n').length;
    return { problem, truncated, line, column: offset - before.lastIndexOf('\n') };
  };
  const afterValue = (): Expect => (closers.length === 0 ? 'end' : 'comma-or-close');

  for (;;) {
    while (i < text.length && ' \t\r\n'.includes(text.charAt(i))) i++;
    if (i >= text.length) {
      if (expect === 'end') return undefined;
      return at(i, text.trim() === '' ? 'no JSON value (the text is empty)' : 'unexpected end of input: the file looks truncated', text.trim() !== '');
    }
    const c = text.charAt(i);
    if (expect === 'end') return at(i, 'unexpected content after the end of the JSON document');

    if (expect === 'colon') {
      if (c !== ':') return at(i, "expected ':' after an object key");
      i++;
      expect = 'value';
      continue;
    }
    if (expect === 'comma-or-close') {
      const closer = closers[closers.length - 1];
      if (c === ',') {
        i++;
        expect = closer === '}' ? 'key' : 'value';
      } else if (c === closer) {
        i++;
        closers.pop();
        expect = afterValue();
      } else {
        return at(i, `expected ',' or '${closer}'`);
      }
      continue;
    }
    if ((expect === 'key-or-close' && c === '}') || (expect === 'value-or-close' && c === ']')) {
      i++;
      closers.pop();
      expect = afterValue();
      continue;
    }
    if (expect === 'key' || expect === 'key-or-close') {
      if (c !== '"') return at(i, 'expected a quoted object key');
      const end = scanString(text, i);
      if (typeof end !== 'number') return at(end.offset, end.problem, end.truncated);
      i = end;
      expect = 'colon';
      continue;
    }
    // A value.
    if (c === '{' || c === '[') {
      closers.push(c === '{' ? '}' : ']');
      i++;
      expect = c === '{' ? 'key-or-close' : 'value-or-close';
      continue;
    }
    if (c === '"') {
      const end = scanString(text, i);
      if (typeof end !== 'number') return at(end.offset, end.problem, end.truncated);
      i = end;
      expect = afterValue();
      continue;
    }
    const literal = LITERALS.find((word) => text.startsWith(word, i));
    if (literal !== undefined) {
      i += literal.length;
      expect = afterValue();
      continue;
    }
    const rest = LITERALS.find((word) => i + word.length > text.length && word.startsWith(text.slice(i)));
    if (rest !== undefined) return at(text.length, 'unexpected end of input: the file looks truncated', true);
    PARTIAL_NUMBER.lastIndex = i;
    if (PARTIAL_NUMBER.test(text) && PARTIAL_NUMBER.lastIndex === text.length && PARTIAL_NUMBER.lastIndex > i) {
      // The text ends with a number, or with the start of one ("-", "1.", "2e+").
      NUMBER.lastIndex = i;
      if (!NUMBER.test(text) || NUMBER.lastIndex !== text.length) return at(text.length, 'unexpected end of input: the file looks truncated', true);
    }
    NUMBER.lastIndex = i;
    if (NUMBER.test(text)) {
      i = NUMBER.lastIndex;
      expect = afterValue();
      continue;
    }
    return at(i, 'unexpected character where a value was expected');
  }
}

/** Scans a string starting at the opening quote; returns the offset after the closing quote. */
function scanString(text: string, start: number): number | { offset: number; problem: string; truncated: boolean } {
  STRING_BODY.lastIndex = start + 1;
  STRING_BODY.test(text);
  const end = STRING_BODY.lastIndex;
  const truncated = { offset: text.length, problem: 'unexpected end of input inside a string: the file looks truncated', truncated: true };
  if (end >= text.length) return truncated;
  if (text.charAt(end) === '"') return end + 1;
  if (text.charAt(end) === '\\') {
    // An escape cut off by the end of the text (`\`, `\u`, `\u12`) is truncation; anything else is invalid.
    if (/^\\(?:u[0-9a-fA-F]{0,3})?$/.test(text.slice(end, end + 6))) return truncated;
    return { offset: end, problem: 'invalid escape sequence in a string', truncated: false };
  }
  return { offset: end, problem: 'control character (such as a raw line break) inside a string', truncated: false };
}
