# shellcheck shell=bash disable=SC2154,SC2034
# Helpers for run_all.sh (sourced; bash). Processes, configs, keys, the load
# generator and the arithmetic on its result lines. Globals set by run_all.sh:
# repo, build, work, inflight, channels, threading.

log() { printf '# %s\n' "$*" >&2; }

pids=()
cleanup() {
  local pid
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}

# Configures BUILD_DIR with the release preset when it has no cache yet, then
# builds what the run needs (the ceiling server when this tree has it).
build_targets() {
  local launcher=()
  if command -v ccache > /dev/null; then
    launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache)
  fi
  if [ ! -f "$build/CMakeCache.txt" ]; then
    log "configuring $build (release preset)"
    (cd "$repo" && cmake --preset release -B "$build" "${launcher[@]}") >&2
  fi
  local targets=(jwtauth-server load_generator bench_keys)
  if cmake --build "$build" --target help 2> /dev/null | grep -q 'ceiling_server'; then
    targets+=(ceiling_server)
  fi
  log "building ${targets[*]} in $build"
  nice cmake --build "$build" -j2 --target "${targets[@]}" >&2
  loadgen="$build/tests/bench/load_generator"
  bench_keys="$build/tests/bench/bench_keys"
  ceiling=${ceiling_override:-$(find "$build/tests/bench" -name ceiling_server -type f -perm -u+x 2> /dev/null | head -n 1)}
}

# Key files: the HS256 secret, an RS256 and an ES256 pair, and 100 JWKS
# files of 100 fresh ES256 keys each (the 10,000-key set; files 0-9 and
# 10-19 are also the two 1,000-key sets the JWKS refresh swaps between).
prepare_keys() {
  local i
  printf 'bench-secret-0123456789abcdef0123456789' > "$work/hs.txt"
  "$bench_keys" pem --alg RS256 --private "$work/rs.pem" --public "$work/rs.pub.pem"
  "$bench_keys" pem --alg ES256 --private "$work/es.pem" --public "$work/es.pub.pem"
  mkdir -p "$work/keys"
  log "generating 10,000 ES256 keys"
  for i in $(seq 0 99); do
    "$bench_keys" jwks --alg ES256 --count 100 --kid-prefix "k$i-" --out "$work/keys/k$i.json"
  done
  "$bench_keys" jwks --alg ES256 --count 0 --add-pem "$work/es.pem" --add-kid es1 \
    --out "$work/keys/signing.json"
}

# server: section with the given cache switch and admin listener.
server_yaml() {
  local admin=$1
  printf 'server: {listen: "127.0.0.1:0", admin_listen: "%s", watch_interval: "0"' "$admin"
  [ -n "$threading" ] && printf ', threading: %s' "$threading"
  printf '}\nlog: {level: info}\n'
}

# jwtauth config: HS256 (hs1) and RS256 (rs1) keys; $2 = true|false cache.
write_jwtauth_config() {
  local file=$1 cache=$2
  {
    server_yaml ""
    cat << YAML
cache: {enabled: $cache}
providers:
  - name: bench
    issuers: [https://bench]
    audiences: [api]
    keys:
      - {kid: hs1, alg: HS256, secret_file: $work/hs.txt}
      - {kid: rs1, alg: RS256, public_key_file: $work/rs.pub.pem}
YAML
  } > "$file"
}

# start_server NAME CMD...: starts a server whose stderr carries the
# {"event":"serving","grpc_port":"N"} line; sets NAME_port and NAME_pid.
start_server() {
  local name=$1 logf="$work/$1.log" port="" pid
  shift
  : > "$logf"
  "$@" 2> "$logf" > /dev/null &
  pid=$!
  pids+=("$pid")
  for _ in $(seq 1 300); do
    port=$(sed -n 's/.*"event":"serving".*"grpc_port":"\([0-9]*\)".*/\1/p' "$logf" | head -n 1)
    [ -n "$port" ] && break
    kill -0 "$pid" 2> /dev/null || break
    sleep 0.1
  done
  if [ -z "$port" ]; then
    log "$name did not start: $(tail -n 3 "$logf" | tr '\n' ' ')"
    return 1
  fi
  declare -g "${name}_port=$port" "${name}_pid=$pid"
}

stop_server() {
  local pid_var="${1}_pid"
  local pid=${!pid_var:-}
  [ -z "$pid" ] && return 0
  kill -TERM "$pid" 2> /dev/null || true
  wait "$pid" 2> /dev/null || true
  declare -g "${1}_pid=" "${1}_port="
}

# The value of a "name":"value" field of the server's serving log line.
serving_field() {
  sed -n "s/.*\"event\":\"serving\".*\"$2\":\"\\([0-9]*\\)\".*/\\1/p" "$work/$1.log" | head -n 1
}

# wait_for_events NAME EVENT COUNT SECONDS: until the log holds COUNT lines
# of EVENT; fails after SECONDS.
wait_for_events() {
  local deadline=$((SECONDS + $4))
  while [ "$(grep -c "\"event\":\"$2\"" "$work/$1.log" || true)" -lt "$3" ]; do
    [ $SECONDS -ge $deadline ] && return 1
    sleep 0.2
  done
}

vmrss_mib() {
  awk '/^VmRSS:/ {printf "%.1f", $2 / 1024}' "/proc/$1/status" 2> /dev/null || true
}

# lg RESULT PORT ARGS...: one load_generator run on 127.0.0.1:PORT; its line
# goes to $work/res/RESULT (kept even when the run had errors).
lg() {
  local res="$work/res/$1" port=$2 line
  shift 2
  line=$("$loadgen" --target "127.0.0.1:$port" --channels "$channels" "$@" 2> "$res.err") ||
    log "load_generator exit $? for $1: $(tail -n 2 "$res.err" | tr '\n' ' ')"
  printf '%s\n' "$line" > "$res"
  log "$line"
}

# Token flags for the jwtauth / Go peer providers.
hs_flags() { echo "--secret-file $work/hs.txt --kid hs1"; }
rs_flags() { echo "--alg RS256 --key-file $work/rs.pem --kid rs1"; }

# field RESULT NAME: NAME=value from one result line.
field() {
  sed -n "s/.* $2=\\([^ ]*\\).*/\\1/p" "$work/res/$1" 2> /dev/null | head -n 1
}

# median ROW NAME: the median of NAME over ROW.r1, ROW.r2, ... (lower
# middle for an even count); empty when no round produced it.
median() {
  local f values=()
  for f in "$work/res/$1".r*; do
    [ -e "$f" ] || continue
    case "$f" in *.err) continue ;; esac
    values+=("$(field "$(basename "$f")" "$2")")
  done
  printf '%s\n' "${values[@]}" | awk '/^[0-9.]+$/' | sort -n |
    awk '{v[NR] = $1} END {if (NR) print v[int((NR + 1) / 2)]}'
}

# range ROW NAME: "min–max" of NAME over the rounds.
range() {
  local f values=()
  for f in "$work/res/$1".r*; do
    case "$f" in *.err) continue ;; esac
    [ -e "$f" ] && values+=("$(field "$(basename "$f")" "$2")")
  done
  printf '%s\n' "${values[@]}" | awk '/^[0-9.]+$/' | sort -n |
    awk 'NR == 1 {lo = $1} {hi = $1} END {if (NR) printf "%s–%s", lo, hi}'
}

# ratio A B [DIGITS]: A / B, or "n/a" when either is missing or B is 0.
ratio() {
  awk -v a="$1" -v b="$2" -v d="${3:-2}" 'BEGIN {
    if (a == "" || b == "" || b + 0 == 0) print "n/a";
    else printf "%." d "f\n", a / b }'
}

# verdict VALUE OP LIMIT: "met" / "not met" / "n/a" for a target.
verdict() {
  awk -v v="$1" -v op="$2" -v l="$3" 'BEGIN {
    if (v == "" || v == "n/a") { print "n/a"; exit }
    ok = (op == ">=") ? (v + 0 >= l + 0) : (v + 0 < l + 0);
    print ok ? "met" : "**not met**" }'
}

half() { awk -v r="$1" 'BEGIN { if (r == "") print ""; else printf "%d\n", r / 2 }'; }
us_to_ms() { awk -v u="$1" 'BEGIN { if (u == "") print "n/a"; else printf "%.2f\n", u / 1000 }'; }
