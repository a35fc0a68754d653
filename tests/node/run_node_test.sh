#!/usr/bin/env bash
# ctest driver for the Node client test.
#   run_node_test.sh SERVER_BINARY SOURCE_DIR WORK_DIR
# 1. copies package.json + package-lock.json + *.test.js into WORK_DIR and runs
#    `npm ci` there (skipped when the lockfile is unchanged since the last
#    successful install), 2. starts SERVER_BINARY, which serves AuthService on
#    127.0.0.1:0 and prints "PORT=<n>" and "TOKEN=<jwt>", 3. runs
#    `node --test` against it, 4. stops the server.
# Missing node/npm or a failed install is a test FAILURE, never a skip.
set -euo pipefail

server_bin="$1"
src_dir="$2"
work_dir="$3"
node_src="$src_dir/tests/node"

fail() { echo "FAIL: $*" >&2; exit 1; }

command -v node >/dev/null 2>&1 || fail "node is not installed; the Node client test needs Node.js >= 18 (apt install nodejs)"
command -v npm >/dev/null 2>&1 || fail "npm is not installed; the Node client test needs npm (apt install npm)"
[[ -x "$server_bin" ]] || fail "test server binary not found: $server_bin"

mkdir -p "$work_dir"
cp "$node_src/package.json" "$node_src/package-lock.json" "$node_src"/*.test.js "$work_dir/"
cd "$work_dir"
stamp="node_modules/.jwtauth-lock-stamp"
if [[ ! -f "$stamp" ]] || ! cmp -s package-lock.json "$stamp"; then
  echo "npm ci in $work_dir" >&2
  npm ci --no-audit --no-fund --prefer-offline >npm-ci.log 2>&1 || {
    cat npm-ci.log >&2; fail "npm ci failed (see above); the Node test needs the npm registry or a warm npm cache"; }
  cp package-lock.json "$stamp"
fi

out="$work_dir/server.out"
: >"$out"
"$server_bin" >"$out" 2>"$work_dir/server.err" &
server_pid=$!
cleanup() { kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; }
trap cleanup EXIT

port=""
token=""
for _ in $(seq 1 300); do  # up to 30 s for the server to print its port
  port=$(sed -n 's/^PORT=//p' "$out" | head -1)
  token=$(sed -n 's/^TOKEN=//p' "$out" | head -1)
  [[ -n "$port" && -n "$token" ]] && break
  kill -0 "$server_pid" 2>/dev/null || { cat "$work_dir/server.err" >&2; fail "test server exited early"; }
  sleep 0.1
done
[[ -n "$port" && -n "$token" ]] || { cat "$work_dir/server.err" >&2; fail "test server did not print PORT/TOKEN"; }

JWTAUTH_ADDR="127.0.0.1:$port" JWTAUTH_PROTO_DIR="$src_dir/proto" JWTAUTH_TOKEN="$token" \
  node --test ./*.test.js
