import { type ChildProcess } from 'node:child_process';
import { openSync } from 'node:fs';

/**
 * The global object of the process itself. Under jest every test file runs in a sandbox with its own
 * globals, its own `Error` and its own `process` (whose `exit` event never fires); state kept here outlives
 * the test file, its `process` is the real one, and its `Error` carries the formatter jest installs.
 * Reached through a function Node created there (a built-in the suite setup does not wrap).
 */
export function processGlobal(): { process: NodeJS.Process; Error: ErrorConstructor } & Record<symbol, unknown> {
  const ProcessFunction = Object.getPrototypeOf(openSync).constructor as FunctionConstructor;
  return new ProcessFunction('return globalThis')() as { process: NodeJS.Process; Error: ErrorConstructor } & Record<symbol, unknown>;
}

/** Whether a child process has neither exited nor been ended by a signal. */
export function isRunning(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null;
}
