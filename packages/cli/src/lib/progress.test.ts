import { capture } from '../../test/helpers';
import { createProgress, progressMode } from './progress';

describe('progressMode', () => {
  test.each([
    [true, {}, 'tty'],
    [true, { CI: 'true' }, 'plain'],
    [true, { CI: '1' }, 'plain'],
    [true, { CI: 'false' }, 'tty'],
    [true, { CI: '' }, 'tty'],
    [false, {}, 'plain'],
    [undefined, {}, 'plain'],
  ] as const)('GIVEN isTTY=%s and env %j THEN %s', (isTTY, env, mode) => {
    expect(progressMode({ isTTY }, env)).toBe(mode);
  });
});

describe('createProgress', () => {
  test('GIVEN plain mode THEN one line per step and one per finished stack, with the outcome', async () => {
    const out = capture();
    const progress = createProgress(['dev-a', 'dev-b'], { mode: 'plain', write: out.write });
    const a = progress.start('dev-a');
    a.step('init');
    a.finish(true, 'no changes');
    progress.start('dev-b').finish(false, 'plan failed (exit 1)');
    await progress.close();
    expect(out.lines).toEqual([expect.stringMatching(/^dev-a: init…$/), expect.stringMatching(/^dev-a: done — no changes \(\d+\.\d s\)$/), expect.stringMatching(/^dev-b: FAILED — plan failed \(exit 1\) \(\d+\.\d s\)$/)]);
  });

  test('GIVEN tty mode THEN listr2 draws a task per stack, ticks the ones that finished and crosses the failed one (here through its non-TTY fallback)', async () => {
    const written: string[] = [];
    const keep = (chunk: unknown): boolean => (written.push(String(chunk)), true);
    const stdout = jest.spyOn(process.stdout, 'write').mockImplementation(keep);
    const stderr = jest.spyOn(process.stderr, 'write').mockImplementation(keep);
    try {
      const progress = createProgress(['dev-a', 'dev-b'], { mode: 'tty' });
      const a = progress.start('dev-a');
      a.step('plan');
      a.finish(true, '1 to add, 0 to change, 0 to destroy');
      progress.start('dev-b').finish(false, 'init failed (exit 1)');
      await progress.close();
    } finally {
      stdout.mockRestore();
      stderr.mockRestore();
    }
    const text = written.join('');
    expect(text).toMatch(/✔ dev-a: 1 to add, 0 to change, 0 to destroy \(\d+\.\d s\)/);
    expect(text).toMatch(/✖ dev-b \(\d+\.\d s\).*init failed \(exit 1\)/);
  });
});
