# shellcheck shell=bash disable=SC2154,SC2034
# The h2load section of run_all.sh (sourced; bash): maximum throughput with
# h2load (nghttp2-client), the client the issue's reference numbers used: one
# client thread, 16 connections x 32 streams, pre-framed request bodies.
# h2load checks only the HTTP status, not grpc-status, so every body sent
# here was first answered correctly by load_generator in run_throughput
# (errors=0) against the same servers. Skipped when h2load is missing.
# The sized ceilings are ceiling_server --reply-file answering jwtauth's own
# Verify / Check answer (captured with nghttp) to jwtauth's request bytes:
# what moving those bytes costs the stack, with no other work.

h2load_rows=(ceil_cb ceil_async ceil_sized_verify ceil_sized_check jw_verify jw_check go_hs)

# Starts ceil_sized_verify and ceil_sized_check; on failure sets skip_sized.
start_sized_ceilings() {
  local kind path framed size
  skip_sized=$skip_ceiling
  [ -n "$skip_sized" ] && return 0
  if ! command -v nghttp > /dev/null; then
    skip_sized="nghttp is not installed (deploy/install-deps.sh --bench)"
    return 0
  fi
  for kind in verify check; do
    path=$(h2load_path "jw_$kind") framed="$work/$kind.reply.framed"
    nghttp -d "$work/$kind.bin" -H 'content-type: application/grpc' \
      -H 'te: trailers' "http://127.0.0.1:$jw_port$path" > "$framed" 2> /dev/null || true
    size=$(stat -c %s "$framed" 2> /dev/null || echo 0)
    if [ "$size" -le 5 ]; then
      skip_sized="nghttp did not capture jwtauth's $kind answer"
      return 0
    fi
    tail -c +6 "$framed" > "$work/$kind.reply"  # drop the 5-byte gRPC frame
    if ! start_server "ceil_sized_$kind" "$ceiling" --threading callback \
        --reply-file "$work/$kind.reply"; then
      skip_sized="ceiling_server did not start with --reply-file (an older binary?)"
      return 0
    fi
  done
  log "sized ceilings answer $(stat -c %s "$work/verify.reply") (Verify) and $(stat -c %s "$work/check.reply") (Check) bytes"
}

# row_port, with the sized ceilings.
h2load_port() {
  case $1 in
    ceil_sized_*)
      row_skip=$skip_sized
      [ -z "$row_skip" ] && eval "echo \"\${${1}_port:-}\""
      ;;
    *) row_port "$1" ;;
  esac
}

h2load_path() {
  case $1 in
    ceil_*) echo /grpc.health.v1.Health/Check ;;
    jw_verify|go_hs) echo /jwtauth.v1.AuthService/Verify ;;
    jw_check) echo /envoy.service.auth.v3.Authorization/Check ;;
  esac
}

h2load_body() {
  case $1 in
    ceil_sized_verify) echo "$work/verify.bin" ;;
    ceil_sized_check|jw_check) echo "$work/check.bin" ;;
    ceil_*) echo "$work/health.bin" ;;
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
  start_sized_ceilings
  for round in $(seq 1 "$rounds"); do
    for row in "${h2load_rows[@]}"; do
      port=$(h2load_port "$row")
      if [ -z "$port" ]; then continue; fi
      h2load_one "h2_$row.warm" "$port" "$(h2load_path "$row")" "$(h2load_body "$row")" 20000
      h2load_one "h2_$row.r$round" "$port" "$(h2load_path "$row")" "$(h2load_body "$row")" "$n"
    done
  done
  print_h2load_table
}

print_h2load_table() {
  local row rps base v c gh sized
  base=$(median h2_ceil_cb rps)
  printf '\n### Maximum throughput with h2load (1 client thread, 16 connections × 32 streams)\n\n'
  printf '| what | req/s (median) | range | HTTP 2xx of last round | vs ceiling (callback) | vs ceiling (async) | vs sized ceiling |\n'
  printf '|---|---:|---|---:|---:|---:|---:|\n'
  for row in "${h2load_rows[@]}"; do
    rps=$(median "h2_$row" rps)
    if [ -z "$rps" ]; then
      h2load_port "$row" > /dev/null
      printf '| %s | skipped: %s | | | | | |\n' "$(row_label "$row")" "${row_skip:-no result}"
      continue
    fi
    case $row in
      jw_verify|jw_check) sized=$(ratio "$rps" "$(median "h2_ceil_sized_${row#jw_}" rps)") ;;
      *) sized="" ;;
    esac
    printf '| %s | %s | %s | %s | %s | %s | %s |\n' "$(row_label "$row")" "$rps" \
      "$(range "h2_$row" rps)" "$(field "h2_$row.r$rounds" ok)" "$(ratio "$rps" "$base")" \
      "$(ratio "$rps" "$(median h2_ceil_async rps)")" "$sized"
  done
  v=$(median h2_jw_verify rps) c=$(median h2_jw_check rps) gh=$(median h2_go_hs rps)
  printf '\n| ratio (h2load) | value | target | |\n|---|---:|---|---|\n'
  printf '| Verify / ceiling (callback) | %s | ≥ 0.90 | %s |\n' "$(ratio "$v" "$base")" "$(verdict "$(ratio "$v" "$base")" '>=' 0.90)"
  printf '| Check / ceiling (callback) | %s | ≥ 0.85 | %s |\n' "$(ratio "$c" "$base")" "$(verdict "$(ratio "$c" "$base")" '>=' 0.85)"
  printf '| Verify HS256 / Go peer HS256 | %s | ≥ 1.2 | %s |\n' "$(ratio "$v" "$gh")" "$(verdict "$(ratio "$v" "$gh")" '>=' 1.2)"
  printf '| Verify / sized ceiling (same bytes, no work) | %s | – | |\n' "$(ratio "$v" "$(median h2_ceil_sized_verify rps)")"
  printf '| Check / sized ceiling (same bytes, no work) | %s | – | |\n' "$(ratio "$c" "$(median h2_ceil_sized_check rps)")"
}
