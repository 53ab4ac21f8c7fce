import { type EnvironmentConfig } from '@platform/config';
import { applyPolicy } from '@platform/policy';
import { type App } from 'cdktf';
import { BootstrapStack, bootstrapTargets } from './bootstrap-stack';
import { PlatformStack } from './platform-stack';
import { ServicesStack } from './services-stack';

/**
 * Composes the platform: the same stacks for every environment, driven only by its environment file.
 * Adding an environment is adding `envs/<env>.yaml`; nothing here changes.
 * Every stack passes through the policy gate before anything is written.
 */
export function definePlatform(app: App, envs: readonly EnvironmentConfig[]): void {
  for (const env of envs) {
    new ServicesStack(app, env);
    new PlatformStack(app, env);
  }
  // One per state bucket: creates what the stacks' S3 backends point at (docs/bootstrap.md).
  for (const target of bootstrapTargets(envs)) new BootstrapStack(app, target);
  // The policy gate (packages/policy): every stack is checked at synth; violations fail it.
  applyPolicy(app);
}
