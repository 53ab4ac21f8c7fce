export * from './app';
export * from './services-stack';
