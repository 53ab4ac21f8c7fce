export * from './types';
export * from './validate';
export * from './argo-cd';
export * from './external-secrets';
export * from './gitops-objects';
