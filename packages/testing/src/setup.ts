// Registered in jest.config.ts (setupFilesAfterEnv): makes the stack matchers available to every test.
import { stackMatchers } from './matchers';

expect.extend(stackMatchers);
