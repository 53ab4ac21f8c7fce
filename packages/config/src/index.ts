export * from './errors';
export * from './loader';
export * from './schema';
export * from './json-schema';
export * from './props';
export * from './rules/environments';
