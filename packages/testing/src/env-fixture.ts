import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { deepMerge, environmentSchema, type EnvironmentConfig } from '@platform/config';
import { parse } from 'yaml';
import { repoRoot } from './tools';

/**
 * A validated environment for tests: the repository's real `envs/_base.yaml` + `envs/<name>.yaml`,
 * with `patch` merged over them (mappings key by key, lists replaced). Stays valid as the schema grows.
 */
export function environmentFixture(name = 'dev', patch: Record<string, unknown> = {}, as = name): EnvironmentConfig {
  const read = (file: string) => parse(readFileSync(path.join(repoRoot, 'envs', file), 'utf8')) as Record<string, unknown>;
  const merged = deepMerge(deepMerge(read('_base.yaml'), read(`${name}.yaml`)), patch);
  return { ...environmentSchema.parse(merged), name: as, file: `envs/${as}.yaml` };
}
