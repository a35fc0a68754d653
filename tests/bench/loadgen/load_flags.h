#ifndef JWTAUTH_TESTS_BENCH_LOADGEN_LOAD_FLAGS_H_
#define JWTAUTH_TESTS_BENCH_LOADGEN_LOAD_FLAGS_H_

// LoadFlags: the load generator's command line, parsed and bounded. A run is
// always bounded by a request count and a time limit, targets loopback only
// (a load generator must not be pointed at someone else's service), and
// every numeric flag has a ceiling.

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "core/algorithm.h"

namespace jwtauth::loadgen {

enum class Method { kVerify, kCheck, kHealth };
absl::string_view MethodName(Method method);

struct LoadFlags {
  std::string target = "127.0.0.1:50051";
  std::string label = "server";
  Method method = Method::kVerify;

  // Tokens (Verify and Check).
  Algorithm alg = Algorithm::kHs256;
  std::string secret_file;  // HS*: the secret
  std::string key_file;     // RS256/ES256: the private key PEM
  std::string kid = "hs1";
  std::string issuer = "https://bench";
  std::string audience = "api";
  int64_t tokens = 1;
  double invalid_fraction = 0;
  // > 0: the invalid share is garbage of this many bytes instead.
  int64_t garbage_bytes = 0;
  // Token order: 0..N-1 again and again (cycle), or 0..N-1, N-1..0, ...
  // (zigzag: a second pass then finds whatever an LRU cache kept of the
  // first, so its hit count measures how many tokens stayed cached).
  bool zigzag = false;

  // Load shape: closed loop with `inflight` calls outstanding, or open loop
  // at `rate` requests/s (rate > 0) with at most `max_outstanding`.
  int inflight = 64;
  double rate = 0;
  // Envoy's default circuit breaker also stops at 1024 requests in flight
  // per upstream; without a cap a stalled server collects thousands of
  // streams and the run measures gRPC's behaviour under that pile-up.
  int max_outstanding = 1024;
  int channels = 4;
  int64_t requests = 200000;
  double seconds = 10;
  int64_t warmup = 2000;
  // Per-call deadline; an expired call counts as an error.
  int64_t deadline_ms = 10000;

  // Write the first token's request, gRPC-framed (for h2load -d), and exit.
  std::string dump_request;

  bool open_loop() const { return rate > 0; }
};

// --flag value or --flag=value. InvalidArgument for an unknown flag, a
// malformed or out-of-range value, a non-loopback target, or a missing key.
absl::StatusOr<LoadFlags> ParseLoadFlags(int argc, char** argv);

// True for 127.0.0.0/8, localhost and [::1] targets ("host:port").
bool IsLoopbackTarget(absl::string_view target);

// The usage text printed on a flag error.
const char* LoadFlagsUsage();

}  // namespace jwtauth::loadgen

#endif  // JWTAUTH_TESTS_BENCH_LOADGEN_LOAD_FLAGS_H_
