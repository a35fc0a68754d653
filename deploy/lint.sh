#!/usr/bin/env bash
# Format and lint gate, run by .ci/run.
#   deploy/lint.sh           check: clang-format (no diff allowed) + clang-tidy
#   deploy/lint.sh --fix     rewrite the sources with clang-format, then check
#   deploy/lint.sh --format  clang-format check only (no build needed)
# clang-tidy reads build/ci/compile_commands.json, so run it after
# `cmake --preset ci && cmake --build --preset ci` (the generated protobuf
# headers must exist). Checks and their reasons: .clang-tidy.
set -euo pipefail
cd "$(dirname "$0")/.."

mode="${1:-check}"
mapfile -t sources < <(git ls-files '*.cc' '*.h' | grep -Ev '^(build|third_party)/')
# BoringSSL backend files (core/crypto/*_boringssl.cc) are not in the ci
# build's compile database (they compile only in the boringssl preset).
mapfile -t production < <(git ls-files 'core/*.cc' 'server/*.cc' 'client/*.cc' 'cli/*.cc' |
  grep -v '_boringssl\.cc$')

if [ "$mode" = "--fix" ]; then
  clang-format -i "${sources[@]}"
fi

echo "lint: clang-format over ${#sources[@]} files"
clang-format --dry-run --Werror "${sources[@]}"
[ "$mode" = "--format" ] && exit 0

db=build/ci/compile_commands.json
if [ ! -f "$db" ]; then
  echo "lint: $db is missing; run 'cmake --preset ci && cmake --build --preset ci' first" >&2
  exit 2
fi
jobs="$(nproc 2>/dev/null || echo 2)"
echo "lint: clang-tidy over ${#production[@]} production files (-j$jobs)"
log="$(mktemp)"
lintdb="$(mktemp -d)"
trap 'rm -rf "$log" "$lintdb"' EXIT
# The database without the precompiled header (cmake/jwtauth_pch.cmake):
# clang would take gcc's .gch beside it for its own and stop, and each
# source must stand on its own includes.
sed -E 's# -Winvalid-pch -include [^ "]*/cmake_pch\.hxx##' "$db" >"$lintdb/compile_commands.json"
if ! printf '%s\n' "${production[@]}" |
    xargs -P "$jobs" -n 1 clang-tidy -p "$lintdb" --quiet >"$log" 2>&1; then
  grep -E 'warning:|error:' "$log" | sort -u >&2 || cat "$log" >&2
  echo "lint: clang-tidy found problems (see above)" >&2
  exit 1
fi
echo "lint: clean"
