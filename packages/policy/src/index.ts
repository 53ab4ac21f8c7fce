export * from './aspect';
export * from './pack';
export * from './secrets';
export * from './suppressions';
export * from './types';
export { REQUIRED_TAG_KEYS } from './rules/tags';
export { EXACT_VERSION } from './rules/kubernetes';
export { STATEFUL_TYPES } from './rules/workloads';
export { WILDCARD_RESOURCE_ALLOW_LIST } from './rules/iam';
