#!/usr/bin/env bash
# Installs everything jwtauth needs to build, test and run on Debian 12.
# Idempotent and non-interactive; run as root (or with sudo available).
#   deploy/install-deps.sh           build, test and CI dependencies
#   deploy/install-deps.sh --bench   also the benchmark tools: h2load and the
#                                    Go toolchain + packages for the Go peer
#                                    (tests/bench/go_peer)
set -euo pipefail

BENCH=0
for arg in "$@"; do
  case "$arg" in
    --bench) BENCH=1 ;;
    *) echo "usage: deploy/install-deps.sh [--bench]" >&2; exit 2 ;;
  esac
done

PACKAGES=(
  build-essential cmake ninja-build pkg-config git ca-certificates
  libgrpc++-dev libgrpc-dev protobuf-compiler protobuf-compiler-grpc libprotobuf-dev grpc-proto
  libabsl-dev nlohmann-json3-dev libgtest-dev libgmock-dev libbenchmark-dev
  libssl-dev openssl libcurl4-openssl-dev libcpp-httplib-dev libyaml-cpp-dev
  libcli11-dev prometheus-cpp-dev
)
# Build speed only: lld links the ~140 test and tool binaries in a third of
# GNU ld's time (CMakeLists.txt, JWTAUTH_USE_LLD); without it the build
# falls back to the default linker.
PACKAGES+=(lld)
# CI-only tools: the format/lint gate (deploy/lint.sh, which also runs
# clang's thread-safety analysis) and the clang-tsa and fuzz presets.
PACKAGES+=(clang clang-format clang-tidy)
# Second crypto backend for core/ (the boringssl preset).
PACKAGES+=(android-libboringssl-dev)
# Test-only tools: Node.js runs the cross-language client tests.
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  PACKAGES+=(nodejs npm)
fi
# Benchmark tools, opt-in: h2load drives the servers; the rest builds
# tests/bench/go_peer offline (GOPATH mode).
if [ "$BENCH" -eq 1 ]; then
  PACKAGES+=(nghttp2-client golang-go golang-google-grpc-dev
             golang-github-golang-jwt-jwt-dev golang-google-protobuf-dev
             protoc-gen-go protoc-gen-go-grpc)
fi

# tests/deploy renders deploy/k8s with `kubectl kustomize` and needs kubectl
# >= 1.27 (kustomize v5). Debian 12's kubernetes-client is 1.20, too old, so
# it is not installed here: take kubectl from the Kubernetes apt repository.
if ! command -v kubectl >/dev/null 2>&1; then
  echo "install-deps: warning: kubectl (>= 1.27) not found; the 'deploy' tests will fail without it" >&2
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -eq 0 ]; then
  echo "install-deps: all packages already installed"
  exit 0
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
