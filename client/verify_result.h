#ifndef JWTAUTH_CLIENT_VERIFY_RESULT_H_
#define JWTAUTH_CLIENT_VERIFY_RESULT_H_

// jwtauth::client::VerifyResult: the outcome of verifying one token, as
// plain C++ values. Both the remote path (AuthService.Verify) and the
// client's local verification produce it, so callers handle one type.
// An invalid token is a VerifyResult with valid == false, never an error
// status: only transport and request errors are absl::Status failures.

#include <map>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "jwtauth/v1/auth.pb.h"
#include "nlohmann/json.hpp"

namespace jwtauth::client {

struct VerifyResult {
  // Which path decided: the service's Verify RPC or the in-process keys.
  enum class Source { kRemote, kLocal };

  bool valid = false;
  // FAILURE_REASON_UNSPECIFIED when valid.
  v1::FailureReason reason = v1::FAILURE_REASON_UNSPECIFIED;
  // Fixed phrase explaining a failure; empty when valid.
  std::string detail;
  // The verified payload as parsed JSON (integers keep their precision);
  // null when invalid.
  nlohmann::json claims;
  std::string provider;
  std::string kid;
  std::string alg;
  // The token's "exp"; nullopt when it has none or the token is invalid.
  std::optional<absl::Time> expires_at;
  // The provider's metadata mapping output.
  std::map<std::string, std::string> metadata;
  Source source = Source::kRemote;
  // The wire response the values above came from (for the remote path the
  // service's own response; for the local path an equivalent one built
  // in-process), for callers that want the protobuf.
  v1::VerifyResponse raw;
};

// Converts the service's response. Fails (kInternal) only when a valid
// response's claims_json is not a JSON object, which a conforming server
// never sends.
absl::StatusOr<VerifyResult> VerifyResultFromResponse(
    v1::VerifyResponse response,
    VerifyResult::Source source = VerifyResult::Source::kRemote);

}  // namespace jwtauth::client

#endif  // JWTAUTH_CLIENT_VERIFY_RESULT_H_
