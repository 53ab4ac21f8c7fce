// @tier integration — spawns the shell scripts it writes.
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { cleanTemps, tempDir, writeScript } from '../../test/helpers';
import { UsageError } from '../errors';
import { resolveTerraformBinary, runPool, spawnRunner, tail } from './runner';

afterAll(cleanTemps);

describe('runPool', () => {
  test('GIVEN a limit THEN at most that many workers run at once, all run, and results keep the input order', async () => {
    let running = 0;
    let most = 0;
    const results = await runPool([30, 5, 20, 1, 10, 2], 3, async (ms, i) => {
      most = Math.max(most, ++running);
      await new Promise((r) => setTimeout(r, ms));
      running--;
      return `${i}:${ms}`;
    });
    expect(results).toEqual(['0:30', '1:5', '2:20', '3:1', '4:10', '5:2']);
    expect(most).toBe(3);
  });

  test('GIVEN fewer items than the limit THEN each runs once', async () => {
    const seen: number[] = [];
    await runPool([1, 2], 8, async (n) => void seen.push(n));
    expect(seen.sort()).toEqual([1, 2]);
  });

  test.each([0, -1, 1.5])('GIVEN limit %s THEN it is refused', async (limit) => {
    await expect(runPool([1], limit, async (n) => n)).rejects.toThrow(/limit must be a positive integer/);
  });
});

describe('resolveTerraformBinary', () => {
  const bin = (): { dir: string; file: string } => {
    const dir = tempDir();
    return { dir, file: writeScript(path.join(dir, 'tofu'), 'exit 0') };
  };

  test('GIVEN TERRAFORM_BINARY_NAME is a name THEN it is looked up on PATH', () => {
    const { dir, file } = bin();
    expect(resolveTerraformBinary({ TERRAFORM_BINARY_NAME: 'tofu', PATH: `/nonexistent${path.delimiter}${dir}` })).toBe(file);
  });

  test('GIVEN it is unset THEN "terraform" is looked up', () => {
    const dir = tempDir();
    const file = writeScript(path.join(dir, 'terraform'), 'exit 0');
    expect(resolveTerraformBinary({ PATH: dir })).toBe(file);
  });

  test('GIVEN a relative path THEN it is resolved against the working folder (stacks run in their own folders)', () => {
    const { dir, file } = bin();
    expect(resolveTerraformBinary({ TERRAFORM_BINARY_NAME: './tofu', PATH: '' }, dir)).toBe(file);
  });

  test.each([
    [{ TERRAFORM_BINARY_NAME: 'tofu', PATH: '/nonexistent' }, /TERRAFORM_BINARY_NAME="tofu", but no "tofu" executable is on PATH/],
    [{ TERRAFORM_BINARY_NAME: '/nonexistent/tofu', PATH: '' }, /TERRAFORM_BINARY_NAME="\/nonexistent\/tofu": \/nonexistent\/tofu is not an executable file/],
  ])('GIVEN %j THEN a UsageError says what to set', (env, message) => {
    expect(() => resolveTerraformBinary(env)).toThrow(UsageError);
    expect(() => resolveTerraformBinary(env)).toThrow(message);
  });
});

describe('spawnRunner', () => {
  test('GIVEN a command THEN its exit code and interleaved output are returned, in its working folder', async () => {
    const dir = tempDir();
    const script = writeScript(path.join(dir, 'cmd'), 'echo "out $1 $(basename "$PWD")"; echo err >&2; exit 3');
    const result = await spawnRunner(script, ['a'], { cwd: dir });
    expect(result.code).toBe(3);
    expect(result.output).toContain(`out a ${path.basename(dir)}`);
    expect(result.output).toContain('err');
  });

  test('GIVEN stdoutFile THEN stdout goes to the file and only stderr is captured', async () => {
    const dir = tempDir();
    const script = writeScript(path.join(dir, 'cmd'), 'echo \'{"big": true}\'; echo note >&2');
    const file = path.join(dir, 'plan.json');
    const result = await spawnRunner(script, [], { cwd: dir, stdoutFile: file });
    expect(result).toEqual({ code: 0, output: 'note\n' });
    expect(readFileSync(file, 'utf8')).toBe('{"big": true}\n');
  });

  test('GIVEN a command that cannot start THEN code 127 and the reason, not an exception', async () => {
    const result = await spawnRunner('/nonexistent/tofu', ['init'], { cwd: tempDir() });
    expect(result.code).toBe(127);
    expect(result.output).toMatch(/cannot run \/nonexistent\/tofu: .*ENOENT/);
  });
});

test('tail keeps the last lines and marks the cut', () => {
  expect(tail('1\n2\n3\n4\n', 2)).toBe('…\n3\n4');
  expect(tail('1\n2', 5)).toBe('1\n2');
});
