import fc from 'fast-check';
import { findJsonSyntaxProblem } from './json-syntax';

function parses(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

describe('findJsonSyntaxProblem', () => {
  it('finds nothing wrong with valid JSON', () => {
    // GIVEN any JSON document, compact or indented
    // WHEN it is checked
    // THEN no problem is reported
    fc.assert(
      fc.property(fc.jsonValue(), fc.constantFrom(undefined, 2), (value, indent) => {
        expect(findJsonSyntaxProblem(JSON.stringify(value, null, indent))).toBeUndefined();
      }),
    );
  });

  it('reports every cut-off object as truncated', () => {
    // GIVEN a JSON object cut off anywhere before its end
    const cutObject = fc
      .dictionary(fc.string(), fc.jsonValue(), { minKeys: 1 })
      .chain((object) => {
        const text = JSON.stringify(object, null, 1);
        return fc.integer({ min: 1, max: text.length - 1 }).map((length) => text.slice(0, length));
      })
      .filter((text) => text.trim() !== '');
    fc.assert(
      fc.property(cutObject, (text) => {
        // WHEN it is checked
        const problem = findJsonSyntaxProblem(text);
        // THEN it is reported as truncated, at the end of the text
        expect(problem?.truncated).toBe(true);
        expect(problem?.line).toBe(text.split('\n').length);
      }),
    );
  });

  it('agrees with JSON.parse on what is valid', () => {
    // GIVEN text that is JSON-like but possibly broken (random edits of valid JSON)
    const jsonish = fc.tuple(fc.json(), fc.nat(), fc.constantFrom('', ',', '}', ']', '"', ':', 'x', '\\', '\n', ' ', '01', 'tru'), fc.nat(3)).map(
      ([text, at, insert, remove]) => {
        const position = text.length === 0 ? 0 : at % text.length;
        return text.slice(0, position) + insert + text.slice(position + remove);
      },
    );
    fc.assert(
      fc.property(jsonish, (text) => {
        // WHEN it is checked
        // THEN a problem is found exactly when JSON.parse fails
        expect(findJsonSyntaxProblem(text) === undefined).toBe(parses(text));
      }),
      { numRuns: 2000 },
    );
  });

  it.each([
    ['{"a": 1,\n "b": x}', 'unexpected character where a value was expected', 2, 7],
    ['{"a" 1}', "expected ':' after an object key", 1, 6],
    ['{"a": 1 "b": 2}', "expected ',' or '}'", 1, 9],
    ['[1, 2', 'unexpected end of input: the file looks truncated', 1, 6],
    ['{"a": "line\nbreak"}', 'control character (such as a raw line break) inside a string', 1, 12],
    ['{"a": "\\q"}', 'invalid escape sequence in a string', 1, 8],
    ['{} {}', 'unexpected content after the end of the JSON document', 1, 4],
    ['{"a": tr', 'unexpected end of input: the file looks truncated', 1, 9],
    ['{a: 1}', 'expected a quoted object key', 1, 2],
  ])('locates the problem in %j', (text, problem, line, column) => {
    // GIVEN broken JSON
    // WHEN it is checked
    // THEN the problem and its 1-based line and column are reported
    expect(findJsonSyntaxProblem(text)).toMatchObject({ problem, line, column });
  });

  it('does not overflow the stack on deep nesting', () => {
    // GIVEN a hundred thousand unclosed arrays
    // WHEN it is checked
    // THEN it is reported as truncated (the scanner keeps its own stack)
    expect(findJsonSyntaxProblem('['.repeat(100_000))?.truncated).toBe(true);
  });
});
