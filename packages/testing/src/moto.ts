import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { toolPath } from './tools';

/** A running moto server (S3, DynamoDB, STS, … on one port), started by `startMoto`. */
export interface MotoServer {
  /** Base URL, e.g. `http://127.0.0.1:41234`: the endpoint for every service. */
  readonly endpoint: string;
  readonly port: number;
  /** Process id of the server. */
  readonly pid: number;
  /** Environment for an AWS SDK or CLI pointed at this server (static test credentials). */
  env(region?: string): Record<string, string>;
  /** Forgets every bucket, table and object (moto's `/moto-api/reset`). */
  reset(): Promise<void>;
  /** Stops the server and waits for it to exit. Safe to call twice. */
  stop(): Promise<void>;
  /** The server's recent output, for failure messages. */
  log(): string;
}

export interface StartMotoOptions {
  /** How long to wait for the server to answer. @default 30 s */
  readonly readyTimeoutMs?: number;
}

const running = new Set<ChildProcess>();
let exitHookInstalled = false;

/**
 * Starts `moto_server` (from `.tools/bin`, see scripts/setup-tools.sh) on 127.0.0.1 on a free port and
 * resolves once it answers. Throws `toolPath`'s install hint when moto is missing, so a test never
 * silently skips. Call `stop()` in `afterAll`; a process-exit hook also kills it if a test run dies.
 */
export async function startMoto(options: StartMotoOptions = {}): Promise<MotoServer> {
  const bin = toolPath('moto_server');
  const deadline = Date.now() + (options.readyTimeoutMs ?? 30_000);
  let lastError = '';
  // The free port can be taken between probing and binding: try a few.
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const server = launch(bin, port);
    const ready = await waitUntilReady(server, deadline);
    if (ready) return server;
    lastError = server.log();
    await server.stop();
    if (Date.now() > deadline) break;
  }
  throw new Error(`moto_server did not start on 127.0.0.1 — its output:\n${lastError}`);
}

function launch(bin: string, port: number): MotoServer {
  const child = spawn(bin, ['-H', '127.0.0.1', '-p', String(port)], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp', PYTHONUNBUFFERED: '1' },
  });
  running.add(child);
  installExitHook();
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString('utf8')).slice(-8000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.once('exit', () => running.delete(child));
  const endpoint = `http://127.0.0.1:${port}`;

  return {
    endpoint,
    port,
    pid: child.pid ?? -1,
    env: (region = 'eu-west-1') => ({
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      AWS_REGION: region,
      AWS_DEFAULT_REGION: region,
      AWS_ENDPOINT_URL: endpoint,
      AWS_EC2_METADATA_DISABLED: 'true',
    }),
    reset: async () => {
      const res = await fetch(`${endpoint}/moto-api/reset`, { method: 'POST' });
      if (!res.ok) throw new Error(`moto reset failed: HTTP ${res.status}`);
    },
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    },
    log: () => output,
  };
}

async function waitUntilReady(server: MotoServer, deadline: number): Promise<boolean> {
  while (Date.now() < deadline) {
    try {
      const res = await fetch(`${server.endpoint}/moto-api/`, { signal: AbortSignal.timeout(2_000) });
      if (res.ok) return true;
    } catch {
      // not listening yet
    }
    if (/Address already in use|Traceback/.test(server.log())) return false;
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}

/** A TCP port nothing listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.unref();
    probe.on('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() =>
        address && typeof address === 'object' ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const child of running) child.kill('SIGKILL');
  });
}
