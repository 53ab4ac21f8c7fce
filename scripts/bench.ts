// `npm run bench`: how fast synth is, on the real environments and on generated large ones.
// Each case runs in a fresh process (so import cost and peak memory are real), several times;
// it prints wall time (min / median) and peak RSS. A benchmark, not a test: it asserts nothing.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { parse, stringify } from 'yaml';

const root = path.resolve(__dirname, '..');
const runs = Number(process.env.BENCH_RUNS ?? 3);

interface Sample {
  readonly wallMs: number;
  readonly synthMs: number;
  readonly maxRssMiB: number;
  readonly stacks: number;
  readonly resources: number;
}

/** One synth in a child process: whole-process wall time, in-process synth time, peak RSS. */
function sample(envDir: string, outdir: string): Sample {
  const started = process.hrtime.bigint();
  const out = execFileSync(process.execPath, ['--import', 'tsx', path.join(__dirname, 'bench-case.ts'), envDir, outdir], { cwd: root, encoding: 'utf8' });
  const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
  return { wallMs, ...(JSON.parse(out) as Omit<Sample, 'wallMs'>) };
}

/** Writes envs/ with `perEnv` generated services in each of dev, staging and prod. */
function generateEnvs(dir: string, perEnv: number): string {
  const envDir = path.join(dir, `envs-${perEnv}`);
  mkdirSync(envDir, { recursive: true });
  writeFileSync(path.join(envDir, '_base.yaml'), readFileSync(path.join(root, 'envs', '_base.yaml')));
  for (const env of ['dev', 'staging', 'prod']) {
    const data = parse(readFileSync(path.join(root, 'envs', `${env}.yaml`), 'utf8')) as { dns: { zoneName: string }; services: unknown[] };
    data.services = Array.from({ length: perEnv }, (_, i) => ({ name: `svc-${String(i).padStart(3, '0')}`, hostname: `svc-${i}.${data.dns.zoneName}` }));
    writeFileSync(path.join(envDir, `${env}.yaml`), stringify(data));
  }
  return envDir;
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

const work = mkdtempSync(path.join(tmpdir(), 'platform-bench-'));
try {
  const cases: [string, string][] = [['real environments (envs/)', path.join(root, 'envs')]];
  for (const n of [100, 200, 300]) cases.push([`generated: ${n} services x 3 envs`, generateEnvs(work, n)]);

  console.log(`synth benchmark — ${runs} runs per case, each in a fresh process (node ${process.version})\n`);
  console.log(['case'.padEnd(34), 'stacks', 'resources', 'wall min', 'wall med', 'synth med', 'peak RSS'].join('  '));
  const rows: { label: string; resources: number; synth: number }[] = [];
  for (const [label, envDir] of cases) {
    const samples = Array.from({ length: runs }, (_, i) => sample(envDir, path.join(work, `out-${i}`)));
    const s = samples[0];
    const wall = samples.map((x) => x.wallMs);
    const synth = median(samples.map((x) => x.synthMs));
    rows.push({ label, resources: s.resources, synth });
    console.log(
      [
        label.padEnd(34),
        String(s.stacks).padStart(6),
        String(s.resources).padStart(9),
        `${Math.min(...wall).toFixed(0)} ms`.padStart(8),
        `${median(wall).toFixed(0)} ms`.padStart(8),
        `${synth.toFixed(0)} ms`.padStart(9),
        `${Math.max(...samples.map((x) => x.maxRssMiB)).toFixed(0)} MiB`.padStart(8),
      ].join('  '),
    );
  }
  const generated = rows.slice(1);
  if (generated.length >= 2) {
    const perResource = generated.map((r) => (r.synth / r.resources).toFixed(2));
    console.log(`\nsynth time per resource (ms) for 100/200/300 services: ${perResource.join(' / ')} — roughly constant means linear growth`);
  }
  console.log('targets (2 cores): real environments well under 1 s of synth; 300 x 3 under 5 s wall');
} finally {
  rmSync(work, { recursive: true, force: true });
}
