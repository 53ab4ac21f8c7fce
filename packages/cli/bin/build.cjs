// Precompiles the `platform` CLI (its TypeScript and every library it loads) into one JavaScript file
// with esbuild, so a run loads one file instead of transpiling ~80 sources and resolving ~750 modules.
//   node packages/cli/bin/build.cjs          build (the root `prepare` script runs it after `npm ci`)
//   node packages/cli/bin/build.cjs --check  exit 0 when the build is fresh, 1 when stale or missing
// The build lives in node_modules/.cache/platform-cli/ (ignored by git, gone with node_modules) with a
// manifest of every project source it was built from (mtime and size) and of node_modules/.package-lock.json.
// bin/platform.cjs uses the build only when every one of them is unchanged, and rebuilds it otherwise:
// a stale build is never run.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..', '..', '..');
const OUT_DIR = path.join(ROOT, 'node_modules', '.cache', 'platform-cli');
const MANIFEST = path.join(OUT_DIR, 'manifest.json');
const ENTRY = 'packages/cli/src/program.ts';
/** Files outside the sources whose change makes the build stale. */
const ALSO_WATCHED = ['node_modules/.package-lock.json', 'packages/cli/bin/build.cjs', 'package.json'];

function fingerprint(rel, root = ROOT) {
  try {
    const st = fs.statSync(path.join(root, rel));
    return `${st.size}:${st.mtimeMs}`;
  } catch {
    return 'missing';
  }
}

/**
 * The bundle to run, or undefined when there is none or any input changed since it was built.
 * `root`/`outDir` are for tests.
 */
function freshBundle(root = ROOT, outDir = OUT_DIR) {
  let manifest;
  try {
    manifest = JSON.parse(fs.readFileSync(path.join(outDir, 'manifest.json'), 'utf8'));
  } catch {
    return undefined;
  }
  if (manifest.node !== process.version || manifest.root !== root) return undefined;
  for (const [rel, fp] of Object.entries(manifest.inputs)) if (fingerprint(rel, root) !== fp) return undefined;
  const bundle = path.join(outDir, manifest.bundle);
  return fs.existsSync(bundle) ? bundle : undefined;
}

/**
 * Replaces `__dirname`/`__filename` in project sources with their original values (relative to the
 * repository root at run time): the sources find charts and values files next to themselves.
 */
const keepDirname = {
  name: 'keep-dirname',
  setup(build) {
    build.onLoad({ filter: /\.ts$/ }, (args) => {
      if (args.path.includes(`${path.sep}node_modules${path.sep}`)) return undefined;
      let contents = fs.readFileSync(args.path, 'utf8');
      if (/\b__(dirname|filename)\b/.test(contents)) {
        const rel = path.relative(ROOT, args.path).split(path.sep).join('/');
        contents =
          `const __filename = require('node:path').join(__platformRoot, ${JSON.stringify(rel)});\n` +
          `const __dirname = require('node:path').dirname(__filename);\n${contents}`;
      }
      return { contents, loader: 'ts' };
    });
  },
};

/** Builds the bundle and its manifest; resolves to the bundle's path. Safe to run concurrently. */
async function build() {
  const esbuild = require('esbuild');
  fs.mkdirSync(OUT_DIR, { recursive: true });
  const id = `program-${process.pid}-${Date.now()}.cjs`;
  const outfile = path.join(OUT_DIR, id);
  const result = await esbuild.build({
    absWorkingDir: ROOT,
    entryPoints: [ENTRY],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: `node${process.versions.node.split('.')[0]}`,
    // No minification: names stay as written, except where two bundled modules' top-level names collide and
    // esbuild numbers one (four listr2 renderer classes and some functions; no code reads their names). Not
    // `keepNames`: it restores those by wrapping every function and class where it is defined, including the
    // functions cdktf defines inside its token resolver on every call — a quarter of a large synth's CPU
    // (150 stacks, one process: 5.7 s → 4.4 s without it, output byte-identical).
    keepNames: false,
    metafile: true,
    logLevel: 'silent',
    legalComments: 'none',
    banner: { js: `const __platformRoot = require('node:path').resolve(__dirname, '..', '..', '..');` },
    plugins: [keepDirname],
  });
  const sources = Object.keys(result.metafile.inputs).filter((p) => !p.includes('node_modules/'));
  const inputs = {};
  for (const rel of [...sources, ...ALSO_WATCHED].sort()) inputs[rel] = fingerprint(rel);
  const tmp = `${MANIFEST}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, `${JSON.stringify({ bundle: id, node: process.version, root: ROOT, inputs }, null, 1)}\n`);
  fs.renameSync(tmp, MANIFEST);
  // Older bundles: a running CLI has already loaded its own; keep the newest few for concurrent starts.
  const old = fs
    .readdirSync(OUT_DIR)
    .filter((f) => /^program-.*\.cjs$/.test(f) && f !== id)
    .map((f) => ({ f, t: fs.statSync(path.join(OUT_DIR, f)).mtimeMs }))
    .sort((a, b) => b.t - a.t)
    .slice(2);
  const doomed = new Set(old.map(({ f }) => f));
  for (const file of fs.readdirSync(OUT_DIR)) if (doomed.has(file.replace(/\.[a-z-]+\.v8cache$/, ''))) fs.rmSync(path.join(OUT_DIR, file), { force: true });
  return outfile;
}

module.exports = { build, fingerprint, freshBundle, ROOT, OUT_DIR };

if (require.main === module) {
  if (process.argv.includes('--check')) {
    process.exitCode = freshBundle() ? 0 : 1;
  } else {
    const started = Date.now();
    build().then(
      (file) => console.log(`platform CLI precompiled in ${Date.now() - started} ms: ${path.relative(ROOT, file)}`),
      (err) => {
        // Never fails an install: bin/platform.cjs falls back to running the sources through tsx.
        console.error(`platform CLI not precompiled (the CLI will run from sources): ${err.message}`);
      },
    );
  }
}
