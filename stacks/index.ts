export * from './app';
export * from './services-stack';
export * from './bootstrap-stack';
export * from './platform-stack';
