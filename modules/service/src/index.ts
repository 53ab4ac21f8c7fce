export * from './service-module';
