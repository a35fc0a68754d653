#!/usr/bin/env bash
# The core benchmark on both crypto backends in one session: runs
# verify_benchmark (BoringSSL) and verify_benchmark_openssl (the same program
# on OpenSSL 3), both from the boringssl preset's build tree, alternately
# ROUNDS times, keeps each cell's fastest round (the machine is shared: the
# minimum is the least disturbed), and prints the per-algorithm table of
# docs/PERFORMANCE.md ("Crypto backends"): ns/op per backend for the raw
# EVP baseline, crypto::SignatureVerifier and TokenVerifier::Verify, and the
# ratio BoringSSL / OpenSSL.
#
#   cmake --preset boringssl && cmake --build --preset boringssl \
#     --target verify_benchmark verify_benchmark_openssl
#   tests/bench/compare_backends.sh [ROUNDS=3] [MIN_TIME=0.3]
set -euo pipefail
cd "$(dirname "$0")/../.."
rounds=${1:-3}
min_time=${2:-0.3}
dir=build/boringssl/tests/bench
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
for i in $(seq "$rounds"); do
  for b in openssl boringssl; do
    bin=$dir/verify_benchmark; [ "$b" = openssl ] && bin=$dir/verify_benchmark_openssl
    # The summary table verify_benchmark prints last: alg raw naive crypto jws.
    "$bin" --benchmark_min_time="$min_time" 2>/dev/null |
      awk -v b="$b" '$1 ~ /^(HS|RS|PS|ES|EdDSA)/ && NF >= 5 && $2 ~ /^[0-9]+$/ {print b, $1, $2, $4, $5}' \
      >> "$out/runs"
  done
done
python3 - "$out/runs" "$rounds" <<'PY'
import sys
best = {}
for line in open(sys.argv[1]):
    b, alg, raw, crypto, jws = line.split()
    for col, v in (('raw', raw), ('crypto', crypto), ('jws', jws)):
        k = (b, alg, col)
        best[k] = min(best.get(k, float('inf')), float(v))
algs = []
for (b, alg, col) in best:
    if alg not in algs: algs.append(alg)
order = ['HS256','HS384','HS512','RS256','RS384','RS512','PS256','PS384','PS512','ES256','ES384','ES512','EdDSA']
algs = [a for a in order if a in algs]
print(f'fastest of {sys.argv[2]} alternating rounds, ns/op (CPU time); ratio = BoringSSL / OpenSSL')
print('| alg | raw OpenSSL | raw BoringSSL | ratio | SignatureVerifier OpenSSL | SignatureVerifier BoringSSL | ratio | TokenVerifier OpenSSL | TokenVerifier BoringSSL | ratio |')
print('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|')
for a in algs:
    cells = []
    for col in ('raw', 'crypto', 'jws'):
        o, b = best[('openssl', a, col)], best[('boringssl', a, col)]
        cells += [f'{o:.0f}', f'{b:.0f}', f'{b / o:.2f}']
    print(f'| {a} | ' + ' | '.join(cells) + ' |')
PY
