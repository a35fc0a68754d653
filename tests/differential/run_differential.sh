#!/usr/bin/env bash
# Differential test driver (ctest label "differential"; see README.md):
#   run_differential.sh DRIVER SOURCE_DIR WORK_DIR [--tokens N] [--seed S]
# Copies the Node side into WORK_DIR, installs the locked jose with
# `npm ci` (skipped while package-lock.json is unchanged since the last
# install), then runs `node --test explain.test.mjs differential.test.mjs` with the driver.
# Defaults: 5,000 tokens, seed 1 (env JWTAUTH_DIFF_TOKENS / JWTAUTH_DIFF_SEED
# work too). Missing node/npm or a failed install is a FAILURE, not a skip.
set -euo pipefail
driver="${1:?usage: run_differential.sh DRIVER SOURCE_DIR WORK_DIR [--tokens N] [--seed S]}"
src="${2:?}"
work="${3:?}"
shift 3
while [ $# -gt 0 ]; do
  case "$1" in
    --tokens) export JWTAUTH_DIFF_TOKENS="$2"; shift 2 ;;
    --seed) export JWTAUTH_DIFF_SEED="$2"; shift 2 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done
fail() { echo "differential: FAILED: $*" >&2; exit 1; }
for tool in node npm; do
  command -v "$tool" >/dev/null 2>&1 || fail "'$tool' not found (deploy/install-deps.sh installs Node.js and npm)"
done
[ -x "$driver" ] || fail "driver '$driver' not built"
driver="$(cd "$(dirname "$driver")" && pwd)/$(basename "$driver")"

here="$src/tests/differential"
mkdir -p "$work"
cp "$here/package.json" "$here/package-lock.json" "$here"/*.mjs "$work/"
cd "$work"
stamp="node_modules/.jwtauth-lock-stamp"
if [ ! -f "$stamp" ] || ! cmp -s package-lock.json "$stamp"; then
  echo "differential: npm ci in $work"
  npm ci --cache "$work/npm-cache" --prefer-offline --no-audit --no-fund --loglevel=error \
    >npm-ci.log 2>&1 || { cat npm-ci.log >&2; fail "npm ci failed (needs the npm registry or a warm npm cache)"; }
  cp package-lock.json "$stamp"
fi
JWTAUTH_DIFF_DRIVER="$driver" node --test explain.test.mjs differential.test.mjs
