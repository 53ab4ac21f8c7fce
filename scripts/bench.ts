// `npm run bench`: how fast synth and affected are, each figure against its target (PASS/MISS).
// A report, not a test: it always exits 0. Every figure is a fresh process, as a developer or CI runs it:
//   1. `npm run -s synth` on envs/ against the stock way on the same stacks (barrel provider imports,
//      `cdktf synth` running scripts/bench-stock-main.ts through ts-node);
//   2. a generated 50 environments × 20 services (150 stacks, unique accounts, zones, clusters and buckets,
//      promotion waves 1–6): synth wall time and peak RSS;
//   3. `platform affected` for a change to one of those 50 environments.
// BENCH_RUNS (default 3) samples per figure, median reported; BENCH_STOCK=0 skips the slow stock run.
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import * as path from 'node:path';
import { loadEnvironments } from '@platform/config';
import { parse, stringify } from 'yaml';

const root = path.resolve(__dirname, '..');
const BIN = path.join(root, 'packages/cli/bin/platform.cjs');
const RSS_PROBE = path.join(__dirname, 'bench-rss.cjs');
const runs = Math.max(1, Number(process.env.BENCH_RUNS ?? 3));
const GEN_ENVS = 50;
const GEN_SERVICES = 20;
const MAX_WAVES = 6;

interface Run {
  readonly ms: number;
  readonly rssMiB: number;
  readonly status: number | null;
  readonly output: string;
}

/** Runs a command to completion; wall time from spawn to exit, peak RSS as reported by the probe (node children). */
function run(cmd: string, args: readonly string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Run {
  const started = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { cwd: options.cwd ?? root, env: { ...process.env, ...options.env }, encoding: 'utf8', maxBuffer: 64 << 20 });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  let rssKiB = NaN;
  if (options.env?.BENCH_RSS_FILE && existsSync(options.env.BENCH_RSS_FILE)) {
    // Every node process of the run (a synth of many environments runs in two at once): their sum.
    rssKiB = readFileSync(options.env.BENCH_RSS_FILE, 'utf8').trim().split('\n').reduce((n, line) => n + Number(line.split(' ')[1]), 0);
    rmSync(options.env.BENCH_RSS_FILE);
  }
  return { ms, rssMiB: rssKiB / 1024, status: r.status, output: `${r.stdout ?? ''}${r.stderr ?? ''}` };
}

function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function sample(label: string, times: number, fn: () => Run): Run[] {
  const out: Run[] = [];
  for (let i = 0; i < times; i++) {
    const r = fn();
    if (r.status !== 0) throw new Error(`${label} failed (exit ${r.status}):\n${r.output.slice(-3000)}`);
    out.push(r);
  }
  return out;
}

const results: { figure: string; value: string; target: string; pass: boolean | undefined; note?: string }[] = [];
function report(figure: string, value: string, target: string, pass: boolean | undefined, note?: string): void {
  results.push({ figure, value, target, pass, note });
  console.log(`  ${figure.padEnd(52)} ${value.padStart(10)}   target ${target.padEnd(10)} ${pass === undefined ? 'n/a ' : pass ? 'PASS' : 'MISS'}${note ? `  (${note})` : ''}`);
}
const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

/** ts-node as `cdktf init` projects use it; tsx (faster than ts-node, so the ratio is understated) when it is not installed. */
function stockRunner(): { app: string; label: string } {
  const found = spawnSync('sh', ['-c', 'command -v ts-node'], { encoding: 'utf8' }).stdout.trim();
  let local = '';
  try {
    local = require.resolve('ts-node/dist/bin.js', { paths: [root] });
  } catch {
    local = '';
  }
  if (local) return { app: `node ${local} scripts/bench-stock-main.ts`, label: 'ts-node' };
  if (found) return { app: `${found} scripts/bench-stock-main.ts`, label: 'ts-node' };
  return { app: `node ${require.resolve('tsx/cli', { paths: [root] })} scripts/bench-stock-main.ts`, label: 'tsx: ts-node is not installed, so the stock figure is understated' };
}

/** envs/ for `count` environments with `services` services each: every account, zone, cluster and bucket unique. */
function generateEnvs(dir: string, count: number, services: number, withPromotion: boolean): string[] {
  mkdirSync(dir, { recursive: true });
  copyFileSync(path.join(root, 'envs', '_base.yaml'), path.join(dir, '_base.yaml'));
  const template = loadEnvironments(path.join(root, 'envs')).find((e) => e.tier !== 'production') ?? loadEnvironments(path.join(root, 'envs'))[0]!;
  const raw = parse(readFileSync(path.join(root, template.file), 'utf8')) as Record<string, unknown>;
  const names: string[] = [];
  for (let i = 1; i <= count; i++) {
    const name = `gen${String(i).padStart(2, '0')}`;
    const n = String(i).padStart(2, '0');
    const account = `5${String(i).padStart(11, '0')}`;
    const zone = `${name}.bench.example.net`;
    const region = (raw.aws as { region: string }).region;
    const env: Record<string, unknown> = {
      ...raw,
      aws: { ...(raw.aws as object), accountId: account },
      dns: { ...(raw.dns as object), zoneName: zone, zoneId: `Z0GEN${n}${'0'.repeat(15)}` },
      ingress: { ...(raw.ingress as object), dnsName: `k8s-ingress-${name}-0123456789.${region}.elb.amazonaws.com` },
      cluster: { name: `platform-${name}`, oidcIssuer: `oidc.eks.${region}.amazonaws.com/id/0GEN${n}${'0'.repeat(26)}` },
      state: { ...(raw.state as object), bucket: `bench-tfstate-${account}-${region}` },
      services: Array.from({ length: services }, (_, s) => ({ name: `svc-${String(s).padStart(2, '0')}`, hostname: `svc-${s}.${zone}` })),
    };
    if (withPromotion) env.promotion = { wave: 1 + Math.floor(((i - 1) * MAX_WAVES) / count) };
    writeFileSync(path.join(dir, `${name}.yaml`), stringify(env));
    names.push(name);
  }
  return names;
}

/**
 * charts/service needs values-<env>.yaml for every environment (stacks/platform-stack.ts): the generated
 * environments borrow the template's for the run, and the files are removed afterwards (also on Ctrl-C).
 */
function borrowChartValues(names: readonly string[], chartDirs: readonly string[]): () => void {
  const template = loadEnvironments(path.join(root, 'envs')).find((e) => e.tier !== 'production')!.name;
  const created: string[] = [];
  for (const dir of chartDirs) {
    for (const name of names) {
      const file = path.join(dir, `values-${name}.yaml`);
      if (existsSync(file)) continue;
      copyFileSync(path.join(dir, `values-${template}.yaml`), file);
      created.push(file);
    }
  }
  const cleanup = () => {
    for (const f of created.splice(0)) rmSync(f, { force: true });
  };
  for (const s of ['SIGINT', 'SIGTERM'] as const)
    process.once(s, () => {
      cleanup();
      process.exit(130);
    });
  return cleanup;
}

const git = (cwd: string, ...args: string[]) =>
  execFileSync('git', args, { cwd, encoding: 'utf8', env: { ...process.env, GIT_AUTHOR_NAME: 'bench', GIT_AUTHOR_EMAIL: 'bench@localhost', GIT_COMMITTER_NAME: 'bench', GIT_COMMITTER_EMAIL: 'bench@localhost' } });

const work = mkdtempSync(path.join(tmpdir(), 'platform-bench-'));
let restoreCharts = () => undefined as void;
try {
  console.log(`npm run bench — ${runs} run(s) per figure (median), each a fresh process; node ${process.version}, ${cpus().length} cores`);
  console.log('(wall times depend on what else the machine is doing: compare figures taken together)\n');

  // 1. npm run -s synth against the stock way, same stacks.
  console.log('synth of envs/, end to end:');
  const ours = sample('npm run -s synth', runs, () => run('npm', ['run', '-s', 'synth', '--', '-q', '--outdir', path.join(work, 'ours')]));
  const oursMs = median(ours.map((r) => r.ms));
  report('npm run -s synth', seconds(oursMs), '', undefined);
  if (process.env.BENCH_STOCK !== '0') {
    const stock = stockRunner();
    const stockRun = sample('stock synth', 1, () =>
      run(process.execPath, [require.resolve('cdktf-cli/bundle/bin/cdktf', { paths: [root] }), 'synth', '--app', stock.app, '--output', path.join(work, 'stock')], {
        env: { CHECKPOINT_DISABLE: '1', CI: '1' },
      }),
    );
    const stockMs = median(stockRun.map((r) => r.ms));
    report(`stock: barrel imports + cdktf synth (${stock.label.split(':')[0]})`, seconds(stockMs), '', undefined, stock.label.includes(':') ? stock.label.split(': ')[1] : undefined);
    const ratio = stockMs / oursMs;
    report('speed-up over the stock way', `${ratio.toFixed(1)}×`, '≥ 15×', ratio >= 15);
    if (stock.label === 'ts-node') {
      // ts-node as cdktf init sets it up type-checks every run; without the check the stock way is faster.
      const fast = sample('stock synth (transpile-only)', 1, () =>
        run(process.execPath, [require.resolve('cdktf-cli/bundle/bin/cdktf', { paths: [root] }), 'synth', '--app', stock.app.replace(/ scripts\//, ' --transpile-only scripts/'), '--output', path.join(work, 'stock-fast')], {
          env: { CHECKPOINT_DISABLE: '1', CI: '1' },
        }),
      );
      const fastMs = median(fast.map((r) => r.ms));
      report('stock with ts-node --transpile-only', seconds(fastMs), '', undefined);
      report('speed-up over it (for information)', `${(fastMs / oursMs).toFixed(1)}×`, '', undefined);
    }
  }

  // 2. 50 environments × 20 services.
  const envDir = path.join(work, 'envs');
  const names = generateEnvs(envDir, GEN_ENVS, GEN_SERVICES, true);
  restoreCharts = borrowChartValues(names, [path.join(root, 'charts', 'service')]);
  loadEnvironments(envDir);
  console.log(`\ngenerated: ${GEN_ENVS} environments × ${GEN_SERVICES} services:`);
  const probe = { NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --require ${RSS_PROBE}`.trim(), BENCH_RSS_FILE: path.join(work, 'rss.txt') };
  const big = sample('generated synth', runs, () => run(process.execPath, [BIN, 'synth', '-q', '--env-dir', envDir, '--outdir', path.join(work, 'big')], { env: probe }));
  const stacks = (JSON.parse(readFileSync(path.join(work, 'big', 'manifest.json'), 'utf8')) as { stacks: object }).stacks;
  const bigMs = median(big.map((r) => r.ms));
  const bigRss = Math.max(...big.map((r) => r.rssMiB));
  report(`synth, ${Object.keys(stacks).length} stacks`, seconds(bigMs), '≤ 3 s', bigMs <= 3000);
  report('synth peak RSS (all its processes, summed)', `${bigRss.toFixed(0)} MiB`, '≤ 400 MiB', bigRss <= 400);

  // 3. platform affected after a change to one environment, in a temporary git repository.
  const repo = path.join(work, 'repo');
  const files = git(root, 'ls-files', '-co', '--exclude-standard', '-z').split('\0').filter((f) => f && !f.startsWith('envs/') && existsSync(path.join(root, f)));
  for (const f of files) cpSync(path.join(root, f), path.join(repo, f), { recursive: true });
  cpSync(envDir, path.join(repo, 'envs'), { recursive: true });
  for (const name of names) copyFileSync(path.join(root, 'charts', 'service', `values-${name}.yaml`), path.join(repo, 'charts', 'service', `values-${name}.yaml`));
  symlinkSync(path.join(root, 'node_modules'), path.join(repo, 'node_modules'));
  git(repo, 'init', '-q');
  git(repo, 'add', '-A');
  git(repo, 'commit', '-qm', 'base');
  const changed = path.join(repo, 'envs', `${names[Math.floor(names.length / 2)]}.yaml`);
  const doc = parse(readFileSync(changed, 'utf8')) as { services: { name: string; hostname: string }[]; dns: { zoneName: string } };
  doc.services.push({ name: 'svc-new', hostname: `svc-new.${doc.dns.zoneName}` });
  writeFileSync(changed, stringify(doc));
  // Only environment files changed: affected synthesizes just the changed environments (and those sharing
  // an account or state bucket with them) on both sides.
  const affected = sample('platform affected', runs, () => run(process.execPath, [BIN, 'affected', '--base', 'HEAD', '--json'], { cwd: repo }));
  const report1 = JSON.parse(affected[0]!.output.slice(affected[0]!.output.indexOf('{'))) as { affected: string[] };
  const affectedMs = median(affected.map((r) => r.ms));
  report(`platform affected, one environment changed (${report1.affected.length} stacks)`, seconds(affectedMs), '≤ 3 s', affectedMs <= 3000);

  const missed = results.filter((r) => r.pass === false);
  console.log(`\n${missed.length === 0 ? 'every target met' : `${missed.length} target(s) missed: ${missed.map((m) => m.figure).join('; ')}`}`);
} catch (err) {
  console.log(`\nbench stopped: ${err instanceof Error ? err.message : String(err)}`);
} finally {
  restoreCharts();
  rmSync(work, { recursive: true, force: true });
}
