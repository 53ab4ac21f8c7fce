#!/usr/bin/env bash
# Runs the real-engine suites (OpenTofu + moto) N times beside busy CPU loops and reports runs, failures
# and the slowest run: the proof that they are deterministic under load. Not part of `npm test`.
#
# Usage: scripts/stress-engine.sh [-n RUNS] [-l BUSY_LOOPS] [-k LOG_DIR] [jest paths...]
#   -n RUNS        how many runs (default 20)
#   -l BUSY_LOOPS  how many `while :; do :; done` loops run beside them (default 1: the bar of issue 15)
#   -k LOG_DIR     keep each failed run's jest output, OpenTofu debug logs (TF_LOG=DEBUG, one file per
#                  tofu run) and moto logs under LOG_DIR/run-<i>/ (also for a run that recovered a
#                  self-held lock; other passing runs' logs are deleted)
#   jest paths     default: packages/state-tools/test
# Exit code: 0 when every run passed, 1 otherwise.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

runs=20 loops=1 keep=''
while getopts 'n:l:k:h' opt; do
  case "$opt" in
    n) runs=$OPTARG ;;
    l) loops=$OPTARG ;;
    k) keep=$OPTARG ;;
    *) sed -n '2,13p' "$0"; exit 2 ;;
  esac
done
shift $((OPTIND - 1))
paths=("$@")
[ ${#paths[@]} -gt 0 ] || paths=(packages/state-tools/test)
[[ "$runs" =~ ^[1-9][0-9]*$ ]] || { echo "stress-engine: -n must be a positive integer" >&2; exit 2; }
[[ "$loops" =~ ^[0-9]+$ ]] || { echo "stress-engine: -l must be a non-negative integer" >&2; exit 2; }

# The tests take their tools from PLATFORM_TOOLS_BIN when set (see packages/testing/src/tools.ts).
bin=${PLATFORM_TOOLS_BIN:-.tools/bin}
[ -x "$bin/tofu" ] && [ -x "$bin/moto_server" ] || { echo "stress-engine: run \`npm run setup-tools\` first (OpenTofu and moto in $bin)" >&2; exit 2; }

work=$(mktemp -d -t stress-engine.XXXXXX)
busy=()
cleanup() {
  for pid in "${busy[@]}"; do kill "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
for ((i = 0; i < loops; i++)); do
  (while :; do :; done) &
  busy+=($!)
done

echo "stress-engine: $runs run(s) of ${paths[*]} beside $loops busy CPU loop(s) on $(nproc) core(s); OpenTofu $(TF_CLI_CONFIG_FILE=/dev/null "$bin/tofu" version | head -1 | awk '{print $2}')"
failures=0 slowest=0 slowest_run=0 total=0 total_recovered=0
declare -a failed_runs=()
for ((run = 1; run <= runs; run++)); do
  report="$work/report-$run.json"
  logdir="$work/logs-$run"
  mkdir -p "$logdir"
  env_args=("PLATFORM_SELF_LOCK_LOG=$logdir/self-locks.log")
  [ -n "$keep" ] && env_args+=(TF_LOG=DEBUG "TF_LOG_DIR=$logdir" "PLATFORM_MOTO_LOG_DIR=$logdir")
  start=$(date +%s%N)
  status=0
  env "${env_args[@]}" npx jest --ci --silent --json --outputFile="$report" "${paths[@]}" >"$logdir/jest.txt" 2>&1 || status=$?
  ms=$((($(date +%s%N) - start) / 1000000))
  total=$((total + ms))
  if [ "$ms" -gt "$slowest" ]; then slowest=$ms slowest_run=$run; fi
  suites=''
  [ -s "$report" ] && suites=$(node -e '
    const r = require(process.argv[1]);
    console.log(r.testResults.map((s) => `${require("path").basename(s.name, ".test.ts")} ${((s.endTime - s.startTime) / 1000).toFixed(0)}s`).join(", "));
  ' "$report" || true)
  # Self-held locks the harness recovered the runbook's way (tofuOk; see packages/testing/src/tofu.ts).
  recovered=0
  # self-lock.test.ts provokes them on purpose (a fault proxy); those lines name its buckets.
  [ -s "$logdir/self-locks.log" ] && recovered=$(grep -vc 'it-selflock-' "$logdir/self-locks.log" || true)
  total_recovered=$((total_recovered + recovered))
  [ "$recovered" -gt 0 ] && { suites="$suites; self-held locks recovered: $recovered"; [ -n "$keep" ] && mkdir -p "$keep/run-$run" && cp -r "$logdir/." "$keep/run-$run/"; }
  if [ "$status" -eq 0 ]; then
    printf 'run %2d: pass  %6.1f s  (%s)\n' "$run" "$(echo "$ms / 1000" | bc -l)" "$suites"
  else
    failures=$((failures + 1))
    failed_runs+=("$run")
    printf 'run %2d: FAIL  %6.1f s  (%s)\n' "$run" "$(echo "$ms / 1000" | bc -l)" "$suites"
    if [ -s "$report" ]; then
      node -e '
        const r = require(process.argv[1]);
        for (const s of r.testResults) for (const t of s.assertionResults.filter((a) => a.status === "failed"))
          console.log(`        ${require("path").basename(s.name)} › ${t.title}\n          ${(t.failureMessages[0] || "").split("\n").slice(0, 3).join("\n          ")}`);
        if (r.numRuntimeErrorTestSuites) console.log(`        ${r.numRuntimeErrorTestSuites} suite(s) failed to run`);
      ' "$report"
    else
      tail -5 "$logdir/jest.txt" | sed 's/^/        /'
    fi
    if [ -n "$keep" ]; then
      mkdir -p "$keep/run-$run"
      cp -r "$logdir/." "$keep/run-$run/"
      [ -s "$report" ] && cp "$report" "$keep/run-$run/report.json"
    fi
  fi
  rm -rf "$logdir" "$report"
done

printf 'stress-engine: runs %d, failures %d, self-held locks recovered %d, slowest run %.1f s (run %d), mean %.1f s\n' \
  "$runs" "$failures" "$total_recovered" "$(echo "$slowest / 1000" | bc -l)" "$slowest_run" "$(echo "$total / $runs / 1000" | bc -l)"
[ "$failures" -eq 0 ] || { echo "stress-engine: failed runs: ${failed_runs[*]}${keep:+ (logs in $keep)}"; exit 1; }
