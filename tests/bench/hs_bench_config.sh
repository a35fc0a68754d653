# shellcheck shell=sh
# Sourced by the A/B benchmark scripts (POSIX sh).
#
# write_hs_bench_config FILE [THREADING]: writes a jwtauth-server config to
# FILE, and the HS256 secret it names to hs.txt beside it: one provider
# "bench" (issuer https://bench, audience api, key hs1), an ext_authz route
# for every path, gRPC on 127.0.0.1:0, no admin port, no file watching, and
# server.threading THREADING when given. The load generator's matching
# flags: --secret-file DIR/hs.txt --kid hs1 --issuer https://bench
# --audience api.
write_hs_bench_config() {
  threading=""
  if [ -n "${2:-}" ]; then threading=", threading: $2"; fi
  printf 'bench-secret-0123456789abcdef0123456789' > "$(dirname "$1")/hs.txt"
  cat > "$1" <<YAML
server: {listen: "127.0.0.1:0", admin_listen: "", watch_interval: "0"$threading}
providers:
  - name: bench
    issuers: [https://bench]
    audiences: [api]
    keys: [{kid: hs1, alg: HS256, secret_file: hs.txt}]
ext_authz:
  routes:
    - name: api
      match: {path_prefix: /}
log: {level: info}
YAML
}
