export * from './ci-identity';
export * from './permissions';
export * from './props';
