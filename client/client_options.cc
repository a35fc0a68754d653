#include "client/client_options.h"

#include <cmath>
#include <cstdint>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

#ifndef JWTAUTH_CLIENT_VERSION
#define JWTAUTH_CLIENT_VERSION "0.0.0"
#endif

namespace jwtauth::client {
namespace {

// gRPC silently clamps maxAttempts above 5; refusing says so instead.
constexpr int kMaxRetryAttempts = 5;
// Keeps the service config's durations finite; a longer backoff is a stall.
constexpr absl::Duration kMaxBackoffCeiling = absl::Hours(1);

absl::Status Invalid(absl::string_view field, absl::string_view problem) {
  return absl::InvalidArgumentError(absl::StrCat(field, ": ", problem));
}

absl::Status ValidateTransport(const ClientOptions& options) {
  const TlsOptions& tls = options.tls;
  if (options.plaintext) {
    if (!tls.ca_file.empty() || !tls.cert_file.empty() ||
        !tls.key_file.empty() || !tls.server_name_override.empty()) {
      return Invalid("tls", "set while plaintext is chosen");
    }
    return absl::OkStatus();
  }
  if (tls.cert_file.empty() != tls.key_file.empty()) {
    return Invalid(tls.cert_file.empty() ? "tls.cert_file" : "tls.key_file",
                   "mTLS needs both tls.cert_file and tls.key_file");
  }
  return absl::OkStatus();
}

absl::Status ValidateRetry(const RetryPolicy& retry) {
  if (retry.max_attempts < 1 || retry.max_attempts > kMaxRetryAttempts) {
    return Invalid("retry.max_attempts",
                   absl::StrCat("must be 1..", kMaxRetryAttempts, ", got ",
                                retry.max_attempts));
  }
  if (retry.initial_backoff <= absl::ZeroDuration()) {
    return Invalid("retry.initial_backoff", "must be > 0");
  }
  if (retry.max_backoff < retry.initial_backoff ||
      retry.max_backoff > kMaxBackoffCeiling) {
    return Invalid("retry.max_backoff",
                   "must be >= retry.initial_backoff and <= 1h");
  }
  if (!std::isfinite(retry.backoff_multiplier) ||
      retry.backoff_multiplier < 1.0) {
    return Invalid("retry.backoff_multiplier", "must be >= 1");
  }
  return absl::OkStatus();
}

absl::Status ValidateKeepalive(const KeepaliveOptions& keepalive) {
  if (keepalive.time < absl::ZeroDuration()) {
    return Invalid("keepalive.time", "must be >= 0 (0 = off)");
  }
  if (keepalive.time > absl::ZeroDuration() &&
      keepalive.timeout <= absl::ZeroDuration()) {
    return Invalid("keepalive.timeout", "must be > 0");
  }
  return absl::OkStatus();
}

// Protobuf JSON duration text: "0.100000000s".
std::string JsonDuration(absl::Duration d) {
  const int64_t nanos = absl::ToInt64Nanoseconds(d);
  return absl::StrFormat("\"%d.%09ds\"", nanos / 1000000000,
                         nanos % 1000000000);
}

}  // namespace

absl::string_view ClientVersion() { return JWTAUTH_CLIENT_VERSION; }

std::string UserAgent(const ClientOptions& options) {
  std::string agent = absl::StrCat("jwtauth-cpp-client/", ClientVersion());
  if (options.user_agent_prefix.empty()) return agent;
  return absl::StrCat(options.user_agent_prefix, " ", agent);
}

absl::Status ValidateClientOptions(const ClientOptions& options) {
  if (options.target.empty()) return Invalid("target", "empty");
  if (options.default_timeout <= absl::ZeroDuration()) {
    return Invalid("default_timeout", "must be > 0");
  }
  if (absl::Status s = ValidateTransport(options); !s.ok()) return s;
  if (absl::Status s = ValidateRetry(options.retry); !s.ok()) return s;
  return ValidateKeepalive(options.keepalive);
}

std::string RetryServiceConfig(const RetryPolicy& retry) {
  // gRPC needs maxAttempts >= 2 in a retryPolicy; one attempt = no policy.
  if (retry.max_attempts <= 1) return "{}";
  return absl::StrCat(
      R"({"methodConfig":[{"name":[)",
      R"({"service":"jwtauth.v1.AuthService","method":"Verify"},)",
      R"({"service":"jwtauth.v1.AuthService","method":"ListKeys"}],)",
      R"("retryPolicy":{"maxAttempts":)", retry.max_attempts,
      R"(,"initialBackoff":)", JsonDuration(retry.initial_backoff),
      R"(,"maxBackoff":)", JsonDuration(retry.max_backoff),
      R"(,"backoffMultiplier":)",
      absl::StrFormat("%.6g", retry.backoff_multiplier),
      R"(,"retryableStatusCodes":["UNAVAILABLE"]}}]})");
}

}  // namespace jwtauth::client
