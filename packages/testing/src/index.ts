export * from './deep-match';
export * from './matchers';
export * from './synth';
export * from './tools';
export * from './env-fixture';
export * from './moto';
export * from './process-global';
export * from './tofu';
