#!/usr/bin/env bash
# The Debian packages the given binaries need at run time, derived from
# what they actually load: every shared library `ldd` resolves, mapped to
# its package by `dpkg -S`. deploy/runtime-packages.txt (read by the
# Dockerfile's runtime stage) is this script's output for the release
# binaries:
#   deploy/runtime-packages.sh build/release/server/jwtauth-server \
#       build/release/cli/jwtauth > deploy/runtime-packages.txt
#   deploy/runtime-packages.sh --explain BINARY...   package, library, binary
# Sanitizer runtimes (libasan, libubsan, libtsan, liblsan) are left out:
# only instrumented test builds load them, never the image.
# Exit 1 if a library is not found or belongs to no package.
set -euo pipefail

explain=0
if [ "${1:-}" = "--explain" ]; then explain=1; shift; fi
[ $# -gt 0 ] || { echo "usage: $0 [--explain] BINARY..." >&2; exit 2; }

# Library paths per binary, from ldd.
declare -a pairs=()   # "binary<TAB>library"
status=0
for bin in "$@"; do
  [ -x "$bin" ] || { echo "$0: $bin: not an executable" >&2; exit 1; }
  while read -r line; do
    case "$line" in
      *"not found"*) echo "$0: $(basename "$bin"): ${line%% *} not found" >&2; status=1; continue ;;
    esac
    # "libfoo.so.1 => /usr/lib/x86_64-linux-gnu/libfoo.so.1 (0x...)" or
    # "/lib64/ld-linux-x86-64.so.2 (0x...)"; linux-vdso has no file.
    lib="$(printf '%s\n' "$line" | sed -n -e 's/^.* => \(\/[^ ]*\) (.*$/\1/p' -e 's/^\(\/[^ ]*\) (.*$/\1/p')"
    [ -n "$lib" ] || continue
    case "$(basename "$lib")" in
      libasan.so*|libubsan.so*|libtsan.so*|liblsan.so*) continue ;;
    esac
    pairs+=("$(basename "$bin")	$lib")
  done < <(ldd "$bin")
done

# dpkg records some files under /lib and others under /usr/lib (merged
# /usr): ask for every spelling of each library and its symlink target in
# one dpkg -S call, then take the first spelling that has an owner.
declare -A candidates=() owner=()
for pair in "${pairs[@]}"; do
  lib="${pair#*	}"
  real="$(readlink -f "$lib")"
  candidates[$lib]="$lib $real ${lib#/usr} /usr$lib ${real#/usr} /usr$real"
done
# "libssl3:amd64: /usr/lib/..." (diversions excluded; first owner wins).
while IFS= read -r line; do
  case "$line" in diversion*) continue ;; esac
  path="${line##*: }"
  pkg="${line%%:*}"
  pkg="${pkg%%,*}"
  [ -n "${owner[$path]:-}" ] || owner[$path]="$pkg"
done < <(printf '%s\n' ${candidates[@]+"${candidates[@]}"} | tr ' ' '\n' | sort -u |
         xargs -r dpkg -S 2>/dev/null || true)

rows=()
for pair in "${pairs[@]}"; do
  bin="${pair%%	*}"
  lib="${pair#*	}"
  pkg=""
  for cand in ${candidates[$lib]}; do
    if [ -n "${owner[$cand]:-}" ]; then pkg="${owner[$cand]}"; break; fi
  done
  if [ -z "$pkg" ]; then
    echo "$0: $bin: $lib belongs to no Debian package" >&2
    status=1
    continue
  fi
  rows+=("$pkg	$lib	$bin")
done

if [ "$explain" -eq 1 ]; then
  printf '%s\n' "${rows[@]}" | sort -u
else
  echo "# Runtime packages of jwtauth-server and jwtauth, one per line; the"
  echo "# Dockerfile's runtime stage installs them. Generated, do not edit:"
  echo "#   deploy/runtime-packages.sh build/release/server/jwtauth-server build/release/cli/jwtauth"
  echo "# (ldd + dpkg -S; tests/deploy/runtime_packages_test.sh checks it)."
  echo "# Not a library, always needed: ca-certificates (JWKS over HTTPS)."
  echo "ca-certificates"
  printf '%s\n' "${rows[@]}" | cut -f1 | sort -u
fi
exit "$status"
