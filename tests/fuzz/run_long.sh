#!/usr/bin/env bash
# The long fuzzing run (documented in tests/fuzz/README.md and
# docs/SECURITY.md): every target (or the ones named) for FUZZ_SECONDS each,
# default 1800 (30 min), growing a persistent corpus per target under
# build/fuzz/long-corpus/<target> so successive runs build on each other.
# Prints executions and coverage per target (libFuzzer's final stats).
#   FUZZ_SECONDS=600 tests/fuzz/run_long.sh verify ext_authz
# Build first: cmake --preset fuzz && cmake --build --preset fuzz --target fuzzers
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
work="${FUZZ_WORK:-$root/build/fuzz/long-corpus}"
mkdir -p "$work"
exec bash "$here/run_fuzzers.sh" --seconds "${FUZZ_SECONDS:-1800}" --work "$work" "$@"
