#!/bin/sh
# Smoke test of load_generator against the built jwtauth-server on 127.0.0.1
# (port 0): Verify closed loop, Check closed loop, Verify open loop, an ES256
# token mix with corrupted signatures, and grpc.health. Asserts only that each
# run completed requests with no unexpected answer; never timing.
#   tests/bench/load_generator_test.sh BUILD_DIR
set -eu
# shellcheck source=tests/bench/serving_port.sh
. "$(dirname "$0")/serving_port.sh"
build=${1:?build dir}
server="$build/server/jwtauth-server"
loadgen="$build/tests/bench/load_generator"
keys="$build/tests/bench/bench_keys"
dir=$(mktemp -d)
pid=""
cleanup() {
  if [ -n "$pid" ]; then kill -TERM "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  rm -rf "$dir"
}
trap cleanup EXIT

printf 'loadgen-secret-0123456789abcdef012345' > "$dir/hs.txt"
"$keys" pem --alg ES256 --private "$dir/es.pem" --public "$dir/es.pub.pem"
cat > "$dir/config.yaml" <<YAML
server: {listen: "127.0.0.1:0", admin_listen: "", watch_interval: "0"}
providers:
  - name: bench
    issuers: [https://bench]
    audiences: [api]
    keys:
      - {kid: hs1, alg: HS256, secret_file: hs.txt}
      - {kid: es1, alg: ES256, public_key_file: es.pub.pem}
log: {level: info}
YAML
"$server" --config "$dir/config.yaml" 2> "$dir/server.log" &
pid=$!
port=$(serving_port "$dir/server.log" "$pid")
if [ -z "$port" ]; then
  echo "FAIL: jwtauth-server did not report a port"; cat "$dir/server.log"; exit 1
fi

failures=0
# run NAME ARGS...: one bounded run; requests > 0 and errors == 0.
run() {
  name=$1; shift
  if ! out=$("$loadgen" --target "127.0.0.1:$port" --label "$name" \
      --channels 2 --warmup 50 --requests 1000000 --seconds 1 "$@"); then
    echo "FAIL $name: exit status (output: $out)"; failures=$((failures + 1)); return
  fi
  echo "$out"
  requests=$(echo "$out" | sed -n 's/.* requests=\([0-9]*\) .*/\1/p' | head -n 1)
  errors=$(echo "$out" | sed -n 's/.* errors=\([0-9]*\) .*/\1/p')
  if [ -z "$requests" ] || [ "$requests" -le 0 ] || [ "$errors" != 0 ]; then
    echo "FAIL $name: requests=$requests errors=$errors"; failures=$((failures + 1))
  fi
}

# $hs is split into words on purpose.
# shellcheck disable=SC2086
hs="--secret-file $dir/hs.txt --kid hs1"
run verify-closed --method verify $hs --inflight 8
run check-closed --method check $hs --inflight 8
run verify-open --method verify $hs --rate 300
run check-open --method check $hs --rate 300 --tokens 20 --token-order zigzag
run es256-mix --method verify --alg ES256 --key-file "$dir/es.pem" --kid es1 \
  --tokens 40 --invalid-fraction 0.25 --inflight 4
run health --method health --inflight 4

# The mix must report valid and invalid tokens apart.
if ! "$loadgen" --target "127.0.0.1:$port" --method check --alg ES256 \
    --key-file "$dir/es.pem" --kid es1 --tokens 10 --invalid-fraction 0.5 \
    --warmup 0 --requests 40 --seconds 5 --inflight 2 | grep -q ' invalid_requests=20 '; then
  echo "FAIL: invalid tokens not reported apart"; failures=$((failures + 1))
fi
# A non-loopback target is refused before anything is sent.
if "$loadgen" --target 192.0.2.1:50051 --method health > /dev/null 2>&1; then
  echo "FAIL: non-loopback target accepted"; failures=$((failures + 1))
fi

[ "$failures" = 0 ] || exit 1
echo "PASS"
