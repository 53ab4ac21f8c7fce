import { Listr } from 'listr2';

/** `tty`: a live task list (listr2); `plain`: one line per event, for CI logs and pipes. */
export type ProgressMode = 'tty' | 'plain';

/**
 * Live display only for a person at a terminal: stdout is a TTY and `CI` is not set (GitHub Actions
 * and most CI systems set `CI=true`; some allocate a pseudo-terminal, where redraws make a mess of logs).
 */
export function progressMode(stream: { readonly isTTY?: boolean } = process.stdout, env: NodeJS.ProcessEnv = process.env): ProgressMode {
  const ci = env.CI !== undefined && env.CI !== '' && env.CI !== 'false' && env.CI !== '0';
  return stream.isTTY === true && !ci ? 'tty' : 'plain';
}

/** Reports on one stack while it runs. */
export interface StackProgress {
  /** The step now running, e.g. `init`, `plan`, `show`. */
  step(text: string): void;
  /** The stack finished; `ok` false marks it failed. */
  finish(ok: boolean, summary: string): void;
}

export interface Progress {
  /** Marks a stack as started (called by the pool when a slot frees up). */
  start(stack: string): StackProgress;
  /** Waits for the display to settle; call after every stack has finished. */
  close(): Promise<void>;
}

export interface ProgressOptions {
  readonly mode: ProgressMode;
  /** Where plain lines go. @default - stderr */
  readonly write?: (line: string) => void;
}

/** A progress display for a known list of stacks. */
export function createProgress(stacks: readonly string[], options: ProgressOptions): Progress {
  return options.mode === 'tty' ? listrProgress(stacks) : plainProgress(options.write ?? ((l) => process.stderr.write(`${l}\n`)));
}

function plainProgress(write: (line: string) => void): Progress {
  return {
    start(stack) {
      const started = Date.now();
      return {
        step: (text) => write(`${stack}: ${text}…`),
        finish: (ok, summary) => write(`${stack}: ${ok ? 'done' : 'FAILED'} — ${summary} (${seconds(Date.now() - started)})`),
      };
    },
    close: async () => undefined,
  };
}

interface Deferred<T> {
  readonly promise: Promise<T>;
  resolve(value: T): void;
}

function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

interface Entry {
  readonly finished: Deferred<{ ok: boolean; summary: string }>;
  onStep?: (text: string) => void;
  pendingStep?: string;
  /** When the pool started the stack (listr starts every task at once; waiting is not running). */
  startedAt?: number;
}

/** listr2 draws the list; the pool (not listr) decides what runs, so the bound is the same in both modes. */
function listrProgress(stacks: readonly string[]): Progress {
  const entries = new Map<string, Entry>(stacks.map((s) => [s, { finished: deferred() }]));
  const listr = new Listr(
    stacks.map((stack) => ({
      title: stack,
      task: async (_ctx: unknown, task: { output: string; title: string }) => {
        const entry = entries.get(stack)!;
        task.output = entry.pendingStep ?? 'waiting for a free slot';
        entry.onStep = (text) => (task.output = text);
        const result = await entry.finished.promise;
        const took = seconds(Date.now() - (entry.startedAt ?? Date.now()));
        // A failure's summary is shown once, as listr's error line under the title.
        task.title = result.ok ? `${stack}: ${result.summary} (${took})` : `${stack} (${took})`;
        if (!result.ok) throw new Error(result.summary);
      },
    })),
    { concurrent: true, exitOnError: false, rendererOptions: { collapseErrors: false } },
  );
  const running = listr.run().catch(() => undefined);
  return {
    start(stack) {
      const entry = entries.get(stack);
      if (!entry) throw new Error(`progress: unknown stack ${stack}`);
      entry.startedAt = Date.now();
      entry.pendingStep = 'starting';
      entry.onStep?.('starting');
      return {
        step: (text) => (entry.onStep ? entry.onStep(text) : (entry.pendingStep = text)),
        finish: (ok, summary) => entry.finished.resolve({ ok, summary }),
      };
    },
    close: async () => {
      await running;
    },
  };
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}
