#!/bin/sh
# A/B throughput of two jwtauth-server binaries (e.g. before and after a
# change, built with the same preset), same config, in ONE run: rounds
# alternate A, B, A, B, ... so machine noise hits both alike. Each round
# drives Verify with one token (a verification-cache hit after the first
# call) and Check on a configured ext_authz route, closed loop. Prints every
# load_generator line, then per method the median req/s of each side and
# the ratio B/A.
#   tests/bench/run_server_ab.sh SERVER_A SERVER_B LOAD_GENERATOR \
#       [rounds=3] [seconds=5] [inflight=64]
set -eu
# shellcheck source=tests/bench/serving_port.sh
. "$(dirname "$0")/serving_port.sh"
server_a=${1:?server A}
server_b=${2:?server B}
loadgen=${3:?load_generator}
rounds=${4:-3}
seconds=${5:-5}
inflight=${6:-64}
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
ext_authz:
  routes:
    - name: api
      match: {path_prefix: /}
log: {level: info}
YAML
run_one() {  # SIDE SERVER METHOD ROUND
  # A fresh log per run: the redirection truncates it only once the server
  # process starts, so a reused name could still show the last run's port.
  log="$dir/$1-$3-$4.log"
  "$2" --config "$dir/config.yaml" 2> "$log" &
  pid=$!
  port=$(serving_port "$log" "$pid")
  if [ -z "$port" ]; then
    echo "$1 did not report a port:" >&2
    tail -n 5 "$log" >&2
    exit 1
  fi
  "$loadgen" --target "127.0.0.1:$port" --method "$3" --secret-file "$dir/hs.txt" \
    --kid hs1 --issuer https://bench --audience api --label "$1-$3" \
    --inflight "$inflight" --seconds "$seconds" --requests 100000000 |
    tee -a "$dir/results.txt"
  kill -TERM "$pid"
  wait "$pid" || true
}
for round in $(seq 1 "$rounds"); do
  for method in verify check; do
    run_one A "$server_a" "$method" "$round"
    run_one B "$server_b" "$method" "$round"
  done
  echo "round $round done" >&2
done
# Lines carry mode=<label> and rps=<req/s>; medians per label, then B/A.
for method in verify check; do
  for side in A B; do
    sed -n "s/.*mode=$side-$method .*rps=\([0-9.]*\).*/\1/p" "$dir/results.txt" |
      sort -n | awk -v s="$side" -v m="$method" \
        '{v[NR]=$1} END {if (NR) printf "%s %s %.0f\n", m, s, v[int((NR+1)/2)]}'
  done
done | awk '{med[$1" "$2]=$3; if ($2=="B") printf "%s: A %s req/s, B %s req/s, B/A %.3f\n", $1, med[$1" A"], $3, $3/med[$1" A"]}'
