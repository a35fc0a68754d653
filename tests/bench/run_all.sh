#!/usr/bin/env bash
# shellcheck disable=SC2034  # globals are read by the sourced files
# Every server benchmark in ONE run, with its baselines measured in the same
# run (the machine is shared and noisy: compare the ratios, not absolute
# numbers across runs). Prints markdown tables to stdout; progress goes to
# stderr.
#
#   tests/bench/run_all.sh [BUILD_DIR] [--quick] [--out FILE]
#       [--seconds S] [--rounds N] [--inflight N] [--channels N]
#       [--threading MODE] [--ceiling BINARY] [--go-peer BINARY]
#       [--only SECTION[,SECTION...]]
#
# BUILD_DIR defaults to build/release; it is configured (release preset) and
# the needed targets built when missing or stale. --quick: short runs
# (~2 min in all); the default takes ~8 min. --out FILE also writes the
# tables to FILE (nothing under docs/ is touched otherwise). --threading sets
# server.threading in jwtauth's config (only for a server that knows it).
# --ceiling / --go-peer use prebuilt baseline binaries instead of building
# tests/bench/ceiling and tests/bench/go_peer from this tree. --only runs
# just the named sections (throughput, h2load, open_loop, token_mix,
# jwks_refresh, rss), e.g. `--only rss` while working on memory.
#
# What runs (load_generator, tests/bench/loadgen/, drives every server):
#  1. max throughput, closed loop, rounds alternated A/B across servers:
#     ceiling (callback, async), jwtauth health, Verify HS256 and Check
#     (cache hit), RS256 with the cache off, and the Go peer (HS256, RS256);
#  1b. the same maximum with h2load (when installed), the client of the
#     reference numbers: ceilings, Verify, Check, Go peer;
#  2. open loop at 50 % of the measured Verify / Check maximum: percentiles,
#     next to the ceiling at the same rate (what the client itself adds);
#  3. a 10,000-token HS256 mix with 10 % corrupted signatures;
#  4. a JWKS refresh replacing 1,000 keys during open-loop Verify, against
#     the same run with refreshes that change nothing (alternated);
#  5. VmRSS of jwtauth-server idle, with 10,000 keys, and after 100,000
#     distinct tokens were cached.
# Missing pieces (the ceiling server, the Go peer, Go itself) skip their rows
# with the reason printed; the rest still runs.
set -euo pipefail
cmdline="$*"

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
# shellcheck source=tests/bench/serving_port.sh
. "$here/serving_port.sh"
# shellcheck source=tests/bench/run_all_lib.sh
. "$here/run_all_lib.sh"
# shellcheck source=tests/bench/run_all_sections.sh
. "$here/run_all_sections.sh"
# shellcheck source=tests/bench/run_all_h2load.sh
. "$here/run_all_h2load.sh"

build="" quick=0 out="" threading="" seconds="" rounds="" inflight=64
channels=4 ceiling_override="" go_peer_override="" only=""
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) quick=1 ;;
    --out) out=${2:?--out FILE}; shift ;;
    --seconds) seconds=${2:?}; shift ;;
    --rounds) rounds=${2:?}; shift ;;
    --inflight) inflight=${2:?}; shift ;;
    --channels) channels=${2:?}; shift ;;
    --threading) threading=${2:?}; shift ;;
    --ceiling) ceiling_override=${2:?}; shift ;;
    --go-peer) go_peer_override=${2:?}; shift ;;
    --only) only=",${2:?--only SECTION[,SECTION...]},"; shift ;;
    -h|--help) awk 'NR > 2 && /^#/ {sub(/^# ?/, ""); print; next} NR > 2 {exit}' "$0"; exit 0 ;;
    -*) echo "run_all.sh: unknown flag $1" >&2; exit 2 ;;
    *) build=$1 ;;
  esac
  shift
done
build=${build:-$repo/build/release}
if [ "$quick" = 1 ]; then
  max_s=${seconds:-2} rounds=${rounds:-1} open_s=3 mix_s=3 jwks_s=6
else
  max_s=${seconds:-10} rounds=${rounds:-3} open_s=10 mix_s=10 jwks_s=15
fi

work=$(mktemp -d)
trap cleanup EXIT
trap 'exit 130' INT TERM
mkdir -p "$work/res"

build_targets
prepare_keys
tables="$work/tables.md"
{
  print_header "$cmdline"
  for section in throughput h2load open_loop token_mix jwks_refresh rss; do
    case "${only:-,$section,}" in
      *",$section,"*) "run_$section" ;;
    esac
  done
  print_footer
} > "$tables"
cat "$tables"
if [ -n "$out" ]; then cp "$tables" "$out"; log "tables written to $out"; fi
