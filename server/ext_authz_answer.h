#ifndef JWTAUTH_SERVER_EXT_AUTHZ_ANSWER_H_
#define JWTAUTH_SERVER_EXT_AUTHZ_ANSWER_H_

// The CheckResponse writers of the ext_authz service
// (server/ext_authz_service.h has the table of answers): allowed answers
// (forwarded claims, payload header, upstream token, removal of the
// verified token, dynamic metadata), denials (401/403/503 with a fixed
// phrase per reason, metadata with the failure) and the decision log line.
// Stateless functions and a small per-request writer; thread-safe.

#include <string>

#include "absl/strings/string_view.h"
#include "core/failure.h"
#include "core/verifier.h"
#include "envoy/service/auth/v3/external_auth.pb.h"
#include "server/ext_authz_policy.h"
#include "server/logging.h"

namespace jwtauth::server {

// google.rpc.Code values.
inline constexpr int kRpcOk = 0;
inline constexpr int kRpcPermissionDenied = 7;
inline constexpr int kRpcUnavailable = 14;
inline constexpr int kRpcUnauthenticated = 16;

inline constexpr absl::string_view kPermissionDeniedLabel = "PERMISSION_DENIED";
// The dynamic_metadata key of the failure details (jwt_authn's
// failed_status_in_metadata): {code, message, reason}.
inline constexpr absl::string_view kFailedStatusKey = "failed_status";

// `Bearer error="<error>"[, error_description="<description>"][,
// scope="<scope>"]` with every value quote-escaped (RFC 7235 quoted-string).
std::string BearerChallenge(absl::string_view error,
                            absl::string_view description,
                            absl::string_view scope = "");

// Fixed, secret-free phrase per reason (never the Failure detail).
absl::string_view ReasonPhrase(FailureReason reason);

// The request facts a Check decision is logged and answered with.
struct CheckContext {
  absl::string_view request_id;         // x-request-id, else attributes http.id
  const TokenSource* source = nullptr;  // where the token was found
  absl::string_view token;              // "" = none
  // The request's Cookie header (for removing a cookie token).
  absl::string_view cookie_header;
};

// One JSON line per decision: event "check_denied" (info) or
// "check_allowed" (info, sampled by the caller), with request_id, route,
// reason and the token fingerprint (never the token). Logger may be null.
void LogCheckDecision(Logger* logger, bool allowed, const CheckContext& ctx,
                      absl::string_view route, absl::string_view reason);

// What an allowed answer for a verified token sets besides the claims.
struct AllowedExtras {
  absl::string_view upstream_token;  // "" = none (issue_upstream_token)
  // Remove the verified token from the request (route forward_token false
  // and a source given in `check`).
  bool strip_token = false;
};

// An allowed answer for `verified` on `route`: forwarded claims (overwrite;
// absent ones removed), forward_payload_header, the upstream token, the
// token's removal, and the dynamic metadata. A header name is never both
// set and removed (Envoy removes after setting).
void AllowVerified(const ExtAuthzPolicy& policy, const ExtAuthzRoute& route,
                   const VerifiedToken& verified, const CheckContext& check,
                   const AllowedExtras& extras,
                   envoy::service::auth::v3::CheckResponse* response);

// An allowed answer without claims (an `allow` rule, or allow_missing /
// allow_missing_or_failed): every header the route sets upstream is removed
// so a client cannot forge it; `failure` (kUnspecified = none) goes into
// the metadata.
void AllowWithoutClaims(const ExtAuthzPolicy& policy,
                        const ExtAuthzRoute& route, FailureReason failure,
                        envoy::service::auth::v3::CheckResponse* response);

// Writes one denial: the log line, the dynamic metadata (when the policy
// asks for it) and the denied response. Each method returns the metrics
// label of the outcome.
class Denial {
 public:
  Denial(Logger* logger, const ExtAuthzPolicy& policy,
         const CheckContext& check,
         envoy::service::auth::v3::CheckResponse* response)
      : logger_(logger), policy_(policy), check_(check), response_(response) {}

  absl::string_view UnknownRoute();
  absl::string_view ByRule(absl::string_view route, bool no_rule);
  absl::string_view InvalidToken(FailureReason reason, absl::string_view route);
  absl::string_view FailedClaim(const ClaimCondition& failed,
                                absl::string_view route);
  // The upstream token could not be signed (503, retryable).
  absl::string_view UpstreamTokenFailed(absl::string_view route);

 private:
  void SetMetadata(absl::string_view reason, absl::string_view route,
                   absl::string_view phrase);

  Logger* const logger_;  // not owned; may be null
  const ExtAuthzPolicy& policy_;
  const CheckContext& check_;
  envoy::service::auth::v3::CheckResponse* const response_;
};

}  // namespace jwtauth::server

#endif  // JWTAUTH_SERVER_EXT_AUTHZ_ANSWER_H_
