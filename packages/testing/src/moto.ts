import { spawn, type ChildProcess } from 'node:child_process';
import { createServer as createHttpServer, request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { closeSync, copyFileSync, mkdtempSync, openSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { isRunning, processGlobal } from './process-global';
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
  /**
   * Lend this process's shared server (see `startMoto`) when it is free, instead of starting one.
   * `false` for a suite that needs a server of its own. @default true
   */
  readonly shared?: boolean;
}

/** The launcher that serializes moto's request handling. */
const SERIAL_SERVER = path.join(__dirname, 'moto_serial.py');

const running = new Set<ChildProcess>();
/** Each running server's log reader, for `runningMotoErrors`. */
const logReaders = new Map<ChildProcess, () => string>();
const logDirs = new Set<string>();
let exitHookInstalled = false;

/** This process's shared server: started by the first test file that asks, lent to the next ones. */
interface SharedServer {
  readonly server: MotoServer;
  readonly child: ChildProcess;
  leased: boolean;
}
const SHARED = Symbol.for('platform.testing.sharedMoto');

/**
 * A moto server (the `moto_server` of `.tools/bin`, see scripts/setup-tools.sh, through `moto_serial.py`,
 * which applies one request at a time) on 127.0.0.1, answering. Throws `toolPath`'s install hint when moto
 * is missing, so a test never silently skips. Call `stop()` in `afterAll`.
 *
 * One server per process is shared by the test files that run in it one after the other (a jest worker
 * runs several): each gets it empty (moto's reset, every bucket, table and object forgotten) and gives it
 * back with `stop()`. Starting moto costs about a second and half a second of CPU, once per state suite
 * before. The server ends with the process (it also watches its stdin: a worker killed outright takes it
 * along). A second server at once in the same file, or `{ shared: false }`, starts a server of its own,
 * which `stop()` ends.
 */
export async function startMoto(options: StartMotoOptions = {}): Promise<MotoServer> {
  const global = processGlobal();
  const useShared = options.shared !== false;
  const shared = useShared ? (global[SHARED] as SharedServer | undefined) : undefined;
  if (shared && !shared.leased && isRunning(shared.child)) {
    shared.leased = true;
    try {
      await shared.server.reset();
      return lend(shared);
    } catch {
      shared.leased = false;
      delete global[SHARED];
      await shared.server.stop();
    }
  }
  const own = !useShared || global[SHARED] !== undefined;
  const bin = toolPath('moto_server');
  const deadline = Date.now() + (options.readyTimeoutMs ?? 30_000);
  let lastError = '';
  // The free port can be taken between probing and binding: try a few.
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const { server, child } = launch(bin, port, own ? undefined : global.process);
    const ready = await waitUntilReady(server, deadline);
    if (ready) {
      if (own) return server;
      const entry: SharedServer = { server, child, leased: true };
      global[SHARED] = entry;
      return lend(entry);
    }
    lastError = server.log();
    await server.stop();
    if (Date.now() > deadline) break;
  }
  throw new Error(`moto_server did not start on 127.0.0.1 — its output:\n${lastError}`);
}

/** The shared server as one test file sees it: its log from the lending on, and `stop()` gives it back. */
function lend(shared: SharedServer): MotoServer {
  const { server } = shared;
  const from = server.log().length;
  let returned = false;
  const log = () => (returned ? '' : server.log().slice(from));
  logReaders.set(shared.child, log);
  return {
    ...server,
    log,
    stop: async () => {
      if (returned) return;
      returned = true;
      logReaders.delete(shared.child);
      shared.leased = false;
    },
  };
}

/**
 * Starts a server. `owner`: the real process of a shared server, which outlives the test file: its log is
 * kept in that process's temporary folder (a test file's own is removed with it) and removed at its exit.
 */
function launch(bin: string, port: number, owner?: NodeJS.Process): { server: MotoServer; child: ChildProcess } {
  // moto logs every request line. It writes them into a file, not a pipe: a pipe fills whenever this
  // (jest) process is busy — a synchronous synth, a long assertion — and then every moto thread blocks
  // inside its response, before the reply is sent, stalling all the engines talking to it at once.
  const logDir = mkdtempSync(path.join(owner ? owner.env.TMPDIR || '/tmp' : tmpdir(), 'moto-log-'));
  logDirs.add(logDir);
  const logFile = path.join(logDir, 'moto.log');
  const fd = openSync(logFile, 'a');
  // moto's own app and request handler, one request applied at a time (see moto_serial.py: moto's
  // conditional writes are not atomic across its request threads; AWS's are).
  const python = path.join(path.dirname(realpathSync(bin)), 'python');
  // stdin a pipe the server watches: it exits when this process ends, however it ends.
  const child = spawn(python, [SERIAL_SERVER, '-H', '127.0.0.1', '-p', String(port), '--exit-with-stdin'], {
    stdio: ['pipe', fd, fd],
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp', PYTHONUNBUFFERED: '1' },
  });
  closeSync(fd);
  running.add(child);
  if (owner) {
    // Nothing of the shared server keeps the process alive; it goes with the process.
    child.unref();
    (child.stdin as unknown as { unref?: () => void } | null)?.unref?.();
    owner.once('exit', () => {
      child.kill('SIGKILL');
      rmSync(logDir, { recursive: true, force: true });
    });
  } else {
    installExitHook();
  }
  const output = () => {
    try {
      const text = readFileSync(logFile, 'utf8');
      return text.slice(-8000);
    } catch {
      return '';
    }
  };
  logReaders.set(child, output);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.once('exit', () => {
    running.delete(child);
    logReaders.delete(child);
    // scripts/stress-engine.sh -k keeps every server's log beside the engines' debug logs.
    if (process.env.PLATFORM_MOTO_LOG_DIR) {
      try {
        copyFileSync(logFile, path.join(process.env.PLATFORM_MOTO_LOG_DIR, `moto-${port}-${process.pid}.log`));
      } catch {
        // the folder is gone (its run was discarded): nothing to keep
      }
    }
    rmSync(logDir, { recursive: true, force: true });
    logDirs.delete(logDir);
  });
  const endpoint = `http://127.0.0.1:${port}`;

  const server: MotoServer = {
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
    log: output,
  };
  return { server, child };
}

/**
 * A server-side failure in moto's log: a 5xx reply, werkzeug's "Error on request" and its traceback, or a
 * connection that broke around a request (moto_serial.py logs those).
 */
const MOTO_ERROR = /" 5\d\d |Error on request|ConnectionDropped|UnreadAtClose|Traceback|^\s+File "|^\w*(Error|Exception)\b/;

/**
 * The error lines (5xx replies, tracebacks) in the logs of the moto servers this process runs, at most
 * the last 60; empty when there are none. Added to `tofuOk`'s failure message: a failed lock or state
 * write then shows whether moto answered it with an error (which the engine's SDK retries).
 */
export function runningMotoErrors(): string {
  const lines = [...logReaders.values()].flatMap((read) => read().split('\n').filter((l) => MOTO_ERROR.test(l)));
  return lines.slice(-60).join('\n');
}

async function waitUntilReady(server: MotoServer, deadline: number): Promise<boolean> {
  // Only this process's own "listening" line proves the port is its: the free port can be taken by another
  // suite's server between the probe and the bind, and that server would answer the readiness check.
  const listening = `moto_serial ${server.pid} listening on 127.0.0.1:${server.port}`;
  while (Date.now() < deadline) {
    const log = server.log();
    if (/Address already in use|in use by another program|Traceback/.test(log)) return false;
    if (log.includes(listening)) {
      try {
        const res = await fetch(`${server.endpoint}/moto-api/`, { signal: AbortSignal.timeout(2_000) });
        if (res.ok) return true;
      } catch {
        // not answering yet
      }
    }
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
  // The real process's exit: under jest, the test file's `process` never emits it.
  processGlobal().process.once('exit', () => {
    for (const child of running) child.kill('SIGKILL');
    for (const dir of logDirs) rmSync(dir, { recursive: true, force: true });
  });
}

/** One request that went through a `FaultProxy`. */
export interface ProxiedRequest {
  readonly method: string;
  readonly url: string;
  /** `X-Amz-Target` (DynamoDB operations, e.g. `DynamoDB_20120810.PutItem`), else undefined. */
  readonly target?: string;
  /** The SDK's `amz-sdk-request` header, e.g. `attempt=2; max=5`. */
  readonly attempt?: string;
  /** What the client got: the upstream status, or the injected fault. */
  readonly outcome: number | 'reply-dropped' | 'reply-delayed';
}

/** Which requests a fault applies to. */
export type RequestMatcher = (req: {
  readonly method: string;
  readonly url: string;
  readonly target?: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}) => boolean;

/** A real HTTP proxy on 127.0.0.1 in front of moto that can lose or delay replies on purpose. */
export interface FaultProxy {
  /** Base URL to give the engine instead of moto's. */
  readonly endpoint: string;
  /**
   * The next `times` requests that `match` are forwarded to moto — so they take effect — and then their
   * reply is lost: the client's connection is reset instead (what a network error after the write does).
   */
  dropReply(match: RequestMatcher, times?: number): void;
  /** The next `times` requests that `match` get their (complete) reply only after `ms`. */
  delayReply(match: RequestMatcher, ms: number, times?: number): void;
  /** Every request so far, in arrival order. */
  requests(): readonly ProxiedRequest[];
  stop(): Promise<void>;
}

interface Fault {
  readonly match: RequestMatcher;
  readonly kind: 'drop' | 'delay';
  readonly ms: number;
  left: number;
}

/** Starts a `FaultProxy` forwarding to `upstream` (a moto endpoint). */
export async function startFaultProxy(upstream: string): Promise<FaultProxy> {
  const target = new URL(upstream);
  const faults: Fault[] = [];
  const seen: ProxiedRequest[] = [];
  const server = createHttpServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const amzTarget = typeof req.headers['x-amz-target'] === 'string' ? req.headers['x-amz-target'] : undefined;
      const info = { method: req.method ?? 'GET', url: req.url ?? '/', ...(amzTarget ? { target: amzTarget } : {}), headers: req.headers, body: body.toString('utf8') };
      const fault = faults.find((f) => f.left > 0 && f.match(info));
      if (fault) fault.left--;
      const upstreamReq = httpRequest(
        { host: target.hostname, port: target.port, method: info.method, path: info.url, headers: { ...req.headers, connection: 'close' } },
        (up) => {
          const reply: Buffer[] = [];
          up.on('data', (c: Buffer) => reply.push(c));
          up.on('end', () => {
            const record = (outcome: ProxiedRequest['outcome']) =>
              seen.push({
                method: info.method,
                url: info.url,
                ...(amzTarget ? { target: amzTarget } : {}),
                ...(typeof req.headers['amz-sdk-request'] === 'string' ? { attempt: req.headers['amz-sdk-request'] } : {}),
                outcome,
              });
            if (fault?.kind === 'drop') {
              // moto has applied the request; the client never hears so (a TCP reset, as after a network error).
              record('reply-dropped');
              req.socket.resetAndDestroy();
              return;
            }
            const send = () => {
              record(fault?.kind === 'delay' ? 'reply-delayed' : (up.statusCode ?? 502));
              const headers = { ...up.headers };
              delete headers['transfer-encoding'];
              headers['content-length'] = String(Buffer.concat(reply).length);
              res.writeHead(up.statusCode ?? 502, headers);
              res.end(Buffer.concat(reply));
            };
            if (fault?.kind === 'delay') setTimeout(send, fault.ms);
            else send();
          });
        },
      );
      upstreamReq.on('error', (err) => {
        res.writeHead(502);
        res.end(String(err));
      });
      upstreamReq.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (!address || typeof address !== 'object') throw new Error('fault proxy: no address');
  return {
    endpoint: `http://127.0.0.1:${address.port}`,
    dropReply: (match, times = 1) => void faults.push({ match, kind: 'drop', ms: 0, left: times }),
    delayReply: (match, ms, times = 1) => void faults.push({ match, kind: 'delay', ms, left: times }),
    requests: () => [...seen],
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
