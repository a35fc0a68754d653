#!/usr/bin/env bash
# Runs the libFuzzer targets of the fuzz preset: first replays each seed
# corpus (every seed, including every past crash input, must pass), then
# fuzzes each target for a bounded time, and prints one line per target with
# libFuzzer's final stats (executions, edge coverage, features, corpus size).
#
#   tests/fuzz/run_fuzzers.sh [--build DIR] [--seconds N] [--work DIR]
#                             [--replay-only] [TARGET...]
#
# TARGET is a name without "_fuzzer" (default: all nine). --seconds is per
# target (default 30; CI passes 10: 9 x 10 s). Grown corpora go to
# --work/<target> (default: a temporary directory, removed at the end);
# the seed directories are read-only input. A crash, leak, timeout or
# property violation fails the run; the input is kept as
# <work>/artifacts/<target>-crash-<sha1> and printed. tests/fuzz/run_long.sh
# is the long run. Needs: cmake --preset fuzz && cmake --build --preset fuzz
# --target fuzzers.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
build="$root/build/fuzz"
seconds=30
work=""
replay_only=0
targets=()
while [ $# -gt 0 ]; do
  case "$1" in
    --build) build="$2"; shift 2 ;;
    --seconds) seconds="$2"; shift 2 ;;
    --work) work="$2"; shift 2 ;;
    --replay-only) replay_only=1; shift ;;
    -h|--help) sed -n '2,18p' "$0"; exit 0 ;;
    *) targets+=("$1"); shift ;;
  esac
done
[ ${#targets[@]} -gt 0 ] || targets=(base64url json_limits jws jwk verify config ext_authz jwks key_import)

# Per-target input size bound and dictionary.
max_len() {
  case "$1" in
    config|jwks) echo 16384 ;;
    key_import|jwk|ext_authz) echo 8192 ;;
    *) echo 4096 ;;
  esac
}
dict_of() {
  case "$1" in
    verify|jws|json_limits|base64url) echo "$here/dict/jose.dict" ;;
    jwk|jwks) echo "$here/dict/jwks.dict" ;;
    *) echo "$here/dict/$1.dict" ;;
  esac
}

cleanup_work=0
if [ -z "$work" ]; then
  work="$(mktemp -d "${TMPDIR:-/tmp}/jwtauth-fuzz.XXXXXX")"
  cleanup_work=1
fi
mkdir -p "$work/artifacts"
summary="$work/summary.txt"
: >"$summary"
status=0

for t in "${targets[@]}"; do
  bin="$build/tests/fuzz/${t}_fuzzer"
  seeds="$here/corpus/$t"
  [ -x "$bin" ] || { echo "fuzz: $bin not built (cmake --build --preset fuzz --target fuzzers)" >&2; exit 1; }
  [ -d "$seeds" ] || { echo "fuzz: no seed corpus $seeds" >&2; exit 1; }
  mkdir -p "$work/$t"
  common=(-max_len="$(max_len "$t")" -timeout=20 -rss_limit_mb=2560
          -artifact_prefix="$work/artifacts/$t-" -print_final_stats=1)
  dict="$(dict_of "$t")"
  [ -f "$dict" ] && common+=(-dict="$dict")
  log="$work/$t.log"

  echo "== fuzz $t: replay $(ls "$seeds" | wc -l) seeds"
  if ! "$bin" "${common[@]}" -runs=0 "$seeds" >"$log.replay" 2>&1; then
    tail -40 "$log.replay" >&2
    echo "fuzz: $t FAILED replaying its seed corpus" >&2
    status=1
    continue
  fi
  [ "$replay_only" = 1 ] && { echo "$t replay ok" >>"$summary"; continue; }

  echo "== fuzz $t: ${seconds}s"
  if ! "$bin" "${common[@]}" -max_total_time="$seconds" "$work/$t" "$seeds" >"$log" 2>&1; then
    tail -60 "$log" >&2
    echo "fuzz: $t FAILED; input(s): $(ls "$work/artifacts" | grep "^$t-" | tr '\n' ' ')" >&2
    status=1
  fi
  execs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)"
  done_line="$(grep -E '^#[0-9]+[[:space:]]+DONE' "$log" | tail -1 || true)"
  cov="$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$done_line")"
  ft="$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$done_line")"
  corp="$(sed -n 's/.* corp: \([0-9]*\/[0-9a-zA-Z]*\).*/\1/p' <<<"$done_line")"
  printf '%-12s execs %-10s cov %-6s ft %-7s corpus %s\n' \
    "$t" "${execs:-?}" "${cov:-?}" "${ft:-?}" "${corp:-?}" | tee -a "$summary"
done

echo "== fuzz summary (${seconds}s per target)"
cat "$summary"
if [ "$status" != 0 ]; then
  for f in "$work"/artifacts/*; do
    [ -f "$f" ] && echo "fuzz: $(basename "$f") (base64): $(head -c 65536 "$f" | base64 -w0)" >&2
  done
  echo "fuzz: FAILED; crash inputs kept in $work/artifacts" >&2
  exit 1
fi
[ "$cleanup_work" = 1 ] && rm -rf "$work"
echo "fuzz: all ${#targets[@]} targets passed"
