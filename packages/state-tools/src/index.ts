export * from './state-buckets';
