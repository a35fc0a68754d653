#!/usr/bin/env bash
# h2load A/B of the bare callback ceiling against jwtauth-server with
# server.threading async (the default) and callback, all three started once
# and driven in turn (the order reversed every round), so the VM's phases hit
# them alike. jwtauth gets HS256 Verify (a cache hit after the first call)
# and Check; the ceiling answers grpc.health.v1.Health/Check. Built on
# run_all.sh's helpers (servers, configs, h2load runs, medians); adds the
# server's CPU per call from /proc/PID/stat. Prints one line per run, then a
# table of medians (lower middle for an even count, as run_all.sh) and
# ratios to the ceiling. Loopback only; needs h2load
# (deploy/install-deps.sh --bench) and a built release tree:
#   cmake --preset release && cmake --build --preset release \
#       --target jwtauth-server load_generator bench_keys ceiling_server
#   tests/bench/run_h2load_ab.sh [BUILD_DIR=build/release] [rounds=6] [calls=300000]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../../build/release}
rounds=${2:-6}
calls=${3:-300000}
# shellcheck source=tests/bench/serving_port.sh
. "$here/serving_port.sh"
# shellcheck source=tests/bench/run_all_lib.sh
. "$here/run_all_lib.sh"
# shellcheck source=tests/bench/run_all_h2load.sh
. "$here/run_all_h2load.sh"
loadgen="$build/tests/bench/load_generator"
bench_keys="$build/tests/bench/bench_keys"
ceiling="$build/tests/bench/ceiling/ceiling_server"
for tool in h2load "$build/server/jwtauth-server" "$loadgen" "$bench_keys" "$ceiling"; do
  command -v "$tool" > /dev/null || { echo "missing: $tool" >&2; exit 2; }
done
work=$(mktemp -d)
trap cleanup EXIT
mkdir -p "$work/res"

# write_jwtauth_config names the HS256 secret and an RS256 public key.
printf 'bench-secret-0123456789abcdef0123456789' > "$work/hs.txt"
"$bench_keys" pem --alg RS256 --private "$work/rs.pem" --public "$work/rs.pub.pem"
for threading in async callback; do
  write_jwtauth_config "$work/$threading.yaml" true
  start_server "jw_$threading" "$build/server/jwtauth-server" --config "$work/$threading.yaml"
done
start_server ceil "$ceiling" --threading callback
# shellcheck disable=SC2046
"$loadgen" --method verify $(hs_flags) --dump-request "$work/verify.bin"
# shellcheck disable=SC2046
"$loadgen" --method check $(hs_flags) --dump-request "$work/check.bin"
printf '\0\0\0\0\0' > "$work/health.bin"

server_cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
# measure ROW SERVER PATH BODY ROUND: a warm-up and a measured h2load run;
# the result line gains the server's CPU µs per call.
measure() {
  local pid_var="${2}_pid" port_var="${2}_port" c0 c1 res="$1.r$5"
  h2load_one "$1.warm" "${!port_var}" "$3" "$4" 20000
  c0=$(server_cpu_ticks "${!pid_var}")
  h2load_one "$res" "${!port_var}" "$3" "$4" "$calls"
  c1=$(server_cpu_ticks "${!pid_var}")
  printf '%s cpu_us=%s\n' "$(cat "$work/res/$res")" "$(awk -v t=$((c1 - c0)) \
    -v n="$calls" -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.2f", t * 1e6 / hz / n }')" \
    > "$work/res/$res"
}
verify=/jwtauth.v1.AuthService/Verify
check=/envoy.service.auth.v3.Authorization/Check
for round in $(seq 1 "$rounds"); do
  order="ceil async callback"
  if [ $((round % 2)) = 0 ]; then order="callback async ceil"; fi
  for side in $order; do
    if [ "$side" = ceil ]; then
      measure ceil ceil /grpc.health.v1.Health/Check "$work/health.bin" "$round"
    else
      measure "${side}_verify" "jw_$side" "$verify" "$work/verify.bin" "$round"
      measure "${side}_check" "jw_$side" "$check" "$work/check.bin" "$round"
    fi
  done
done
base=$(median ceil rps)
printf '\n| server | req/s (median) | range | vs ceiling | server CPU µs / call (median) |\n'
printf '|---|---:|---|---:|---:|\n'
for row in ceil async_verify async_check callback_verify callback_check; do
  printf '| %s | %s | %s | %s | %s |\n' "$row" "$(median "$row" rps)" \
    "$(range "$row" rps)" "$(ratio "$(median "$row" rps)" "$base")" "$(median "$row" cpu_us)"
done
