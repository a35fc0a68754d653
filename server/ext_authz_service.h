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
//              verified claims in dynamic_metadata (if enabled); the
//              verified token removed (forward_token false: its header in
//              headers_to_remove, its cookie cut from Cookie, its query
//              parameter in query_parameters_to_remove); the payload header
//              and the minted upstream token when configured.
//   no/invalid token with allow_missing / allow_missing_or_failed (see
//   server/ext_authz_route_options.h; `authenticated` rules only)
//              status OK(0), no claims; every header the route sets is in
//              headers_to_remove; failed_status in the metadata.
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
//   upstream token cannot be signed
//              status UNAVAILABLE(14), denied_response 503.
// Denied bodies are small JSON objects {"error": ..., "error_description":
// ...}; neither header nor body carries a token, a claim value or a key.
// Denials carry failed_status {code, message, reason} in the metadata and
// are logged at info (check_denied: request id, route, reason, token
// fingerprint); allowed Checks are logged at the route's sample rate.
// Metrics: jwtauth_rpc_total{method="Check", result="OK" | reason name |
// "PERMISSION_DENIED" | "UPSTREAM_TOKEN_FAILED" | gRPC code, route} where
// route is the deciding route's configured name, "_default" for the
// top-level defaults and "_none" when no route was selected (unknown route
// name, unparseable request, no configuration): never request-derived. The
// series come pre-resolved from ServingState::check_series.
//
// Check is a raw-buffer method: an allowed answer for a verified token is
// serialized once per (VerifiedToken, route, token source) and reused by
// every cache hit of that token on that route (AllowedCheckMemo on
// VerifiedToken::Memo; with an upstream token, until its refresh point);
// denials, and answers that rewrite the Cookie header, are built per call.
//
// Ownership: the ServiceContext pointers are not owned (they outlive the
// service and every RPC); metrics/logger may be null. Thread-safe, no
// mutable state of its own; a handler never blocks. Not copyable or movable.
//
//   ExtAuthzService ext_authz(
//       ServiceContext{.state = &holder, .metrics = &m, .logger = &logger});
//   builder.RegisterService(&ext_authz);

#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "absl/strings/string_view.h"
#include "core/verifier.h"
#include "envoy/service/auth/v3/external_auth.grpc.pb.h"
#include "server/check_request_view.h"
#include "server/ext_authz_answer.h"
#include "server/ext_authz_answer_memo.h"
#include "server/ext_authz_policy.h"
#include "server/service_context.h"

namespace jwtauth::server {

class ExtAuthzService final
    : public envoy::service::auth::v3::Authorization::
          WithRawCallbackMethod_Check<
              envoy::service::auth::v3::Authorization::Service> {
 public:
  explicit ExtAuthzService(ServiceContext ctx);
  ExtAuthzService(const ExtAuthzService&) = delete;
  ExtAuthzService& operator=(const ExtAuthzService&) = delete;

  grpc::ServerUnaryReactor* Check(grpc::CallbackServerContext* context,
                                  const grpc::ByteBuffer* request,
                                  grpc::ByteBuffer* response) override;

  // The RPC body (server/unary_rpc.h), shared by Check and the async
  // transport: the no-state answer, Authorize and the RPC metric.
  // A serialized CheckRequest in, a serialized CheckResponse out
  // (raw-buffer method on both transports).
  grpc::Status ServeCheck(grpc::ServerContextBase* context,
                          const grpc::ByteBuffer* request,
                          grpc::ByteBuffer* response) const;

  // The decision without the gRPC transport (used by Check, the benchmark
  // and tests): fills `response` and returns the metric result label.
  // Records key usage and logs denials through the context, if set.
  absl::string_view Authorize(
      const ServingState& state,
      const envoy::service::auth::v3::CheckRequest& request,
      envoy::service::auth::v3::CheckResponse* response) const;

 private:
  // A decision before the answer is written: `verified` set = allowed with
  // that token on `route` (the answer is VerifiedAnswer's); otherwise the
  // response passed to Decide holds the whole answer.
  struct Decision {
    absl::string_view label;
    bool allowed = false;
    absl::string_view log_reason;  // allowed: "OK" or why without claims
    std::optional<VerifiedToken> verified;
    const ExtAuthzPolicy* policy = nullptr;
    const ExtAuthzRoute* route = nullptr;  // null: unknown route
    std::optional<FoundToken> found;
    absl::string_view request_id;     // into the request's bytes
    absl::string_view cookie_header;  // into the request's bytes

    Decision&& Answered(absl::string_view l) {
      label = l;
      return std::move(*this);
    }
    Decision&& AllowedWithoutClaims(absl::string_view reason) {
      label = "OK";
      allowed = true;
      log_reason = reason;
      return std::move(*this);
    }
    // Views into this decision and its request: rebuild after a move.
    CheckContext context() const;
  };
  // The serialized answer ServeCheck sends: memoised bytes (kept alive by
  // `hold`) or `scratch`.
  struct WireAnswer {
    absl::string_view bytes;
    std::string scratch;
    std::shared_ptr<const CheckAnswer> hold;
  };

  Decision Decide(const ServingState& state, const CheckRequestView& request,
                  envoy::service::auth::v3::CheckResponse* response) const;
  // Writes the answer of `d`: the allowed answer of a verified token (into
  // `wire` when given, else into `response`), or the denial when its
  // upstream token cannot be minted; logs sampled allowed decisions.
  // Returns the metrics label.
  absl::string_view Finish(const ServingState& state, Decision& d,
                           envoy::service::auth::v3::CheckResponse* response,
                           WireAnswer* wire) const;
  // The memoised allowed answer of a verified decision (AllowedCheckMemo
  // on the token, keyed by route and, when the token is removed, source).
  absl::StatusOr<const CheckAnswer*> VerifiedAnswer(
      const ServingState& state, const Decision& d,
      std::shared_ptr<const CheckAnswer>* hold) const;
  void DenyUpstreamToken(
      const ServingState& state, Decision& d, const absl::Status& error,
      envoy::service::auth::v3::CheckResponse* response) const;
  // The metric series of the route that decided `d` (null: no metrics).
  RpcSeries* SeriesOf(const ServingState& state, const Decision& d) const;

  ServiceContext ctx_;
  RpcSeries* no_route_series_ = nullptr;       // route="_none"
  RpcSeries* default_route_series_ = nullptr;  // route="_default"
};

}  // namespace jwtauth::server

#endif  // JWTAUTH_SERVER_EXT_AUTHZ_SERVICE_H_
