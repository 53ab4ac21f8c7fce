import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { repoRoot } from '@platform/testing';
import { buildProgram, COMMANDS, findRepositoryRoot } from './program';

describe('buildProgram', () => {
  test('GIVEN no sub-command (help) WHEN built THEN every command of COMMANDS is registered, in order', async () => {
    const program = await buildProgram(['node', 'platform', '--help']);
    expect(program.commands.map((c) => c.name())).toEqual(COMMANDS.map(([name]) => name));
  });

  test.each(COMMANDS.map(([name]) => [name]))('GIVEN `platform %s …` WHEN built THEN only that command is loaded and registered', async (name) => {
    const program = await buildProgram(['node', 'platform', name, '--some-flag', 'value']);
    expect(program.commands.map((c) => c.name())).toEqual([name]);
  });

  test('GIVEN an unknown sub-command WHEN built THEN every command is registered, so the error can suggest one', async () => {
    const program = await buildProgram(['node', 'platform', 'synht']);
    expect(program.commands).toHaveLength(COMMANDS.length);
  });
});

describe('findRepositoryRoot', () => {
  let work: string;
  beforeEach(() => (work = mkdtempSync(path.join(tmpdir(), 'root-'))));
  afterEach(() => rmSync(work, { recursive: true, force: true }));

  test('GIVEN a folder deep inside the repository THEN the folder holding cdktf.json', () => {
    expect(findRepositoryRoot(path.join(repoRoot, 'packages', 'cli', 'src'))).toBe(repoRoot);
  });

  test('GIVEN the nearest cdktf.json is in a parent THEN that parent, not the folder itself', () => {
    writeFileSync(path.join(work, 'cdktf.json'), '{}');
    mkdirSync(path.join(work, 'a', 'b'), { recursive: true });
    expect(findRepositoryRoot(path.join(work, 'a', 'b'))).toBe(work);
  });

  test('GIVEN no cdktf.json up to the file-system root THEN undefined', () => {
    expect(findRepositoryRoot(work)).toBeUndefined();
  });
});
