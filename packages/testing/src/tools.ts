import { existsSync } from 'node:fs';
import * as path from 'node:path';

/** Absolute path of the repository root (the folder holding cdktf.json). */
export const repoRoot = path.resolve(__dirname, '..', '..', '..');

/** External tools the setup script installs into `.tools/bin`. */
export type ToolName = 'helm' | 'helm-unittest' | 'actionlint' | 'tofu' | 'checkov' | 'moto_server';

/**
 * Folder of the pinned tools: `.tools/bin`, or `PLATFORM_TOOLS_BIN` when set (e.g. to try another
 * OpenTofu build without replacing the shared one: a folder of symlinks, one per tool).
 */
export function toolsBin(): string {
  return process.env.PLATFORM_TOOLS_BIN ? path.resolve(process.env.PLATFORM_TOOLS_BIN) : path.join(repoRoot, '.tools', 'bin');
}

/**
 * Path of a pinned tool installed by `scripts/setup-tools.sh`.
 * Throws a message that says how to install it when it is missing, so a test never silently passes without it.
 */
export function toolPath(name: ToolName): string {
  const candidate = path.join(toolsBin(), name);
  if (!existsSync(candidate)) {
    throw new Error(`${name} is not installed in ${path.relative(repoRoot, toolsBin()) || toolsBin()}: run \`npm run setup-tools\` (scripts/setup-tools.sh) first`);
  }
  return candidate;
}

/**
 * Environment for the Go tools the suites start (OpenTofu, helm, helm-unittest, actionlint): garbage
 * collection only near a memory limit. Each run handles a few resources and exits within a second;
 * collecting along the way was a quarter of an OpenTofu run's CPU (~280 runs per `npx jest`).
 */
export const GO_TOOL_ENV: Readonly<Record<string, string>> = { GOGC: 'off', GOMEMLIMIT: '1GiB' };
