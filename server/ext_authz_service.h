#ifndef JWTAUTH_SERVER_EXT_AUTHZ_SERVICE_H_
#define JWTAUTH_SERVER_EXT_AUTHZ_SERVICE_H_

// ExtAuthzService: Envoy's external authorization API,
// envoy.service.auth.v3.Authorization/Check (callback API, or the async
// transport through ServeCheck), so an
// Envoy `ext_authz` filter's grpc_service can point at jwtauth unchanged.
//
// Per request it reads ONE ServingState generation, selects the route and
// rule from its ExtAuthzPolicy (server/ext_authz_policy.h; defaults when
// null), and when the rule needs a token verifies it with the generation's
// TokenVerifier: the same path and verification cache as Verify. Answers
// (docs/ext_authz.md):
//   allowed    status OK(0), ok_response: configured claims as request
//              headers (append_action OVERWRITE_IF_EXISTS_OR_ADD, append
//              false: an incoming copy is replaced, never appended to);
//              configured header names that get no value this time in
//              headers_to_remove (Envoy applies headers_to_remove AFTER the
//              headers it sets, so a name is never in both lists);
//              verified claims in dynamic_metadata (if enabled).
//   no/invalid token
//              status UNAUTHENTICATED(16), denied_response 401,
//              `WWW-Authenticate: Bearer error="invalid_token",
//              error_description="<fixed phrase of the failure reason>"`.
//   key set not loaded yet (KEYS_UNAVAILABLE)
//              status UNAVAILABLE(14), denied_response 503 (retryable, and
//              clients keep their token).
//   valid token failing a rule, a deny rule, no matching rule, or an
//   unknown route name
//              status PERMISSION_DENIED(7), denied_response 403
//              (`WWW-Authenticate: Bearer error="insufficient_scope"` when a
//              claim rule failed).
//   no ServingState published yet
//              the RPC fails with UNAVAILABLE (Envoy then applies
//              failure_mode_allow / status_on_error: fail closed).
// Denied bodies are small JSON objects {"error": ..., "error_description":
// ...}; neither header nor body carries a token, a claim value or a key.
// Metrics: RecordRpc("Check", "OK" | reason name | "PERMISSION_DENIED").
//
// Ownership: the ServiceContext pointers are not owned (they outlive the
// service and every RPC); metrics/logger may be null. Thread-safe, no
// mutable state of its own; a handler never blocks. Not copyable or movable.
//
//   ExtAuthzService ext_authz(
//       ServiceContext{.state = &holder, .metrics = &m, .logger = &logger});
//   builder.RegisterService(&ext_authz);

#include <string>

#include "absl/strings/string_view.h"
#include "envoy/service/auth/v3/external_auth.grpc.pb.h"
#include "server/service_context.h"

namespace jwtauth::server {

class ExtAuthzService final
    : public envoy::service::auth::v3::Authorization::CallbackService {
 public:
  explicit ExtAuthzService(ServiceContext ctx);
  ExtAuthzService(const ExtAuthzService&) = delete;
  ExtAuthzService& operator=(const ExtAuthzService&) = delete;

  grpc::ServerUnaryReactor* Check(
      grpc::CallbackServerContext* context,
      const envoy::service::auth::v3::CheckRequest* request,
      envoy::service::auth::v3::CheckResponse* response) override;

  // The RPC body (server/unary_rpc.h), shared by Check and the async
  // transport: the no-state answer, Authorize and the RPC metric.
  grpc::Status ServeCheck(
      grpc::ServerContextBase* context,
      const envoy::service::auth::v3::CheckRequest* request,
      envoy::service::auth::v3::CheckResponse* response) const;

  // The decision without the gRPC transport (used by Check, the benchmark
  // and tests): fills `response` and returns the metric result label.
  // Records key usage and logs denials through the context, if set.
  absl::string_view Authorize(
      const ServingState& state,
      const envoy::service::auth::v3::CheckRequest& request,
      envoy::service::auth::v3::CheckResponse* response) const;

 private:
  ServiceContext ctx_;
};

// `Bearer error="<error>"[, error_description="<description>"][,
// scope="<scope>"]` with every value quote-escaped (RFC 7235 quoted-string).
std::string BearerChallenge(absl::string_view error,
                            absl::string_view description,
                            absl::string_view scope = "");

}  // namespace jwtauth::server

#endif  // JWTAUTH_SERVER_EXT_AUTHZ_SERVICE_H_
