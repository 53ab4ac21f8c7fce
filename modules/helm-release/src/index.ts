export * from './types';
export * from './values';
export * from './secrets';
export * from './helm-release';
export * from './charts/argo-cd';
export * from './charts/external-secrets';
export * from './charts/platform-objects';
export * from './charts/reloader';
