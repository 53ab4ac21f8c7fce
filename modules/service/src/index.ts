export * from './service-module';
export * from './environment-key';
