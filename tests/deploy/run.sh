#!/usr/bin/env bash
# ctest driver for the Node checks of deploy/ (label "deploy"):
#   run.sh install WORK_DIR                 npm ci in WORK_DIR (fixture)
#   run.sh test WORK_DIR TEST_FILE [ENV=VALUE...]
# `install` copies package.json + package-lock.json into WORK_DIR (the
# build tree) and runs `npm ci` there, skipped while the lockfile is
# unchanged since the last install. `test` runs one *.test.js from this
# folder with node --test. Missing node, npm or kubectl is a FAILURE, never
# a skip: the deployment checks must not silently disappear.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
mode="${1:?usage: run.sh install|test WORK_DIR [TEST_FILE ENV=VALUE...]}"
work="${2:?usage: run.sh install|test WORK_DIR [TEST_FILE ENV=VALUE...]}"
shift 2
fail() { echo "deploy tests: FAILED: $*" >&2; exit 1; }
for tool in node npm; do
  command -v "$tool" >/dev/null 2>&1 ||
    fail "'$tool' not found. Install Node.js and npm (deploy/install-deps.sh does)."
done
command -v kubectl >/dev/null 2>&1 ||
  fail "'kubectl' not found: the checks render deploy/k8s with 'kubectl kustomize' (kubectl >= 1.27, kustomize v5)."
# Components, `labels` with includeTemplates: kustomize v5 (kubectl >= 1.27;
# Debian 12's kubernetes-client 1.20 is too old).
kustomize_version="$(kubectl version --client 2>/dev/null | sed -n 's/^Kustomize Version: v\([0-9]*\).*/\1/p')"
[ "${kustomize_version:-0}" -ge 5 ] ||
  fail "kubectl's kustomize is v${kustomize_version:-?}; deploy/k8s needs v5 (kubectl >= 1.27)."

mkdir -p "$work"
case "$mode" in
  install)
    cp "$here/package.json" "$here/package-lock.json" "$work/"
    cd "$work"
    stamp="node_modules/.jwtauth-lock-stamp"
    if [ ! -f "$stamp" ] || ! cmp -s package-lock.json "$stamp"; then
      echo "deploy tests: npm ci in $work"
      npm ci --cache "$work/npm-cache" --prefer-offline --no-audit --no-fund --loglevel=error \
        >npm-ci.log 2>&1 || { cat npm-ci.log >&2; fail "npm ci failed (needs the npm registry or a warm npm cache)"; }
      cp package-lock.json "$stamp"
    fi
    echo "deploy tests: node_modules ready"
    ;;
  test)
    file="${1:?usage: run.sh test WORK_DIR TEST_FILE [ENV=VALUE...]}"
    shift
    [ -d "$work/node_modules" ] || fail "$work/node_modules missing (the deploy_npm_ci fixture did not run)"
    for kv in "$@"; do export "${kv?}"; done
    export NODE_PATH="$work/node_modules"
    export JWTAUTH_DEPLOY_WORK="$work"
    exec node --test --test-reporter=spec "$here/$file"
    ;;
  *) fail "unknown mode '$mode'" ;;
esac
