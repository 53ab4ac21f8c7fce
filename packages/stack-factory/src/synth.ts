import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import { App } from 'cdktf';

export interface SynthesizedStack {
  /** Stack id, e.g. `dev-services`. */
  readonly id: string;
  /** Folder holding `cdk.tf.json`, relative to the output directory. */
  readonly dir: string;
  /** Number of resources (not data sources) in the stack. */
  readonly resources: number;
}

/**
 * Synthesizes into a temporary folder beside `outdir` and swaps it into place only when synthesis
 * (and `verify`, which sees the app and the fresh output, e.g. the policy gate) succeeded, so a failed
 * synth leaves the previous output exactly as it was.
 */
export function synthesizeAtomically(outdir: string, build: (app: App) => void, verify?: (app: App, staging: string) => void): SynthesizedStack[] {
  const target = path.resolve(outdir);
  const parent = path.dirname(target);
  mkdirSync(parent, { recursive: true });
  const staging = mkdtempSync(path.join(parent, '.cdktf-synth-'));
  try {
    // stackTraces off: construct creation stack traces would make the output machine-dependent.
    const app = new App({ outdir: staging, stackTraces: false });
    build(app);
    app.synth();
    verify?.(app, staging);
    const stacks = listStacks(staging);
    replaceDir(staging, target);
    return stacks;
  } catch (err) {
    rmSync(staging, { recursive: true, force: true });
    throw err;
  }
}

function replaceDir(fresh: string, target: string): void {
  const old = `${fresh}-previous`;
  const hadPrevious = existsSync(target);
  if (hadPrevious) renameSync(target, old);
  try {
    renameSync(fresh, target);
  } catch (err) {
    if (hadPrevious) renameSync(old, target);
    throw err;
  }
  if (hadPrevious) rmSync(old, { recursive: true, force: true });
}

function listStacks(outdir: string): SynthesizedStack[] {
  const manifest = JSON.parse(readFileSync(path.join(outdir, 'manifest.json'), 'utf8')) as {
    stacks: Record<string, { workingDirectory: string; synthesizedStackPath: string }>;
  };
  return Object.entries(manifest.stacks)
    .map(([id, stack]) => {
      const tf = JSON.parse(readFileSync(path.join(outdir, stack.synthesizedStackPath), 'utf8')) as {
        resource?: Record<string, Record<string, unknown>>;
      };
      const resources = Object.values(tf.resource ?? {}).reduce((n, byName) => n + Object.keys(byName).length, 0);
      return { id, dir: stack.workingDirectory, resources };
    })
    .sort((a, b) => a.id.localeCompare(b.id));
}
