#!/usr/bin/env bash
# The installed package, end to end: `cmake --install` of this build tree
# into a fresh prefix, client/examples configured and built as a standalone
# project with find_package(jwtauth) from that prefix only, and the
# resulting binary run against a real jwtauth-server (embedded dev config,
# plaintext on 127.0.0.1, port 0: it lists keys, issues a token directly as
# a loopback caller, verifies it).
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

step "start jwtauth-server (dev default, 127.0.0.1:0)"
env -u JWTAUTH_CONFIG JWTAUTH_SERVER_LISTEN=127.0.0.1:0 \
    JWTAUTH_SERVER_ADMIN_LISTEN=127.0.0.1:0 \
    "$server" > "$work/server.out" 2> "$work/server.err" &
server_pid=$!
trap 'kill $server_pid 2>/dev/null || true; wait $server_pid 2>/dev/null || true' EXIT
port=
for _ in $(seq 1 600); do
  port=$(grep -o '"event":"serving".*' "$work/server.err" 2>/dev/null |
         grep -o '"grpc_port":"\?[0-9]*' | grep -o '[0-9]*$' | head -1 || true)
  [ -n "$port" ] && break
  kill -0 $server_pid 2>/dev/null || { cat "$work/server.err"; exit 1; }
  sleep 0.1
done
[ -n "$port" ] || { echo "server did not start"; cat "$work/server.err"; exit 1; }

step "run the installed-package example against 127.0.0.1:$port"
"$example" --target="127.0.0.1:$port" --plaintext --subject=alice \
  > "$work/example.out" 2>&1 || { cat "$work/example.out"; exit 1; }
cat "$work/example.out"
grep -q '^key: kid=dev-ephemeral alg=ES256$' "$work/example.out"
grep -q '^issued: mode=direct kid=dev-ephemeral$' "$work/example.out"
grep -q '^remote: valid provider=dev kid=dev-ephemeral alg=ES256 sub=alice$' "$work/example.out"

step "a bad option exits 3 and names the field"
set +e
"$example" --target="127.0.0.1:$port" --tls_ca="$work/missing.pem" > "$work/bad.out" 2>&1
rc=$?
set -e
[ $rc -eq 3 ] && grep -q 'tls.ca_file' "$work/bad.out" || { cat "$work/bad.out"; exit 1; }
step "ok"
