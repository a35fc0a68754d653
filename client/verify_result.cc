#include "client/verify_result.h"

#include <utility>

#include "absl/status/status.h"

namespace jwtauth::client {

absl::StatusOr<VerifyResult> VerifyResultFromResponse(
    v1::VerifyResponse response, VerifyResult::Source source) {
  VerifyResult result;
  result.valid = response.valid();
  result.reason = response.reason();
  result.detail = response.detail();
  result.provider = response.provider();
  result.kid = response.kid();
  result.alg = response.alg();
  result.source = source;
  if (response.has_expires_at()) {
    result.expires_at = absl::FromUnixSeconds(response.expires_at().seconds()) +
                        absl::Nanoseconds(response.expires_at().nanos());
  }
  result.metadata.insert(response.metadata().begin(),
                         response.metadata().end());
  if (result.valid) {
    // Parse without exceptions: a malformed body is a server bug reported
    // as a status, not a throw across the library boundary.
    result.claims = nlohmann::json::parse(response.claims_json(), nullptr,
                                          /*allow_exceptions=*/false);
    if (!result.claims.is_object()) {
      return absl::InternalError(
          "jwtauth returned a valid result whose claims_json is not a JSON "
          "object");
    }
  }
  result.raw = std::move(response);
  return result;
}

}  // namespace jwtauth::client
