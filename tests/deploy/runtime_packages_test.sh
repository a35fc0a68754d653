#!/usr/bin/env bash
# ctest (label "deploy"): deploy/runtime-packages.txt, the package list the
# Dockerfile's runtime stage installs, covers every shared library the built
# binaries load.
#   runtime_packages_test.sh SOURCE_DIR BINARY...
# Each missing package is named with the library and binary that need it,
# and the command that regenerates the list. A self-check first proves the
# comparison fails when a needed package is left out.
set -euo pipefail
src="${1:?usage: runtime_packages_test.sh SOURCE_DIR BINARY...}"
shift
script="$src/deploy/runtime-packages.sh"
list="$src/deploy/runtime-packages.txt"
for tool in ldd dpkg; do
  command -v "$tool" >/dev/null 2>&1 || { echo "FAILED: '$tool' not found" >&2; exit 1; }
done

needed="$(bash "$script" --explain "$@")" || { echo "FAILED: $script could not map every library (above)" >&2; exit 1; }

# Prints one line per needed package absent from list file $1; exit 1 if any.
missing_from() {
  local listed rc=0 pkg lib bin
  listed="$(grep -v '^[[:space:]]*\(#\|$\)' "$1" | sed 's/[[:space:]]//g' | sort -u)"
  while IFS=$'\t' read -r pkg lib bin; do
    if ! grep -qx -- "$pkg" <<<"$listed"; then
      echo "MISSING: deploy/runtime-packages.txt lacks '$pkg' (provides $lib, needed by $bin)"
      rc=1
    fi
  done <<<"$needed"
  return "$rc"
}

# Self-check: drop one needed package from a copy; the check must name it.
probe="$(head -1 <<<"$needed" | cut -f1)"
copy="$(mktemp)"
trap 'rm -f "$copy"' EXIT
grep -vx -- "$probe" "$list" >"$copy" || true
if out="$(missing_from "$copy")" || ! grep -q "lacks '$probe'" <<<"$out"; then
  echo "FAILED: self-check: a list without '$probe' was not reported" >&2
  exit 1
fi

if report="$(missing_from "$list")"; then
  echo "runtime packages: $(cut -f1 <<<"$needed" | sort -u | wc -l) packages for $(cut -f2 <<<"$needed" | sort -u | wc -l) libraries of $(for b in "$@"; do basename "$b"; done | tr '\n' ' ')- all in deploy/runtime-packages.txt"
  exit 0
fi
sort -u <<<"$report" | awk -F"'" '!seen[$2]++' >&2
echo "FAILED: regenerate the list:" >&2
echo "  deploy/runtime-packages.sh build/release/server/jwtauth-server build/release/cli/jwtauth > deploy/runtime-packages.txt" >&2
exit 1
