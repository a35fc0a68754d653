#!/bin/sh
# Runs load_generator against jwtauth-server (its default threading) and the
# sync-API baseline (tests/bench/sync_baseline_server), same config, same run.
#   tests/bench/run_server_bench.sh BUILD_DIR [inflight] [seconds] [channels]
set -eu
# shellcheck source=tests/bench/serving_port.sh
. "$(dirname "$0")/serving_port.sh"
build=${1:?build dir (release preset recommended)}
inflight=${2:-64}
seconds=${3:-10}
channels=${4:-4}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
printf 'bench-secret-0123456789abcdef0123456789' > "$dir/hs.txt"
cat > "$dir/config.yaml" <<YAML
server: {listen: "127.0.0.1:0", admin_listen: "", watch_interval: "0"}
providers:
  - name: bench
    issuers: [https://bench]
    audiences: [api]
    keys: [{kid: hs1, alg: HS256, secret_file: hs.txt}]
log: {level: info}
YAML
for mode in server sync; do
  if [ "$mode" = server ]; then
    server="$build/server/jwtauth-server"
  else
    server="$build/tests/bench/sync_baseline_server"
  fi
  "$server" --config "$dir/config.yaml" 2> "$dir/$mode.log" &
  pid=$!
  port=$(serving_port "$dir/$mode.log" "$pid")
  if [ -z "$port" ]; then
    echo "$mode did not report a port:" >&2
    tail -n 5 "$dir/$mode.log" >&2
    exit 1
  fi
  "$build/tests/bench/load_generator" --target "127.0.0.1:$port" --secret-file "$dir/hs.txt" \
    --kid hs1 --issuer https://bench --audience api --label "$mode" \
    --inflight "$inflight" --channels "$channels" --seconds "$seconds" --requests 100000000
  kill -TERM $pid
  wait $pid
done
