# shellcheck shell=bash disable=SC2154,SC2034
# The h2load section of run_all.sh (sourced; bash): maximum throughput with
# h2load (nghttp2-client), the client the issue's reference numbers used: one
# client thread, 16 connections x 32 streams, pre-framed request bodies.
# h2load checks only the HTTP status, not grpc-status, so every body sent
# here was first answered correctly by load_generator in run_throughput
# (errors=0) against the same servers. Skipped when h2load is missing.

h2load_rows=(ceil_cb ceil_async jw_verify jw_check go_hs)

h2load_path() {
  case $1 in
    ceil_*) echo /grpc.health.v1.Health/Check ;;
    jw_verify|go_hs) echo /jwtauth.v1.AuthService/Verify ;;
    jw_check) echo /envoy.service.auth.v3.Authorization/Check ;;
  esac
}

h2load_body() {
  case $1 in
    ceil_*) echo "$work/health.bin" ;;
    jw_check) echo "$work/check.bin" ;;
    *) echo "$work/verify.bin" ;;
  esac
}

# h2load_one RESULT PORT PATH BODY N: writes "rps=R ok=N failed=F mean_us=M".
h2load_one() {
  local out rps ok failed mean
  out=$(h2load -n "$5" -c 16 -m 32 -t 1 -H 'content-type: application/grpc' \
    -H 'te: trailers' -d "$4" "http://127.0.0.1:$2$3" 2>&1) || true
  rps=$(printf '%s\n' "$out" | sed -n 's/^finished in .*, \([0-9.]*\) req\/s.*/\1/p')
  ok=$(printf '%s\n' "$out" | sed -n 's/^status codes: \([0-9]*\) 2xx.*/\1/p')
  failed=$(printf '%s\n' "$out" | sed -n 's/^requests: .* \([0-9]*\) failed.*/\1/p')
  mean=$(printf '%s\n' "$out" | awk '/^time for request:/ {print $5}')
  printf 'mode=%s rps=%s ok=%s failed=%s mean=%s\n' "$1" "${rps%.*}" "$ok" "$failed" "$mean" \
    > "$work/res/$1"
  log "h2load $1: $(cat "$work/res/$1")"
}

run_h2load() {
  if ! command -v h2load > /dev/null; then
    printf '\n### Maximum throughput with h2load\n\nskipped: h2load is not installed (deploy/install-deps.sh --bench)\n'
    return 0
  fi
  local n=$((quick ? 100000 : 300000)) round row port
  printf '\0\0\0\0\0' > "$work/health.bin"
  # shellcheck disable=SC2046
  "$loadgen" --method verify $(hs_flags) --dump-request "$work/verify.bin"
  # shellcheck disable=SC2046
  "$loadgen" --method check $(hs_flags) --dump-request "$work/check.bin"
  for round in $(seq 1 "$rounds"); do
    for row in "${h2load_rows[@]}"; do
      port=$(row_port "$row")
      if [ -z "$port" ]; then continue; fi
      h2load_one "h2_$row.warm" "$port" "$(h2load_path "$row")" "$(h2load_body "$row")" 20000
      h2load_one "h2_$row.r$round" "$port" "$(h2load_path "$row")" "$(h2load_body "$row")" "$n"
    done
  done
  print_h2load_table
}

print_h2load_table() {
  local row rps base v c gh
  base=$(median h2_ceil_cb rps)
  printf '\n### Maximum throughput with h2load (1 client thread, 16 connections × 32 streams)\n\n'
  printf '| what | req/s (median) | range | HTTP 2xx of last round | vs ceiling (callback) | vs ceiling (async) |\n'
  printf '|---|---:|---|---:|---:|---:|\n'
  for row in "${h2load_rows[@]}"; do
    rps=$(median "h2_$row" rps)
    if [ -z "$rps" ]; then
      row_port "$row" > /dev/null
      printf '| %s | skipped: %s | | | | |\n' "$(row_label "$row")" "${row_skip:-no result}"
      continue
    fi
    printf '| %s | %s | %s | %s | %s | %s |\n' "$(row_label "$row")" "$rps" \
      "$(range "h2_$row" rps)" "$(field "h2_$row.r$rounds" ok)" "$(ratio "$rps" "$base")" \
      "$(ratio "$rps" "$(median h2_ceil_async rps)")"
  done
  v=$(median h2_jw_verify rps) c=$(median h2_jw_check rps) gh=$(median h2_go_hs rps)
  printf '\n| ratio (h2load) | value | target | |\n|---|---:|---|---|\n'
  printf '| Verify / ceiling (callback) | %s | ≥ 0.90 | %s |\n' "$(ratio "$v" "$base")" "$(verdict "$(ratio "$v" "$base")" '>=' 0.90)"
  printf '| Check / ceiling (callback) | %s | ≥ 0.85 | %s |\n' "$(ratio "$c" "$base")" "$(verdict "$(ratio "$c" "$base")" '>=' 0.85)"
  printf '| Verify HS256 / Go peer HS256 | %s | ≥ 1.2 | %s |\n' "$(ratio "$v" "$gh")" "$(verdict "$(ratio "$v" "$gh")" '>=' 1.2)"
}
