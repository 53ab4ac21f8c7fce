import { type EnvironmentConfig } from '@platform/config';
import { type App } from 'cdktf';
import { BootstrapStack, bootstrapTargets } from './bootstrap-stack';
import { PlatformStack } from './platform-stack';
import { ServicesStack } from './services-stack';

/**
 * Composes the platform: the same stacks for every environment, driven only by its environment file.
 * Adding an environment is adding `envs/<env>.yaml`; nothing here changes.
 * The policy gate (packages/policy) checks every stack's output before synth replaces cdktf.out.
 */
export function definePlatform(app: App, envs: readonly EnvironmentConfig[]): void {
  for (const env of envs) {
    new ServicesStack(app, env);
    new PlatformStack(app, env);
  }
  // One per state bucket: creates what the stacks' S3 backends point at (docs/bootstrap.md).
  for (const target of bootstrapTargets(envs)) new BootstrapStack(app, target);
}
