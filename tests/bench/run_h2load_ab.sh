#!/usr/bin/env bash
# h2load A/B of the bare callback ceiling against jwtauth-server with
# server.threading async (the default) and callback, all three started once
# and driven in turn (the order reversed every round), so the VM's phases hit
# them alike. Per call: HS256 Verify (a cache hit after the first call) and
# Check on a configured ext_authz route; the ceiling answers
# grpc.health.v1.Health/Check. Prints one line per run (req/s, HTTP 2xx,
# server CPU µs per call from /proc/PID/stat), then the medians and each
# median's ratio to the ceiling's. Loopback only; needs h2load
# (deploy/install-deps.sh --bench) and a built release tree:
#   cmake --preset release && cmake --build --preset release \
#       --target jwtauth-server load_generator ceiling_server
#   tests/bench/run_h2load_ab.sh [BUILD_DIR=build/release] [rounds=6] [calls=300000]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../../build/release}
rounds=${2:-6}
calls=${3:-300000}
# shellcheck source=tests/bench/serving_port.sh
. "$here/serving_port.sh"
# shellcheck source=tests/bench/hs_bench_config.sh
. "$here/hs_bench_config.sh"
for tool in h2load "$build/server/jwtauth-server" "$build/tests/bench/load_generator" \
    "$build/tests/bench/ceiling/ceiling_server"; do
  command -v "$tool" > /dev/null || { echo "missing: $tool" >&2; exit 2; }
done
work=$(mktemp -d)
pids=()
cleanup() {
  if [ "${#pids[@]}" -gt 0 ]; then kill "${pids[@]}" 2> /dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
for mode in async callback; do
  write_hs_bench_config "$work/$mode.yaml" "$mode"
done
token_flags=(--secret-file "$work/hs.txt" --kid hs1 --issuer https://bench --audience api)
"$build/tests/bench/load_generator" --method verify "${token_flags[@]}" --dump-request "$work/verify.bin"
"$build/tests/bench/load_generator" --method check "${token_flags[@]}" --dump-request "$work/check.bin"
printf '\0\0\0\0\0' > "$work/health.bin"

# start NAME COMMAND...: sets NAME_pid and NAME_port.
start() {
  local name=$1 pid port
  shift
  "$@" 2> "$work/$name.log" &
  pid=$!
  pids+=("$pid")
  port=$(serving_port "$work/$name.log" "$pid")
  if [ -z "$port" ]; then
    echo "$name did not report a port:" >&2
    tail -n 5 "$work/$name.log" >&2
    exit 1
  fi
  printf -v "${name}_pid" '%s' "$pid"
  printf -v "${name}_port" '%s' "$port"
}
start ceiling "$build/tests/bench/ceiling/ceiling_server" --threading callback
start async "$build/server/jwtauth-server" --config "$work/async.yaml"
start callback "$build/server/jwtauth-server" --config "$work/callback.yaml"

server_cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
h2() {  # CALLS PORT PATH BODY
  h2load -n "$1" -c 16 -m 32 -t 1 -H 'content-type: application/grpc' \
    -H 'te: trailers' -d "$4" "http://127.0.0.1:$2$3" 2>&1
}
# run LABEL PID PORT PATH BODY: one warm-up and one measured h2load run.
run() {
  local out c0 c1 rps ok us
  h2 20000 "$3" "$4" "$5" > /dev/null
  c0=$(server_cpu_ticks "$2")
  out=$(h2 "$calls" "$3" "$4" "$5")
  c1=$(server_cpu_ticks "$2")
  rps=$(printf '%s\n' "$out" | sed -n 's/^finished in .*, \([0-9.]*\) req\/s.*/\1/p')
  ok=$(printf '%s\n' "$out" | sed -n 's/^status codes: \([0-9]*\) 2xx.*/\1/p')
  us=$(awk -v t=$((c1 - c0)) -v n="$calls" -v hz="$(getconf CLK_TCK)" \
    'BEGIN { printf "%.2f", t * 1e6 / hz / n }')
  echo "$1 rps=${rps%.*} ok=$ok cpu_us=$us" | tee -a "$work/results.txt"
}
verify=/jwtauth.v1.AuthService/Verify
check=/envoy.service.auth.v3.Authorization/Check
health=/grpc.health.v1.Health/Check
for round in $(seq 1 "$rounds"); do
  order="ceiling async callback"
  if [ $((round % 2)) = 0 ]; then order="callback async ceiling"; fi
  for side in $order; do
    pid_var="${side}_pid" port_var="${side}_port"
    if [ "$side" = ceiling ]; then
      run ceiling "${!pid_var}" "${!port_var}" "$health" "$work/health.bin"
    else
      run "$side-verify" "${!pid_var}" "${!port_var}" "$verify" "$work/verify.bin"
      run "$side-check" "${!pid_var}" "${!port_var}" "$check" "$work/check.bin"
    fi
  done
done
# Medians per label, and each one's ratio to the ceiling's median.
awk '
  { label = $1; sub("rps=", "", $2); sub("cpu_us=", "", $4)
    n[label]++; rps[label, n[label]] = $2; cpu[label, n[label]] = $4 }
  function median(a, label, k,   i, j, t, v) {
    for (i = 1; i <= k; i++) v[i] = a[label, i]
    for (i = 1; i <= k; i++) for (j = i + 1; j <= k; j++)
      if (v[j] + 0 < v[i] + 0) { t = v[i]; v[i] = v[j]; v[j] = t }
    return k % 2 ? v[(k + 1) / 2] : (v[k / 2] + v[k / 2 + 1]) / 2
  }
  END {
    base = median(rps, "ceiling", n["ceiling"])
    printf "\n%-16s %12s %12s %16s\n", "server", "median req/s", "vs ceiling", "median cpu us"
    for (label in n)
      printf "%-16s %12.0f %12.2f %16.2f\n", label, median(rps, label, n[label]),
        median(rps, label, n[label]) / base, median(cpu, label, n[label])
  }' "$work/results.txt"
