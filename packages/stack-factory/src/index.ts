export * from './environment-stack';
export * from './kubernetes-providers';
export * from './synth';
export * from './irsa';
