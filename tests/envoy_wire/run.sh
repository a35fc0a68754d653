#!/usr/bin/env bash
# ctest entry point for the Node tests in this folder (label "node"):
#   run.sh <ext_authz_test_server binary> <work dir in the build tree>
# Installs the locked devDependencies with `npm ci` (skipped when
# package-lock.json has not changed since the last install; npm's cache lives
# in the build tree), then runs `node --test`. Missing node/npm is a FAILURE,
# not a skip: the wire-compatibility proof must not silently disappear.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
server_bin="${1:?usage: run.sh <ext_authz_test_server> <work dir>}"
work="${2:?usage: run.sh <ext_authz_test_server> <work dir>}"

for tool in node npm; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "envoy_wire: FAILED: '$tool' not found. Install Node.js and npm (deploy/install-deps.sh does)." >&2
    exit 1
  fi
done
if [ ! -x "$server_bin" ]; then
  echo "envoy_wire: FAILED: test server '$server_bin' not built" >&2
  exit 1
fi

server_bin="$(cd "$(dirname "$server_bin")" && pwd)/$(basename "$server_bin")"
mkdir -p "$work"
stamp="$here/node_modules/.jwtauth-lock.sha256"
want="$(sha256sum "$here/package-lock.json" | cut -d' ' -f1)"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  echo "envoy_wire: npm ci"
  npm ci --prefix "$here" --cache "$work/npm-cache" --no-audit --no-fund --loglevel=error
  echo "$want" > "$stamp"
fi

cd "$here"
export JWTAUTH_EXT_AUTHZ_TEST_SERVER="$server_bin"
exec node --test --test-reporter=spec
