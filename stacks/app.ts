import { type EnvironmentConfig } from '@platform/config';
import { type App } from 'cdktf';
import { ServicesStack } from './services-stack';

/**
 * Composes the platform: the same stacks for every environment, driven only by its environment file.
 * Adding an environment is adding `envs/<env>.yaml`; nothing here changes.
 */
export function definePlatform(app: App, envs: readonly EnvironmentConfig[]): void {
  for (const env of envs) {
    new ServicesStack(app, env);
  }
}
