// load_generator: drives jwtauth's Verify, Envoy ext_authz Check or a
// grpc.health Check against a server on loopback (gRPC C++ callback client),
// bounded by a request count and a time limit. Prints one machine-readable
// line with throughput and latency percentiles.
//
//   load_generator --target 127.0.0.1:50051 --secret-file hs.txt --kid hs1
//   load_generator --target 127.0.0.1:50051 --method check --rate 20000 ...
//   load_generator --target 127.0.0.1:50051 --alg ES256 --key-file es.pem
//       --kid es1 --tokens 10000 --invalid-fraction 0.1 ...
//   load_generator --target 127.0.0.1:50052 --method health
//
// Closed loop (default, --inflight N) measures the maximum throughput; open
// loop (--rate R) sends at a fixed rate and measures latency from each
// call's scheduled time (see loadgen/load_runner.h). Tokens are signed here
// with core/crypto before the run (loadgen/token_set.h); a corrupted-signature
// share (--invalid-fraction) is reported apart (valid_* / invalid_*).
// A call whose answer is not the expected one (loadgen/rpc_client.h) is an
// error; the exit status is 1 when there were errors.
//
// Output (one line):
//   mode=<label> method=verify loop=closed requests=N errors=E seconds=S
//   rps=R p50_us=.. p90_us=.. p99_us=.. p999_us=.. max_us=.. channels=C
//   inflight=N | rate=R max_outstanding=M   [alg=.. tokens=N]
//   [valid_requests=.. valid_p50_us=.. ... invalid_max_us=..]

#include <cstdio>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "tests/bench/loadgen/load_flags.h"
#include "tests/bench/loadgen/load_runner.h"
#include "tests/bench/loadgen/rpc_client.h"
#include "tests/bench/loadgen/token_set.h"

namespace {

using jwtauth::loadgen::LoadFlags;
using jwtauth::loadgen::TokenSet;

absl::StatusOr<std::string> ReadKeyText(const LoadFlags& f) {
  const std::string& path = f.key_file.empty() ? f.secret_file : f.key_file;
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", path));
  std::stringstream ss;
  ss << in.rdbuf();
  std::string text = ss.str();
  if (f.alg == jwtauth::Algorithm::kHs256) {
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) {
      text.pop_back();
    }
  }
  return text;
}

absl::StatusOr<std::optional<TokenSet>> MakeTokens(const LoadFlags& f) {
  if (f.method == jwtauth::loadgen::Method::kHealth) return std::nullopt;
  absl::StatusOr<std::string> key = ReadKeyText(f);
  if (!key.ok()) return key.status();
  absl::StatusOr<TokenSet> set =
      TokenSet::Create({.alg = f.alg,
                        .key_text = *std::move(key),
                        .kid = f.kid,
                        .issuer = f.issuer,
                        .audience = f.audience,
                        .count = static_cast<size_t>(f.tokens),
                        .invalid_fraction = f.invalid_fraction,
                        .garbage_bytes = static_cast<size_t>(f.garbage_bytes)});
  if (!set.ok()) return set.status();
  return std::optional<TokenSet>(*std::move(set));
}

}  // namespace

// A gRPC message as sent on the wire: uncompressed flag, 4-byte big-endian
// length, the serialized request.
int DumpRequest(const LoadFlags& flags, const TokenSet* tokens) {
  const jwtauth::loadgen::RpcClient client(flags, tokens, nullptr);
  const std::string body = client.SerializedRequest(0);
  const uint32_t n = static_cast<uint32_t>(body.size());
  const char prefix[5] = {
      0, static_cast<char>(n >> 24), static_cast<char>((n >> 16) & 0xff),
      static_cast<char>((n >> 8) & 0xff), static_cast<char>(n & 0xff)};
  std::ofstream out(flags.dump_request, std::ios::binary);
  out.write(prefix, sizeof(prefix));
  out.write(body.data(), static_cast<std::streamsize>(body.size()));
  out.close();
  if (!out) {
    std::fprintf(stderr, "load_generator: cannot write %s\n",
                 flags.dump_request.c_str());
    return 1;
  }
  return 0;
}

int main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      std::fputs(jwtauth::loadgen::LoadFlagsUsage(), stdout);
      return 0;
    }
  }
  absl::StatusOr<LoadFlags> flags =
      jwtauth::loadgen::ParseLoadFlags(argc, argv);
  if (!flags.ok()) {
    std::fprintf(stderr, "load_generator: %s\n%s",
                 std::string(flags.status().message()).c_str(),
                 jwtauth::loadgen::LoadFlagsUsage());
    return 2;
  }
  absl::StatusOr<std::optional<TokenSet>> tokens = MakeTokens(*flags);
  if (!tokens.ok()) {
    std::fprintf(stderr, "load_generator: %s\n",
                 std::string(tokens.status().message()).c_str());
    return 2;
  }
  const TokenSet* set = tokens->has_value() ? &**tokens : nullptr;
  if (!flags->dump_request.empty()) return DumpRequest(*flags, set);
  jwtauth::loadgen::LoadRunner runner(*flags, set);
  if (flags->warmup > 0) {
    const int64_t errors =
        runner.RunClosed(flags->warmup, absl::Seconds(30), false);
    if (errors > 0) {
      std::fprintf(stderr,
                   "load_generator: %lld unexpected answers during warmup "
                   "(server down or token rejected?)\n",
                   static_cast<long long>(errors));
      return 1;
    }
  }
  const absl::Duration limit = absl::Seconds(flags->seconds);
  const int64_t errors = flags->open_loop()
                             ? runner.RunOpen(flags->requests, limit)
                             : runner.RunClosed(flags->requests, limit, true);
  std::printf("%s\n", runner.Report().c_str());
  std::fflush(stdout);
  return errors == 0 ? 0 : 1;
}
