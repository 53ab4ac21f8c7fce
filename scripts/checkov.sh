#!/usr/bin/env bash
# Scans the synthesized environments with checkov; see scripts/checkov.ts.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
npx tsx scripts/checkov.ts
