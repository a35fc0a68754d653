#!/usr/bin/env bash
# Every attack test under tests/security/ must be listed in docs/SECURITY.md
# (the table of attack cases), so the document cannot fall behind the suite.
set -euo pipefail
root="${1:?usage: check_doc_table.sh <source dir>}"
doc="$root/docs/SECURITY.md"
missing=0
total=0
for f in "$root"/tests/security/*_test.cc; do
  while IFS= read -r name; do
    total=$((total + 1))
    if ! grep -qF "\`$name\`" "$doc"; then
      echo "not in docs/SECURITY.md: $name ($(basename "$f"))"
      missing=$((missing + 1))
    fi
  done < <(sed -nE 's/^TEST(_F)?\(([A-Za-z0-9_]+), *([A-Za-z0-9_]+)\).*/\2.\3/p' "$f")
done
echo "attack cases: $total, missing from docs/SECURITY.md: $missing"
[ "$total" -gt 0 ] && [ "$missing" -eq 0 ]
