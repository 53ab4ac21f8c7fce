export * from './types';
export * from './validate';
export * from './argo-cd';
export * from './external-secrets';
export * from './secret-store-role';
export * from './gitops-objects';
