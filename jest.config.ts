/** @jest-config-loader esbuild-register */
import type { Config } from 'jest';

// TypeScript is transpiled by SWC (no type-checking here: `npm run lint` runs `tsc --noEmit`).
const config: Config = {
  testEnvironment: 'node',
  roots: ['<rootDir>/packages', '<rootDir>/modules', '<rootDir>/stacks', '<rootDir>/charts'],
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.ts$': ['@swc/jest', { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'commonjs' } }],
  },
  setupFilesAfterEnv: ['<rootDir>/packages/testing/src/setup.ts'],
  modulePathIgnorePatterns: ['<rootDir>/cdktf.out', '<rootDir>/.tools'],
  snapshotFormat: { escapeString: false, printBasicPrototype: false },
  // Integration suites start real binaries (helm, OpenTofu, moto); keep their wall time visible.
  slowTestThreshold: 10,
  testTimeout: 30_000,
};

export default config;
