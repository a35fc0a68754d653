#ifndef JWTAUTH_CLI_TOKEN_INSPECTION_H_
#define JWTAUTH_CLI_TOKEN_INSPECTION_H_

// TokenInspection: what `jwtauth inspect` shows of a compact JWS WITHOUT
// verifying it: the decoded header and claims, the time claims in human
// form relative to `now` ("in 14m", "expired 3h ago"), and what a provider
// with the default policy (core/policy.h: require_exp, kDefaultClockSkew;
// every provider requires an issuer and an audience) would object to, each
// with the FailureReason it would answer. The JWS header rules are core's
// own (ParsedJws::Parse). The signature is never kept, only its length.
//
// InvalidArgument (fixed phrases, never quoting the token) when the text is
// not three base64url parts or the header is not a JSON object. Pure;
// thread-safe.
//
//   absl::StatusOr<TokenInspection> i = InspectToken(token, absl::Now());

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "nlohmann/json.hpp"

namespace jwtauth::cli {

struct TimeClaim {
  std::string name;  // "exp", "nbf", "iat"
  absl::Time at;
  std::string relative;  // "in 14m", "expired 3h ago", "issued 2m ago"
};

struct Objection {
  std::string reason;  // a FailureReason name, e.g. "EXPIRED"
  std::string detail;  // "expired 3h ago"
};

// The implicit default constructor is flagged only because nlohmann::json's
// is not declared noexcept; a null json value never allocates or throws.
struct TokenInspection {  // NOLINT(bugprone-exception-escape)
  nlohmann::json header;  // a JSON object
  nlohmann::json claims;  // the parsed payload; null when it is not JSON
  std::vector<TimeClaim> times;
  size_t signature_bytes = 0;
  std::vector<Objection> objections;
};

absl::StatusOr<TokenInspection> InspectToken(absl::string_view token,
                                             absl::Time now);

// Whole units, rounded down: "45s", "14m", "3h", "2d".
std::string HumanDuration(absl::Duration d);

}  // namespace jwtauth::cli

#endif  // JWTAUTH_CLI_TOKEN_INSPECTION_H_
