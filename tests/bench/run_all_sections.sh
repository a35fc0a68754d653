# shellcheck shell=bash disable=SC2154,SC2034
# The sections of run_all.sh (sourced; bash): each runs its benchmarks and
# prints one markdown table. Uses the helpers of run_all_lib.sh.

print_header() {
  local model load
  model=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
  load=$(cut -d' ' -f1-3 /proc/loadavg)
  started_at=$SECONDS
  cat << EOF
## Server benchmarks (one run)

- Command: \`tests/bench/run_all.sh $1\`
- Commit: $(git -C "$repo" rev-parse --short HEAD 2> /dev/null || echo unknown)$(git -C "$repo" diff --quiet 2> /dev/null || echo ' (with local changes)'), $(date -u '+%Y-%m-%d %H:%M UTC')
- Machine: $(nproc) CPUs (${model:-unknown}), $(uname -sr); load average before the run: $load
- Client: load_generator (gRPC C++ callback client) on the same machine, $channels connections, $inflight calls in flight (closed loop); closed-loop runs ${max_s} s × $rounds rounds, alternated across servers (medians reported)
EOF
}

print_footer() {
  printf '\nLoad average after the run: %s; the run took %d s.\n' \
    "$(cut -d' ' -f1-3 /proc/loadavg)" $((SECONDS - started_at))
}

# The Go peer (tests/bench/go_peer, Debian's Go packages), when it builds.
start_go_peer() {
  skip_go=""
  local peer="$work/go/go_peer"
  if [ -n "$go_peer_override" ]; then
    peer=$go_peer_override
  elif [ ! -f "$repo/tests/bench/go_peer/build.sh" ]; then
    skip_go="tests/bench/go_peer is not in this tree"
  elif ! command -v go > /dev/null; then
    skip_go="Go is not installed (deploy/install-deps.sh --bench)"
  elif ! sh "$repo/tests/bench/go_peer/build.sh" "$work/go" > "$work/go_build.log" 2>&1; then
    skip_go="go_peer/build.sh failed: $(tail -n 1 "$work/go_build.log")"
  fi
  if [ -z "$skip_go" ] && ! start_server go "$peer" --hs-secret-file "$work/hs.txt" \
      --rsa-public-pem "$work/rs.pub.pem" --issuer https://bench --audience api --kid ""; then
    skip_go="go_peer did not start"
  fi
  if [ -n "$skip_go" ]; then log "Go peer rows skipped: $skip_go"; fi
}

start_ceilings() {
  skip_ceiling=""
  if [ -z "$ceiling" ]; then
    skip_ceiling="tests/bench/ceiling (ceiling_server) is not in this tree"
  else
    start_server ceil_cb "$ceiling" --threading callback || skip_ceiling="ceiling_server did not start"
    start_server ceil_async "$ceiling" --threading async || skip_ceiling="ceiling_server did not start"
  fi
  if [ -n "$skip_ceiling" ]; then log "ceiling rows skipped: $skip_ceiling"; fi
}

start_servers() {
  [ -n "${servers_started:-}" ] && return 0
  servers_started=1
  write_jwtauth_config "$work/jw.yaml" true
  write_jwtauth_config "$work/jw_nocache.yaml" false
  start_server jw "$build/server/jwtauth-server" --config "$work/jw.yaml"
  sleep 1
  rss_idle=$(vmrss_mib "$jw_pid")  # before any request
  start_server jw_nocache "$build/server/jwtauth-server" --config "$work/jw_nocache.yaml"
  start_ceilings
  start_go_peer
}

throughput_rows=(ceil_cb ceil_async jw_health jw_verify jw_check go_hs jw_rs_nocache go_rs)

row_label() {
  case $1 in
    ceil_cb) echo "ceiling: bare gRPC health Check, callback API" ;;
    ceil_async) echo "ceiling: bare gRPC health Check, async API" ;;
    ceil_sized_verify) echo "sized ceiling: callback, raw, Verify's request in and jwtauth's answer out, no work" ;;
    ceil_sized_check) echo "sized ceiling: callback, raw, Check's request in and jwtauth's answer out, no work" ;;
    jw_health) echo "jwtauth-server health Check (no JWT work)" ;;
    jw_verify) echo "jwtauth Verify, one HS256 token (cache hit)" ;;
    jw_check) echo "jwtauth Check (Envoy CheckRequest), same token (cache hit)" ;;
    go_hs) echo "Go peer Verify HS256 (golang-jwt + grpc-go, no cache)" ;;
    jw_rs_nocache) echo "jwtauth Verify RS256, cache off" ;;
    go_rs) echo "Go peer Verify RS256" ;;
  esac
}

# The server port of a row; empty (with the reason in row_skip) if absent.
row_port() {
  row_skip=""
  case $1 in
    ceil_*) [ -n "$skip_ceiling" ] && row_skip=$skip_ceiling ;;
    go_*) [ -n "$skip_go" ] && row_skip=$skip_go ;;
  esac
  if [ -n "$row_skip" ]; then return 0; fi
  case $1 in
    ceil_cb) echo "$ceil_cb_port" ;;
    ceil_async) echo "$ceil_async_port" ;;
    jw_rs_nocache) echo "$jw_nocache_port" ;;
    go_*) echo "$go_port" ;;
    *) echo "$jw_port" ;;
  esac
}

row_flags() {
  case $1 in
    ceil_*|jw_health) echo "--method health" ;;
    jw_verify|go_hs) echo "--method verify $(hs_flags)" ;;
    jw_check) echo "--method check $(hs_flags)" ;;
    jw_rs_nocache|go_rs) echo "--method verify $(rs_flags)" ;;
  esac
}

run_throughput() {
  local round row port
  start_servers
  for round in $(seq 1 "$rounds"); do
    for row in "${throughput_rows[@]}"; do
      port=$(row_port "$row")
      if [ -z "$port" ]; then continue; fi
      # shellcheck disable=SC2046
      lg "$row.r$round" "$port" $(row_flags "$row") --label "$row" \
        --inflight "$inflight" --seconds "$max_s" --requests 1000000000 --warmup 2000
    done
  done
  print_throughput_table
  print_ratio_table
}

print_throughput_table() {
  local row rps base
  base=$(median ceil_cb rps)
  printf '\n### Maximum throughput (closed loop)\n\n'
  printf '| what | req/s (median) | range | p50 µs | p99 µs | vs ceiling (callback) |\n'
  printf '|---|---:|---|---:|---:|---:|\n'
  for row in "${throughput_rows[@]}"; do
    row_port "$row" > /dev/null
    if [ -n "$row_skip" ] || [ -z "$(median "$row" rps)" ]; then
      printf '| %s | skipped: %s | | | | |\n' "$(row_label "$row")" "${row_skip:-no result}"
      continue
    fi
    rps=$(median "$row" rps)
    printf '| %s | %s | %s | %s | %s | %s |\n' "$(row_label "$row")" "$rps" \
      "$(range "$row" rps)" "$(median "$row" p50_us)" "$(median "$row" p99_us)" \
      "$(ratio "$rps" "$base")"
  done
}

print_ratio_table() {
  local v c a gh gr r1 r2 r3 r4 r5
  v=$(median jw_verify rps) c=$(median jw_check rps) a=$(median ceil_async rps)
  gh=$(median go_hs rps) gr=$(median go_rs rps)
  r1=$(ratio "$v" "$(median ceil_cb rps)") r2=$(ratio "$c" "$(median ceil_cb rps)")
  r3=$(ratio "$v" "$gh") r4=$(ratio "$(median jw_rs_nocache rps)" "$gr")
  r5=$(ratio "$v" "$a")
  printf '\n### Ratios (same run)\n\n| ratio | value | target | |\n|---|---:|---|---|\n'
  printf '| Verify / ceiling (callback) | %s | ≥ 0.90 | %s |\n' "$r1" "$(verdict "$r1" '>=' 0.90)"
  printf '| Check / ceiling (callback) | %s | ≥ 0.85 | %s |\n' "$r2" "$(verdict "$r2" '>=' 0.85)"
  printf '| Verify / ceiling (async) | %s | – | |\n' "$r5"
  printf '| Verify HS256 / Go peer HS256 | %s | ≥ 1.2 | %s |\n' "$r3" "$(verdict "$r3" '>=' 1.2)"
  printf '| Verify RS256 cache off / Go peer RS256 | %s | ≥ 1.0 | %s |\n' "$r4" "$(verdict "$r4" '>=' 1.0)"
}

# Open loop at 50 % of each measured maximum; the ceiling at the Verify rate
# shows what the client and gRPC alone add to the percentiles.
run_open_loop() {
  local round open_rounds rate_v rate_c
  rate_v=$(half "$(median jw_verify rps)") rate_c=$(half "$(median jw_check rps)")
  open_rounds=$((rounds < 2 ? rounds : 2))
  for round in $(seq 1 "$open_rounds"); do
    # shellcheck disable=SC2046
    if [ -n "$rate_v" ]; then
      lg "open_verify.r$round" "$jw_port" --method verify $(hs_flags) \
        --rate "$rate_v" --seconds "$open_s" --requests 1000000000 --label open_verify
    fi
    # shellcheck disable=SC2046
    if [ -n "$rate_c" ]; then
      lg "open_check.r$round" "$jw_port" --method check $(hs_flags) \
        --rate "$rate_c" --seconds "$open_s" --requests 1000000000 --label open_check
    fi
    if [ -z "$skip_ceiling" ] && [ -n "$rate_v" ]; then
      lg "open_ceiling.r$round" "$ceil_cb_port" --method health --rate "$rate_v" \
        --seconds "$open_s" --requests 1000000000 --label open_ceiling
    fi
  done
  print_open_table
}

print_open_table() {
  local row label p99
  printf '\n### Latency at 50 %% of the measured maximum (open loop, from the scheduled send)\n\n'
  printf '| what | offered req/s | achieved | p50 µs | p90 µs | p99 µs | p99.9 µs | max µs | p99 ≤ 1 ms |\n'
  printf '|---|---:|---:|---:|---:|---:|---:|---:|---|\n'
  for row in open_verify open_check open_ceiling; do
    case $row in
      open_verify) label="jwtauth Verify (cache hit)" ;;
      open_check) label="jwtauth Check (cache hit)" ;;
      open_ceiling) label="ceiling (callback), at the Verify rate" ;;
    esac
    if [ -z "$(median "$row" rps)" ]; then
      printf '| %s | skipped | | | | | | | |\n' "$label"
      continue
    fi
    p99=$(median "$row" p99_us)
    printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' "$label" \
      "$(median "$row" rate)" "$(median "$row" rps)" "$(median "$row" p50_us)" \
      "$(median "$row" p90_us)" "$p99" "$(median "$row" p999_us)" \
      "$(median "$row" max_us)" "$( [ "$row" = open_ceiling ] && echo – || verdict "$p99" '<' 1001)"
  done
}

# 10,000 HS256 tokens, 10 % with a corrupted signature, on the cache-on
# server: closed loop (throughput), then open loop at half of it (latency).
# The warmup passes over every token once, so valid tokens are cached.
run_token_mix() {
  local mix="--method verify --tokens 10000 --invalid-fraction 0.1 --warmup 10000"
  # shellcheck disable=SC2046,SC2086
  lg mix_closed.r1 "$jw_port" $mix $(hs_flags) --inflight "$inflight" \
    --seconds "$mix_s" --requests 1000000000 --label mix_closed
  local rate
  rate=$(half "$(field mix_closed.r1 rps)")
  # shellcheck disable=SC2046,SC2086
  if [ -n "$rate" ]; then
    lg mix_open.r1 "$jw_port" $mix $(hs_flags) --rate "$rate" \
      --seconds "$mix_s" --requests 1000000000 --label mix_open
  fi
  print_mix_table
}

print_mix_table() {
  local row vp50 vp99 ip50 ip99 r50 r99
  printf '\n### 10,000 distinct HS256 tokens, 10 %% invalid (corrupted signature)\n\n'
  printf '| run | req/s | vs one hot token | p99 µs | valid p50 | valid p99 | invalid p50 | invalid p99 | invalid/valid p50 | invalid/valid p99 |\n'
  printf '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n'
  for row in mix_closed mix_open; do
    if [ -z "$(field "$row.r1" rps)" ]; then
      printf '| %s | skipped | | | | | | | | |\n' "$row"
      continue
    fi
    vp50=$(field "$row.r1" valid_p50_us) vp99=$(field "$row.r1" valid_p99_us)
    ip50=$(field "$row.r1" invalid_p50_us) ip99=$(field "$row.r1" invalid_p99_us)
    r50=$(ratio "$ip50" "$vp50") r99=$(ratio "$ip99" "$vp99")
    printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' \
      "$( [ $row = mix_closed ] && echo "closed loop" || echo "open loop at 50 %")" \
      "$(field "$row.r1" rps)" \
      "$( [ $row = mix_closed ] && ratio "$(field "$row.r1" rps)" "$(median jw_verify rps)" || echo –)" \
      "$(field "$row.r1" p99_us)" "$vp50" "$vp99" "$ip50" "$ip99" "$r50" "$r99"
  done
  printf '\nTarget "invalid tokens never cost more than a valid one" (open loop, invalid/valid p50 ≤ 1.05 allowing for noise): %s\n' \
    "$(verdict "$(ratio "$(field mix_open.r1 invalid_p50_us)" "$(field mix_open.r1 valid_p50_us)")" '<' 1.051)"
}

# JWKS sources: k0 serves the signing key (never changes), k1..k10 serve
# 100 keys each: set 0 is keys/k0..k9, set 1 keys/k10..k19.
install_key_set() {
  local i
  for i in $(seq 1 10); do
    cp "$work/keys/k$(($1 * 10 + i - 1)).json" "$work/served/.k$i.tmp"
    mv "$work/served/.k$i.tmp" "$work/served/k$i.json"
  done
}

write_jwks_config() {
  local i
  {
    server_yaml "127.0.0.1:0"
    printf 'providers:\n  - name: jwks\n    issuers: [https://bench]\n    audiences: [api]\n    jwks_urls:\n'
    for i in $(seq 0 10); do
      printf '      - {url: "http://127.0.0.1:%s/k%s.json", refresh: {default: 1s, min: 1s, max: 1s}}\n' \
        "$1" "$i"
    done
  } > "$work/jwks.yaml"
}

start_jwks_servers() {
  local logf="$work/jwks_http.log" http_port=""
  mkdir -p "$work/served"
  cp "$work/keys/signing.json" "$work/served/k0.json"
  install_key_set 0
  python3 "$here/jwks_server.py" "$work/served" 2> "$logf" &
  pids+=("$!")
  jwks_http_pid=$!
  for _ in $(seq 1 100); do
    http_port=$(sed -n 's/.*"http_port": *"\([0-9]*\)".*/\1/p' "$logf")
    if [ -n "$http_port" ]; then break; fi
    sleep 0.1
  done
  if [ -z "$http_port" ]; then log "jwks_server.py did not start"; return 1; fi
  write_jwks_config "$http_port"
  start_server jwk "$build/server/jwtauth-server" --config "$work/jwks.yaml" || return 1
  wait_for_events jwk jwks_loaded 11 30 || { log "JWKS not loaded"; return 1; }
}

# Swaps the ten 100-key sources between the two sets every 2 s (each
# refresh interval is 1 s, so every swap is fetched).
swap_key_sets() {
  local set=0
  while true; do
    sleep 2
    set=$((1 - set))
    install_key_set "$set"
  done
}

es_flags() { echo "--method verify --alg ES256 --key-file $work/es.pem --kid es1 --tokens 100"; }

cache_counts() {
  local admin
  admin=$(serving_field jwk admin_port)
  echo "$(metric "$admin" 'jwtauth_cache_lookups_total{result="hit"}') $(metric "$admin" 'jwtauth_cache_lookups_total{result="miss"}')"
}

# run_jwks_one RESULT swap|steady RATE: one open-loop Verify run; records the
# JWKS loads and the cache hit share seen during it.
run_jwks_one() {
  local before swapper="" cache_before cache_after
  before=$(grep -c '"event":"jwks_loaded"' "$work/jwk.log" || true)
  cache_before=$(cache_counts)
  if [ "$2" = swap ]; then
    swap_key_sets &
    swapper=$!
    pids+=("$swapper")
  fi
  # shellcheck disable=SC2046
  lg "$1" "$jwk_port" $(es_flags) --rate "$3" --seconds "$jwks_s" \
    --requests 1000000000 --label "$2"
  if [ -n "$swapper" ]; then
    kill -TERM "$swapper" 2> /dev/null || true
    wait "$swapper" 2> /dev/null || true
    install_key_set 0
  fi
  echo $(($(grep -c '"event":"jwks_loaded"' "$work/jwk.log" || true) - before)) > "$work/res/$1.loads"
  cache_after=$(cache_counts)
  # shellcheck disable=SC2086
  set -- $cache_before $cache_after "$1"
  awk -v h="$(($3 - $1))" -v m="$(($4 - $2))" 'BEGIN {
    if (h + m > 0) printf "%.1f %%\n", 100 * h / (h + m); else print "?" }' > "$work/res/$5.hits"
}

run_jwks_refresh() {
  local round rate jwks_rounds
  printf '\n### JWKS refresh replacing 1,000 keys during open-loop Verify\n\n'
  if ! start_jwks_servers; then
    printf 'skipped: the JWKS servers did not start (see the log above)\n'
    return 0
  fi
  # Half of this server's own maximum (ES256 tokens, refreshes running).
  # shellcheck disable=SC2046
  lg jwks_max.r1 "$jwk_port" $(es_flags) --inflight "$inflight" --seconds "$max_s" \
    --requests 1000000000 --label jwks_max
  rate=$(half "$(field jwks_max.r1 rps)")
  rate=${rate:-1000}
  jwks_rounds=$((rounds < 2 ? rounds : 2))
  for round in $(seq 1 "$jwks_rounds"); do
    run_jwks_one "jwks_steady.r$round" steady "$rate"
    run_jwks_one "jwks_swap.r$round" swap "$rate"
  done
  stop_server jwk
  print_jwks_table "$jwks_rounds"
}

print_jwks_table() {
  local row r99
  printf 'Eleven JWKS URLs refreshed every 1 s (the signing key alone, and ten sources of 100 ES256 keys: jwtauth loads at most 100 keys per source); "swap" replaces all 1,000 keys every 2 s, "steady" refreshes the same documents. 100 ES256 tokens, open loop at half of this server'"'"'s closed-loop maximum (%s req/s), %s round(s) alternated.\n\n' \
    "$(field jwks_max.r1 rps)" "$1"
  printf '| run | offered req/s | JWKS loads seen | cache hits | p50 µs | p99 µs | p99.9 µs | max µs | errors |\n'
  printf '|---|---:|---:|---:|---:|---:|---:|---:|---:|\n'
  for row in jwks_steady jwks_swap; do
    printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' "${row#jwks_}" \
      "$(median "$row" rate)" "$(cat "$work/res/$row.r1.loads" 2> /dev/null)" \
      "$(cat "$work/res/$row.r1.hits" 2> /dev/null)" \
      "$(median "$row" p50_us)" "$(median "$row" p99_us)" "$(median "$row" p999_us)" \
      "$(median "$row" max_us)" "$(median "$row" errors)"
  done
  r99=$(ratio "$(median jwks_swap p99_us)" "$(median jwks_steady p99_us)")
  printf '\n(JWKS loads and cache hits: round 1.) p99 swap / steady: %s (target < 1.10: %s)\n' \
    "$r99" "$(verdict "$r99" '<' 1.10)"
}

# 10,000 keys: 100 jwks_file entries of 100 ES256 keys each, plus hs1.
write_many_keys_config() {
  local i
  {
    server_yaml "127.0.0.1:0"
    printf 'cache: {enabled: true, max_entries: 150000}\n'
    printf 'providers:\n  - name: many\n    issuers: [https://bench]\n    audiences: [api]\n    keys:\n'
    printf '      - {kid: hs1, alg: HS256, secret_file: %s}\n' "$work/hs.txt"
    for i in $(seq 0 99); do
      printf '      - {jwks_file: %s}\n' "$work/keys/k$i.json"
    done
  } > "$work/many.yaml"
}

metric() {
  { curl -s "http://127.0.0.1:$1/metrics" || true; } |
    sed -n "s/^$2 \\([0-9.e+]*\\)\$/\\1/p" | head -n 1
}

run_rss() {
  local admin keys rss_keys rss_tokens hits
  write_many_keys_config
  printf '\n### Memory (VmRSS of jwtauth-server)\n\n'
  if ! start_server many "$build/server/jwtauth-server" --config "$work/many.yaml"; then
    printf 'skipped: the 10,000-key server did not start\n'
    return 0
  fi
  admin=$(serving_field many admin_port)
  sleep 1
  rss_keys=$(vmrss_mib "$many_pid")
  keys=$(metric "$admin" 'jwtauth_keys{provider="many"}')
  # 100,000 distinct tokens, forth then back: the first pass caches them,
  # the hits of the second pass count how many stayed cached.
  # shellcheck disable=SC2046
  lg rss_tokens.r1 "$many_port" --method verify $(hs_flags) --tokens 100000 \
    --token-order zigzag --requests 200000 --warmup 0 --seconds 300 \
    --inflight "$inflight" --label rss_tokens
  sleep 1
  rss_tokens=$(vmrss_mib "$many_pid")
  hits=$(metric "$admin" 'jwtauth_cache_lookups_total{result="hit"}')
  stop_server many
  printf '| state | VmRSS MiB | target | |\n|---|---:|---|---|\n'
  printf '| idle after start (HS256 + RS256 provider) | %s | < 30 | %s |\n' "${rss_idle:-n/a}" "$(verdict "${rss_idle:-n/a}" '<' 30)"
  printf '| %s keys loaded (100 JWKS files of ES256 keys + hs1), idle | %s | – | |\n' "${keys:-?}" "$rss_keys"
  printf '| + 100,000 distinct tokens verified (%s of them still cached: hits of a second, reversed pass) | %s | < 200 | %s |\n' \
    "${hits:-?}" "$rss_tokens" "$(verdict "$rss_tokens" '<' 200)"
}
