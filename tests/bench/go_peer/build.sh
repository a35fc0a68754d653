#!/bin/sh
# Builds go_peer offline from Debian's Go packages (GOPATH mode, no module
# downloads):  tests/bench/go_peer/build.sh OUTDIR  →  OUTDIR/go_peer
# The Go code for proto/jwtauth/v1/auth.proto is generated into a temporary
# GOPATH on every build and never committed.
set -eu
out=${1:?usage: build.sh OUTDIR}
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../../.." && pwd)
gocode=/usr/share/gocode/src

missing=""
need() {  # need PACKAGE TEST...: PACKAGE is missing unless the test passes
  pkg=$1; shift
  "$@" >/dev/null 2>&1 || missing="$missing $pkg"
}
need golang-go command -v go
need protobuf-compiler command -v protoc
need protoc-gen-go command -v protoc-gen-go
need protoc-gen-go-grpc command -v protoc-gen-go-grpc
need golang-google-grpc-dev test -d "$gocode/google.golang.org/grpc"
need golang-google-protobuf-dev test -d "$gocode/google.golang.org/protobuf/types/known/structpb"
need golang-github-golang-jwt-jwt-dev test -d "$gocode/github.com/golang-jwt/jwt"
need libprotobuf-dev test -f /usr/include/google/protobuf/struct.proto
if [ -n "$missing" ]; then
  echo "go_peer/build.sh: missing Debian packages:$missing" >&2
  echo "  install them with: deploy/install-deps.sh --bench" >&2
  exit 1
fi

mkdir -p "$out"
out=$(cd "$out" && pwd)
gopath=$(mktemp -d)
trap 'rm -rf "$gopath"' EXIT
mkdir -p "$gopath/src"
# Go's build cache defaults to $HOME/.cache/go-build; without HOME, a
# temporary one.
if [ -z "${GOCACHE:-}" ] && [ -z "${HOME:-}" ]; then
  export GOCACHE="$gopath/cache"
fi
# go_package "jwtauth/v1;jwtauthv1" → $gopath/src/jwtauth/v1, imported as
# "jwtauth/v1".
protoc --proto_path="$repo/proto" --proto_path=/usr/include \
  --go_out="$gopath/src" --go-grpc_out="$gopath/src" jwtauth/v1/auth.proto
cp "$here/main.go" "$gopath/src/go_peer.go"
cd "$gopath/src"
GO111MODULE=off GOPROXY=off GOPATH="/usr/share/gocode:$gopath" go build -o "$out/go_peer" go_peer.go
echo "go_peer/build.sh: built $out/go_peer"
