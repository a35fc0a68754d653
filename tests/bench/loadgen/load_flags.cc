#include "tests/bench/loadgen/load_flags.h"

#include <algorithm>
#include <functional>
#include <optional>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "core/status_macros.h"
#include "tests/bench/loadgen/token_set.h"

namespace jwtauth::loadgen {
namespace {

using Setter = std::function<absl::Status(LoadFlags&, const std::string&)>;

template <typename T>
absl::Status ParseInRange(absl::string_view name, const std::string& v, T lo,
                          T hi, T* out) {
  T parsed{};
  bool ok = false;
  if constexpr (std::is_floating_point_v<T>) {
    ok = absl::SimpleAtod(v, &parsed);
  } else {
    ok = absl::SimpleAtoi(v, &parsed);
  }
  if (!ok || !(parsed >= lo && parsed <= hi)) {
    return absl::InvalidArgumentError(
        absl::StrCat("--", name, ": expected a number in ", lo, "..", hi));
  }
  *out = parsed;
  return absl::OkStatus();
}

template <typename T>
Setter Number(absl::string_view name, T lo, T hi, T LoadFlags::*field) {
  return [name, lo, hi, field](LoadFlags& f, const std::string& v) {
    return ParseInRange(name, v, lo, hi, &(f.*field));
  };
}

Setter Text(std::string LoadFlags::*field) {
  return [field](LoadFlags& f, const std::string& v) {
    f.*field = v;
    return absl::OkStatus();
  };
}

absl::Status SetMethod(LoadFlags& f, const std::string& v) {
  if (v == "verify") {
    f.method = Method::kVerify;
  } else if (v == "check") {
    f.method = Method::kCheck;
  } else if (v == "health") {
    f.method = Method::kHealth;
  } else {
    return absl::InvalidArgumentError("--method: verify, check or health");
  }
  return absl::OkStatus();
}

absl::Status SetAlg(LoadFlags& f, const std::string& v) {
  std::optional<Algorithm> alg = AlgorithmFromName(v);
  if (!alg.has_value() ||
      (*alg != Algorithm::kHs256 && *alg != Algorithm::kRs256 &&
       *alg != Algorithm::kEs256)) {
    return absl::InvalidArgumentError("--alg: HS256, RS256 or ES256");
  }
  f.alg = *alg;
  return absl::OkStatus();
}

absl::Status SetTokenOrder(LoadFlags& f, const std::string& v) {
  if (v != "cycle" && v != "zigzag") {
    return absl::InvalidArgumentError("--token-order: cycle or zigzag");
  }
  f.zigzag = v == "zigzag";
  return absl::OkStatus();
}

const std::vector<std::pair<std::string, Setter>>& Setters() {
  static const auto* setters = new std::vector<std::pair<std::string, Setter>>{
      {"target", Text(&LoadFlags::target)},
      {"label", Text(&LoadFlags::label)},
      {"dump-request", Text(&LoadFlags::dump_request)},
      {"method", SetMethod},
      {"alg", SetAlg},
      {"token-order", SetTokenOrder},
      {"secret-file", Text(&LoadFlags::secret_file)},
      {"key-file", Text(&LoadFlags::key_file)},
      {"kid", Text(&LoadFlags::kid)},
      {"issuer", Text(&LoadFlags::issuer)},
      {"audience", Text(&LoadFlags::audience)},
      {"tokens",
       Number<int64_t>("tokens", 1, TokenSet::kMaxTokens, &LoadFlags::tokens)},
      {"invalid-fraction",
       Number<double>("invalid-fraction", 0, 1, &LoadFlags::invalid_fraction)},
      {"garbage-bytes",
       Number<int64_t>("garbage-bytes", 0, 1 << 20, &LoadFlags::garbage_bytes)},
      {"deadline-ms",
       Number<int64_t>("deadline-ms", 1, 600000, &LoadFlags::deadline_ms)},
      {"inflight", Number<int>("inflight", 1, 10000, &LoadFlags::inflight)},
      {"rate", Number<double>("rate", 1, 1e6, &LoadFlags::rate)},
      {"max-outstanding",
       Number<int>("max-outstanding", 1, 100000, &LoadFlags::max_outstanding)},
      {"channels", Number<int>("channels", 1, 64, &LoadFlags::channels)},
      {"requests",
       Number<int64_t>("requests", 1, 1000000000, &LoadFlags::requests)},
      {"seconds", Number<double>("seconds", 0.01, 600, &LoadFlags::seconds)},
      {"warmup", Number<int64_t>("warmup", 0, 10000000, &LoadFlags::warmup)},
  };
  return *setters;
}

absl::Status ApplyFlag(LoadFlags& f, absl::string_view name,
                       const std::string& value) {
  for (const auto& [flag, setter] : Setters()) {
    if (flag == name) return setter(f, value);
  }
  return absl::InvalidArgumentError(absl::StrCat("unknown flag --", name));
}

absl::Status Validate(const LoadFlags& f) {
  if (!IsLoopbackTarget(f.target)) {
    return absl::InvalidArgumentError(
        "--target: loopback targets only (127.0.0.0/8, localhost, [::1])");
  }
  if (f.method == Method::kHealth) return absl::OkStatus();
  if (f.alg == Algorithm::kHs256 && f.secret_file.empty() &&
      f.key_file.empty()) {
    return absl::InvalidArgumentError("HS256 needs --secret-file");
  }
  if (f.alg != Algorithm::kHs256 && f.key_file.empty()) {
    return absl::InvalidArgumentError(
        "RS256/ES256 need --key-file (private key PEM)");
  }
  return absl::OkStatus();
}

}  // namespace

absl::string_view MethodName(Method method) {
  switch (method) {
    case Method::kVerify:
      return "verify";
    case Method::kCheck:
      return "check";
    case Method::kHealth:
      return "health";
  }
  return "?";
}

bool IsLoopbackTarget(absl::string_view target) {
  const size_t colon = target.rfind(':');
  if (colon == absl::string_view::npos) return false;
  const absl::string_view host = target.substr(0, colon);
  const absl::string_view port = target.substr(colon + 1);
  int port_number = 0;
  if (!absl::SimpleAtoi(port, &port_number) || port_number < 0 ||
      port_number > 65535) {
    return false;
  }
  if (host == "localhost" || host == "[::1]") return true;
  // A literal address in 127.0.0.0/8, never a name that merely starts so.
  if (!absl::StartsWith(host, "127.")) return false;
  return std::all_of(host.begin(), host.end(),
                     [](char c) { return c == '.' || (c >= '0' && c <= '9'); });
}

absl::StatusOr<LoadFlags> ParseLoadFlags(int argc, char** argv) {
  LoadFlags f;
  for (int i = 1; i < argc; ++i) {
    absl::string_view arg = argv[i];
    if (!absl::StartsWith(arg, "--")) {
      return absl::InvalidArgumentError(absl::StrCat("unexpected ", arg));
    }
    arg.remove_prefix(2);
    std::string value;
    if (size_t eq = arg.find('='); eq != absl::string_view::npos) {
      value = std::string(arg.substr(eq + 1));
      arg = arg.substr(0, eq);
    } else if (i + 1 < argc) {
      value = argv[++i];
    } else {
      return absl::InvalidArgumentError(absl::StrCat("--", arg, ": no value"));
    }
    JWTAUTH_RETURN_IF_ERROR(ApplyFlag(f, arg, value));
  }
  JWTAUTH_RETURN_IF_ERROR(Validate(f));
  return f;
}

const char* LoadFlagsUsage() {
  return R"(usage: load_generator --target 127.0.0.1:PORT [flags]
  --method verify|check|health   RPC to drive (default verify)
  --alg HS256|RS256|ES256        token algorithm (default HS256)
  --secret-file F | --key-file PEM   HS256 secret / RS256, ES256 private key
  --kid K --issuer I --audience A    token header and claims
  --tokens N                     distinct tokens, 1..1000000 (default 1)
  --invalid-fraction F           share with a corrupted signature (0..1)
  --garbage-bytes N              the invalid share: N bytes of garbage
                                 instead of a corrupted signature
  --token-order cycle|zigzag     0..N-1 repeated, or forth and back
  --inflight N                   closed loop: calls outstanding (default 64)
  --rate R                       open loop: requests/s, evenly spaced
  --max-outstanding N            open loop: cap on calls outstanding (1024)
  --channels N                   connections (default 4)
  --requests N --seconds S       bounds (default 200000, 10)
  --warmup N                     unrecorded closed-loop calls first (2000)
  --deadline-ms N                per-call deadline (default 10000)
  --label L                      the mode= field of the output line
  --dump-request FILE            write the first request, gRPC-framed (a
                                 body for h2load -d), and exit
)";
}

}  // namespace jwtauth::loadgen
