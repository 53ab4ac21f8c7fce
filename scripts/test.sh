#!/usr/bin/env bash
# `npm test`: the project's whole test command, the same on a laptop and in CI.
#   1. installs/reuses the pinned external tools in .tools/ (helm, helm-unittest, actionlint, OpenTofu,
#      checkov, moto) — first run on a fresh machine: ~10 minutes of Go builds and pip installs; then ~1 s;
#   2. runs every jest suite, both tiers (jest.config.ts): unit tests and snapshots, and the integration tier —
#      chart tests with real helm, workflow checks with actionlint, real OpenTofu against a local moto
#      S3/DynamoDB ("npm run test:unit" runs the unit tier alone, in seconds, without .tools);
#   3. scans the synthesized Terraform with checkov (scripts/checkov.sh), beside jest.
# Extra arguments go to jest, e.g. `npm test -- modules/service`.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash scripts/setup-tools.sh

report=$(mktemp -t jest-report.XXXXXX.json)
checkov_log=$(mktemp -t checkov.XXXXXX.log)
checkov_pid=""
trap 'rm -f "$report" "$checkov_log"; if [ -n "$checkov_pid" ]; then kill "$checkov_pid" 2>/dev/null || true; fi' EXIT

# checkov (whole runs only) works beside jest: the integration suites mostly wait on OpenTofu and moto,
# so the scan costs little wall time there. Its report is printed after jest's.
if [ $# -eq 0 ] && [ -f scripts/checkov.sh ]; then
  bash scripts/checkov.sh >"$checkov_log" 2>&1 &
  checkov_pid=$!
fi

status=0
npx jest --ci --json --outputFile="$report" "$@" || status=$?

if [ -s "$report" ]; then
  node -e '
    const r = require(process.argv[1]);
    console.log(`jest: ${r.numPassedTests} passed, ${r.numFailedTests} failed` + (r.numPendingTests ? `, ${r.numPendingTests} skipped` : ""));
  ' "$report"
fi

checkov_status=0
if [ -n "$checkov_pid" ]; then
  wait "$checkov_pid" || checkov_status=$?
  checkov_pid=""
  cat "$checkov_log"
fi
[ "$status" -eq 0 ] || exit "$status"
exit "$checkov_status"
