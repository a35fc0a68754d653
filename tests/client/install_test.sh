#!/usr/bin/env bash
# The installed package, end to end: `cmake --install` of this build tree
# into a fresh prefix, client/examples configured and built as a standalone
# project with find_package(jwtauth) from that prefix only, and the
# resulting binary run against real jwtauth-server processes on 127.0.0.1
# (port 0, plaintext): the embedded dev config (keys, direct issue as a
# loopback caller, remote verify) and a config with token exchange (a
# partner's HS256 token exchanged for one of the service's, the call
# authenticated by a caller token; refused without it); and a caller's
# test project linking jwtauth::client_testing (MockClient) builds and passes.
#
#   install_test.sh BUILD_DIR SOURCE_DIR WORK_DIR SERVER_BINARY [CXX] [LAUNCHER] [SANITIZE]
# SANITIZE: the build tree's -fsanitize list (its libraries need the runtime).
set -euo pipefail
build_dir=$1 source_dir=$2 work=$3 server=$4 cxx=${5:-} launcher=${6:-}
sanitize=${7:-}

rm -rf "$work"
mkdir -p "$work"
step() { echo "== $* ($SECONDS s)"; }

step "install into $work/prefix"
cmake --install "$build_dir" --prefix "$work/prefix" > "$work/install.log"
test -f "$work/prefix/lib/cmake/jwtauth/jwtauthConfig.cmake"
test -f "$work/prefix/include/jwtauth/client/client.h"
test -f "$work/prefix/include/jwtauth/jwtauth/v1/auth.pb.h"

step "configure client/examples against the prefix"
args=(-S "$source_dir/client/examples" -B "$work/build" -G Ninja
      -DCMAKE_BUILD_TYPE=Debug "-DCMAKE_PREFIX_PATH=$work/prefix")
[ -n "$cxx" ] && args+=("-DCMAKE_CXX_COMPILER=$cxx")
[ -n "$launcher" ] && args+=("-DCMAKE_CXX_COMPILER_LAUNCHER=$launcher")
[ -n "$sanitize" ] && args+=("-DCMAKE_CXX_FLAGS=-fsanitize=$sanitize"
                             "-DCMAKE_EXE_LINKER_FLAGS=-fsanitize=$sanitize")
cmake "${args[@]}" > "$work/configure.log" || { cat "$work/configure.log"; exit 1; }
# The package, not the source tree, must have supplied jwtauth::client.
grep -q "jwtauth_DIR:PATH=$work/prefix/lib/cmake/jwtauth" "$work/build/CMakeCache.txt"

step "build"
cmake --build "$work/build" > "$work/build.log" 2>&1 || { cat "$work/build.log"; exit 1; }
example="$work/build/jwtauth_client_example"
"$example" --helpshort > /dev/null 2>&1 || true  # absl exits 1 after help

# start_server NAME [--config FILE]: a jwtauth-server on 127.0.0.1:0; sets
# $port from its "serving" log line. Killed on exit.
pids=()
trap 'for p in "${pids[@]}"; do kill $p 2>/dev/null || true; done; wait' EXIT
start_server() {
  local name=$1; shift
  env -u JWTAUTH_CONFIG JWTAUTH_SERVER_LISTEN=127.0.0.1:0 \
      JWTAUTH_SERVER_ADMIN_LISTEN=127.0.0.1:0 \
      "$server" "$@" > "$work/$name.out" 2> "$work/$name.err" &
  local pid=$!
  pids+=($pid)
  port=
  for _ in $(seq 1 600); do
    port=$(grep -o '"event":"serving".*' "$work/$name.err" 2>/dev/null |
           grep -o '"grpc_port":"\?[0-9]*' | grep -o '[0-9]*$' | head -1 || true)
    [ -n "$port" ] && return 0
    kill -0 $pid 2>/dev/null || break
    sleep 0.1
  done
  echo "jwtauth-server ($name) did not start"; cat "$work/$name.err"; exit 1
}

step "start jwtauth-server (dev default, 127.0.0.1:0)"
start_server dev

step "run the installed-package example against 127.0.0.1:$port"
"$example" --target="127.0.0.1:$port" --plaintext --subject=alice \
  --local_provider=dev --local_issuer=jwtauth-dev --local_audience=jwtauth-dev \
  > "$work/example.out" 2>&1 || { cat "$work/example.out"; exit 1; }
cat "$work/example.out"
grep -q '^key: provider=dev kid=dev-ephemeral alg=ES256$' "$work/example.out"
grep -q '^issued: mode=direct kid=dev-ephemeral$' "$work/example.out"
grep -q '^remote: valid provider=dev kid=dev-ephemeral alg=ES256 sub=alice$' "$work/example.out"
grep -q '^local: valid provider=dev kid=dev-ephemeral alg=ES256 sub=alice (decided locally)$' "$work/example.out"

step "exchange: a partner token for one of ours, the caller authenticated by its own token"
secret=$(head -c 32 /dev/urandom | openssl base64 -A | tr '+/' '-_' | tr -d '=')
printf %s "$secret" > "$work/partner.secret"
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
  -out "$work/sign.pem" 2> /dev/null
b64url() { openssl base64 -A | tr '+/' '-_' | tr -d '='; }
hs256() {  # payload JSON → compact JWS signed with the partner's secret
  local h p
  h=$(printf '{"alg":"HS256","typ":"JWT","kid":"p1"}' | b64url)
  p=$(printf %s "$1" | b64url)
  printf '%s.%s.%s' "$h" "$p" "$(printf '%s.%s' "$h" "$p" |
    openssl dgst -sha256 -mac HMAC -macopt "key:$secret" -binary | b64url)"
}
now=$(date +%s)
claims='"iss":"https://partner.test","aud":"jwtauth","iat":'$now',"exp":'$((now + 600))
subject_token=$(hs256 "{$claims,\"sub\":\"alice\"}")
caller_token=$(hs256 "{$claims,\"sub\":\"gateway\",\"scope\":\"jwtauth.exchange\"}")
cat > "$work/exchange.yaml" <<YAML
signing: {alg: ES256, kid: k1, private_key_file: "$work/sign.pem",
          issuer: https://issuer.test}
providers:
  - {name: partner, issuers: [https://partner.test], audiences: [jwtauth],
     keys: [{kid: p1, alg: HS256, secret_file: "$work/partner.secret"}]}
  - {name: self, issuers: [https://issuer.test], audiences: [orders]}
issue:
  exchange: {enabled: true, allowed_providers: [partner],
             allowed_audiences: [orders], require_caller: true,
             caller_providers: [partner]}
YAML
start_server exchange --config "$work/exchange.yaml"
"$example" --target="127.0.0.1:$port" --plaintext --audience=orders \
  --subject_token="$subject_token" --caller_token="$caller_token" \
  > "$work/exchange.out" 2>&1 || { cat "$work/exchange.out" "$work/exchange.err"; exit 1; }
cat "$work/exchange.out"
grep -q '^key: provider=self kid=k1 alg=ES256$' "$work/exchange.out"
grep -q '^issued: mode=exchange kid=k1$' "$work/exchange.out"
grep -q '^remote: valid provider=self kid=k1 alg=ES256 sub=alice$' "$work/exchange.out"
# Without the caller's token the service refuses the exchange: exit 3.
set +e
"$example" --target="127.0.0.1:$port" --plaintext --audience=orders \
  --subject_token="$subject_token" > "$work/refused.out" 2>&1
rc=$?
set -e
[ $rc -eq 3 ] && grep -q 'PERMISSION_DENIED' "$work/refused.out" ||
  { cat "$work/refused.out"; exit 1; }

step "jwtauth::client_testing: a caller's test links MockClient from the package"
mkdir -p "$work/mock_consumer"
cat > "$work/mock_consumer/CMakeLists.txt" <<'CMAKE'
cmake_minimum_required(VERSION 3.16)
project(mock_consumer LANGUAGES CXX)
set(CMAKE_CXX_STANDARD 17)
find_package(jwtauth CONFIG REQUIRED)
add_executable(mock_consumer_test mock_consumer_test.cc)
target_link_libraries(mock_consumer_test PRIVATE jwtauth::client_testing GTest::gmock_main)
CMAKE
cat > "$work/mock_consumer/mock_consumer_test.cc" <<'CC'
#include "client/testing/mock_client.h"
#include "gtest/gtest.h"
TEST(MockConsumer, VerifyThroughTheInterface) {
  jwtauth::client::testing::MockClient mock;
  jwtauth::client::VerifyResult ok;
  ok.valid = true;
  EXPECT_CALL(mock, Verify(::testing::_, ::testing::_))
      .WillOnce(::testing::Return(ok));
  const jwtauth::client::ClientInterface& client = mock;
  EXPECT_TRUE(client.Verify("token")->valid);
}
CC
args[1]="$work/mock_consumer"
args[3]="$work/mock_build"
cmake "${args[@]}" > "$work/mock_configure.log" || { cat "$work/mock_configure.log"; exit 1; }
cmake --build "$work/mock_build" > "$work/mock_build.log" 2>&1 || { cat "$work/mock_build.log"; exit 1; }
"$work/mock_build/mock_consumer_test" > "$work/mock_test.out" 2>&1 || { cat "$work/mock_test.out"; exit 1; }

step "a bad option exits 3 and names the field"
set +e
"$example" --target="127.0.0.1:$port" --tls_ca="$work/missing.pem" > "$work/bad.out" 2>&1
rc=$?
set -e
[ $rc -eq 3 ] && grep -q 'tls.ca_file' "$work/bad.out" || { cat "$work/bad.out"; exit 1; }
step "ok"
