export * from './environment-stack';
export * from './synth';
