#ifndef JWTAUTH_SERVER_EXT_AUTHZ_ROUTE_OPTIONS_H_
#define JWTAUTH_SERVER_EXT_AUTHZ_ROUTE_OPTIONS_H_

// The per-route ext_authz settings that shape what reaches the upstream and
// what is logged, beyond rules and forwarded claims (docs/ext_authz.md):
//   forward_token            keep the verified token in the upstream request
//                            (default false: its header, cookie or query
//                            parameter is removed, as jwt_authn's
//                            `forward: false`)
//   forward_payload_header   the verified payload, base64url as in the token
//                            (jwt_authn's forward_payload_header), overwrite
//   allow_missing            no token → allowed without claims; an invalid
//                            token is still denied (jwt_authn allow_missing)
//   allow_missing_or_failed  claims only when a valid token is present; never
//                            denied for token reasons
//   log_allowed_sample_rate  share (0..1) of allowed Checks logged at info
//   issue_upstream_token     mint a short-lived token of this service for
//                            the upstream (TokenIssuer::ExchangeVerified)
// Like every route setting, a field a route leaves out is inherited from the
// top level. Plain values; copyable and movable.

#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "server/config_reader.h"

namespace jwtauth::server {

// What a route does when a request has no valid token.
enum class TokenRequirement {
  kRequired,              // no or invalid token → denied (401)
  kAllowMissing,          // no token → allowed; invalid token → denied
  kAllowMissingOrFailed,  // no or invalid token → allowed without claims
};

struct UpstreamTokenConfig {
  std::string header;    // lower-case request header the token goes into
  std::string audience;  // the new token's "aud"
  absl::Duration ttl = absl::Seconds(60);
  // Verified claims copied into the new token (exchange claim allow-list
  // rules, core/issuer.h).
  std::vector<std::string> claims = {"sub"};
  Location location;  // of the issue_upstream_token node (load-time checks)
};

struct ExtAuthzRouteOptions {
  bool forward_token = false;
  std::string forward_payload_header;  // lower-case; "" = none
  TokenRequirement token_requirement = TokenRequirement::kRequired;
  double log_allowed_sample_rate = 0;  // 0..1
  std::optional<UpstreamTokenConfig> upstream_token;
};

// Applies the settings present in `node` (a route or the top level) to
// `options`; absent ones keep their (inherited) values. Setting both
// allow_missing and allow_missing_or_failed to true in one node is an
// error; setting one to true on a route replaces the other inherited one.
// Errors are InvalidArgument "file:line:col: path: reason".
absl::Status ParseExtAuthzRouteOptions(const ConfigNode& node,
                                       ExtAuthzRouteOptions& options);

// Whether `name` is a valid HTTP header field name (RFC 9110 token).
bool IsHttpHeaderName(absl::string_view name);

}  // namespace jwtauth::server

#endif  // JWTAUTH_SERVER_EXT_AUTHZ_ROUTE_OPTIONS_H_
