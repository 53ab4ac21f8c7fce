import { existsSync } from 'node:fs';
import * as path from 'node:path';

/** Absolute path of the repository root (the folder holding cdktf.json). */
export const repoRoot = path.resolve(__dirname, '..', '..', '..');

/** External tools the setup script installs into `.tools/bin`. */
export type ToolName = 'helm' | 'helm-unittest' | 'actionlint' | 'tofu' | 'checkov' | 'moto_server';

/**
 * Path of a pinned tool installed by `scripts/setup-tools.sh`.
 * Throws a message that says how to install it when it is missing, so a test never silently passes without it.
 */
export function toolPath(name: ToolName): string {
  const candidate = path.join(repoRoot, '.tools', 'bin', name);
  if (!existsSync(candidate)) {
    throw new Error(`${name} is not installed in .tools/bin: run \`npm run setup-tools\` (scripts/setup-tools.sh) first`);
  }
  return candidate;
}
