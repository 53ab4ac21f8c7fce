import { fitToLength } from './fit';

/** Ten blocks of ten characters each; block 0-4 have priority 1, 5-9 priority 0. */
const blocks = Array.from({ length: 10 }, (_, id) => ({ id, priority: id < 5 ? 1 : 0 }));
const render = (dropped: ReadonlySet<number>): string =>
  blocks
    .filter((block) => !dropped.has(block.id))
    .map((block) => `[block-${block.id}]`.padEnd(10, '.'))
    .join('') + (dropped.size > 0 ? `+${dropped.size}` : '');

describe('fitToLength', () => {
  it('drops nothing when the text fits', () => {
    // GIVEN a text of 100 characters
    // WHEN it is fitted into 100
    const fitted = fitToLength(blocks, render, 100, 'cut');
    // THEN nothing is dropped
    expect(fitted.dropped.size).toBe(0);
    expect(fitted.text).toHaveLength(100);
  });

  it('drops the fewest blocks, lowest priority first, from the end', () => {
    // GIVEN ten blocks, the last five of lower priority
    // WHEN the text must shrink by a bit more than two blocks
    const fitted = fitToLength(blocks, render, 75, 'cut');
    // THEN the last three low-priority blocks are dropped
    expect([...fitted.dropped].sort()).toEqual([7, 8, 9]);
    expect(fitted.text.length).toBeLessThanOrEqual(75);
  });

  it('drops higher-priority blocks only after all lower ones', () => {
    // GIVEN the same blocks
    // WHEN only three blocks fit
    const fitted = fitToLength(blocks, render, 32, 'cut');
    // THEN all low-priority blocks and the last high-priority ones are dropped
    expect([...fitted.dropped].sort()).toEqual([3, 4, 5, 6, 7, 8, 9]);
  });

  it('cuts at a line break when dropping everything is not enough', () => {
    // GIVEN a text of fixed lines that no dropping can shorten
    const lines = Array.from({ length: 50 }, (_, index) => `line ${index}`).join('\n');
    // WHEN it is fitted into 60 characters
    const fitted = fitToLength([], () => lines, 60, '(cut)');
    // THEN it ends with whole lines and the note, within the limit
    expect(fitted.text.length).toBeLessThanOrEqual(60);
    expect(fitted.text).toMatch(/^line 0\n(line \d+\n)*line \d+\n\n\(cut\)$/);
  });
});
