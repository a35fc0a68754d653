#include "server/ext_authz_service.h"

#include <memory>
#include <optional>
#include <random>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "core/failure.h"
#include "core/issuer.h"
#include "core/status_macros.h"
#include "core/verifier.h"
#include "google/protobuf/arena.h"
#include "server/ext_authz_answer.h"
#include "server/ext_authz_answer_memo.h"
#include "server/ext_authz_policy.h"
#include "server/logging.h"
#include "server/memo_slots.h"
#include "server/metrics.h"
#include "server/status_mapping.h"
#include "server/unary_rpc.h"
#include "server/wire_buffer.h"

namespace jwtauth::server {
namespace {

namespace authv3 = ::envoy::service::auth::v3;

// An upstream token is served until this long (at most a quarter of its
// lifetime) before its exp, so the upstream never receives one about to
// expire.
constexpr absl::Duration kMaxRefreshMargin = absl::Seconds(30);

const ExtAuthzPolicy& DefaultPolicy() {
  static const ExtAuthzPolicy* const kPolicy =
      new ExtAuthzPolicy(DefaultExtAuthzPolicy());
  return *kPolicy;
}

// The route's token, verified for its provider and audience; TOKEN_MISSING
// when the request carries none.
VerifyResult VerifyRouteToken(const ServingState& state,
                              const ExtAuthzRoute& route,
                              const std::optional<FoundToken>& found) {
  if (!found.has_value()) {
    return VerifyResult(MakeFailure(FailureReason::kTokenMissing, "no token"));
  }
  VerifyOptions options;
  options.provider = route.provider;
  options.audience = route.audience;
  return state.verifier->Verify(found->token, options);
}

// Whether a failed token still lets the request through without claims
// (allow_missing / allow_missing_or_failed). Never for a `claims` rule:
// claims that were not verified cannot satisfy it.
bool AllowedWithoutToken(const ExtAuthzRoute& route, const ExtAuthzRule& rule,
                         FailureReason reason) {
  if (rule.action != ExtAuthzRule::Action::kAuthenticated) return false;
  switch (route.options.token_requirement) {
    case TokenRequirement::kRequired:
      return false;
    case TokenRequirement::kAllowMissing:
      return reason == FailureReason::kTokenMissing;
    case TokenRequirement::kAllowMissingOrFailed:
      return true;
  }
  return false;
}

// Allowed decisions are logged for a share `rate` (0..1) of requests.
bool Sampled(double rate) {
  if (rate <= 0) return false;
  if (rate >= 1) return true;
  thread_local std::minstd_rand rng{std::random_device{}()};
  return std::uniform_real_distribution<double>(0, 1)(rng) < rate;
}

// The upstream token for `verified` on `route`, as a memoised answer's
// parts: the token and when to stop serving it.
absl::StatusOr<IssuedToken> MintUpstreamToken(const ServingState& state,
                                              const UpstreamTokenConfig& up,
                                              const VerifiedToken& verified) {
  if (state.issuer == nullptr) {
    return absl::FailedPreconditionError("no signing key");
  }
  ExchangeRequest request;
  request.audiences = {up.audience};
  request.ttl = up.ttl;
  return state.issuer->ExchangeVerified(verified, request, up.claims);
}

}  // namespace

ExtAuthzService::ExtAuthzService(ServiceContext ctx) : ctx_(ctx) {
  if (ctx_.metrics != nullptr) {
    no_route_series_ = ctx_.metrics->Rpc("Check", RpcMetrics::kNoRoute);
    default_route_series_ =
        ctx_.metrics->Rpc("Check", RpcMetrics::kDefaultRoute);
  }
}

RpcSeries* ExtAuthzService::SeriesOf(const ServingState& state,
                                     const Decision& d) const {
  if (ctx_.metrics == nullptr) return nullptr;
  if (d.route == nullptr) return no_route_series_;
  if (d.route->name.empty()) return default_route_series_;
  const ExtAuthzPolicy& policy = *d.policy;
  // Routes are the policy's own vector: the index is the pointer offset.
  const size_t i = static_cast<size_t>(d.route - policy.routes.data());
  if (d.policy == state.ext_authz.get() && i < state.check_series.size()) {
    return state.check_series[i];
  }
  // A ServingState built without resolved series (tests): look it up.
  return ctx_.metrics->Rpc("Check", Metrics::RouteLabel(d.route->name));
}

CheckContext ExtAuthzService::Decision::context() const {
  CheckContext c;
  c.request_id = request_id;
  c.cookie_header = cookie_header;
  if (found.has_value()) {
    c.source = found->source;
    c.token = found->token;
  }
  return c;
}

ExtAuthzService::Decision ExtAuthzService::Decide(
    const ServingState& state, const CheckRequestView& request,
    authv3::CheckResponse* response) const {
  Decision d;
  d.policy =
      state.ext_authz != nullptr ? state.ext_authz.get() : &DefaultPolicy();
  const ExtAuthzPolicy& policy = *d.policy;
  // RequestView holds FunctionRefs: the callables must outlive it.
  auto header = [&request](absl::string_view n) { return request.Header(n); };
  auto extension = [&request](absl::string_view k) {
    return request.ContextExtension(k);
  };
  const RequestView view{request.method(), request.host(), request.path(),
                         request.query(),  header,         extension};
  d.request_id = request.Header("x-request-id").value_or(request.id());
  const CheckContext no_token = d.context();
  Denial deny(ctx_.logger, policy, no_token, response);

  d.route = policy.SelectRoute(view);
  if (d.route == nullptr) return d.Answered(deny.UnknownRoute());
  const ExtAuthzRoute& route = *d.route;
  const ExtAuthzRule* rule = route.FirstMatchingRule(view);
  if (rule == nullptr || rule->action == ExtAuthzRule::Action::kDeny) {
    return d.Answered(deny.ByRule(route.name, /*no_rule=*/rule == nullptr));
  }
  if (rule->action == ExtAuthzRule::Action::kAllow) {
    // No token needed; still strip client-sent copies of the headers that
    // upstream trusts to come from us.
    AllowWithoutClaims(policy, route, FailureReason::kUnspecified, response);
    return d.AllowedWithoutClaims("OK");
  }

  d.found = FindToken(route.token_sources, view);
  if (d.found.has_value() &&
      d.found->source->kind == TokenSource::Kind::kCookie) {
    d.cookie_header = request.Header("cookie").value_or("");
  }
  const CheckContext check = d.context();
  Denial token_deny(ctx_.logger, policy, check, response);
  VerifyResult result = VerifyRouteToken(state, route, d.found);
  if (!result.ok()) {
    const FailureReason reason = result.failure().reason;
    if (AllowedWithoutToken(route, *rule, reason)) {
      AllowWithoutClaims(policy, route,
                         reason == FailureReason::kTokenMissing
                             ? FailureReason::kUnspecified
                             : reason,
                         response);
      return d.AllowedWithoutClaims(ResultLabel(reason));
    }
    return d.Answered(token_deny.InvalidToken(reason, route.name));
  }
  if (rule->action == ExtAuthzRule::Action::kClaims) {
    if (const ClaimCondition* failed =
            FirstFailedCondition(*rule, result->claims())) {
      return d.Answered(token_deny.FailedClaim(*failed, route.name));
    }
  }
  d.verified = *std::move(result);
  return d.AllowedWithoutClaims("OK");  // the claims come with `verified`
}

absl::StatusOr<const CheckAnswer*> ExtAuthzService::VerifiedAnswer(
    const ServingState& state, const Decision& d,
    std::shared_ptr<const CheckAnswer>* hold) const {
  const ExtAuthzRoute& route = *d.route;
  const CheckContext check = d.context();
  const bool strip = !route.options.forward_token && check.source != nullptr;
  // A cookie token's removal depends on the request's other cookies: that
  // answer is rebuilt per request (only its upstream token is memoised).
  const bool per_request =
      strip && check.source->kind == TokenSource::Kind::kCookie;
  auto build = [&]() -> absl::StatusOr<CheckAnswer> {
    CheckAnswer answer;
    if (const auto& up = route.options.upstream_token; up.has_value()) {
      const absl::Time now = absl::Now();
      JWTAUTH_ASSIGN_OR_RETURN(IssuedToken issued,
                               MintUpstreamToken(state, *up, *d.verified));
      answer.upstream_token = std::move(issued.token);
      answer.refresh_at =
          issued.expires_at -
          std::min(kMaxRefreshMargin, (issued.expires_at - now) / 4);
    }
    if (!per_request) {
      authv3::CheckResponse response;
      AllowVerified(*d.policy, route, *d.verified, check,
                    AllowedExtras{answer.upstream_token, strip}, &response);
      answer.bytes = response.SerializeAsString();
    }
    return answer;
  };
  const auto& memo = d.verified->Memo<std::unique_ptr<AllowedCheckMemo>>(
      kAllowedCheckMemo, [] { return std::make_unique<AllowedCheckMemo>(); });
  return memo->Get(&route, strip ? check.source : nullptr, absl::Now(), build,
                   hold);
}

absl::string_view ExtAuthzService::Finish(const ServingState& state,
                                          Decision& d,
                                          authv3::CheckResponse* response,
                                          WireAnswer* wire) const {
  const CheckContext check = d.context();
  const bool strip = d.verified.has_value() &&
                     !d.route->options.forward_token && check.source != nullptr;
  if (d.verified.has_value() && wire == nullptr &&
      !d.route->options.upstream_token.has_value()) {
    // Authorize without an upstream token: nothing worth memoising.
    AllowVerified(*d.policy, *d.route, *d.verified, check,
                  AllowedExtras{"", strip}, response);
  } else if (d.verified.has_value()) {
    std::shared_ptr<const CheckAnswer> hold;
    absl::StatusOr<const CheckAnswer*> answer = VerifiedAnswer(state, d, &hold);
    if (!answer.ok()) {
      DenyUpstreamToken(state, d, answer.status(), response);
    } else if (wire != nullptr && !(*answer)->bytes.empty()) {
      wire->hold = std::move(hold);
      wire->bytes = (*answer)->bytes;
    } else {
      AllowVerified(*d.policy, *d.route, *d.verified, check,
                    AllowedExtras{(*answer)->upstream_token, strip}, response);
    }
  }
  if (wire != nullptr && wire->bytes.data() == nullptr) {
    wire->scratch = response->SerializeAsString();
    wire->bytes = wire->scratch;
  }
  if (d.allowed && Sampled(d.route->options.log_allowed_sample_rate)) {
    LogCheckDecision(ctx_.logger, true, check, d.route->name, d.log_reason);
  }
  return d.label;
}

void ExtAuthzService::DenyUpstreamToken(const ServingState& state, Decision& d,
                                        const absl::Status& error,
                                        authv3::CheckResponse* response) const {
  const CheckContext check = d.context();
  Denial deny(ctx_.logger, *d.policy, check, response);
  d.allowed = false;
  d.verified.reset();
  if (absl::IsFailedPrecondition(error) && state.issuer != nullptr) {
    // The source token expires within the second: as good as expired.
    d.label = deny.InvalidToken(FailureReason::kExpired, d.route->name);
    return;
  }
  if (ctx_.logger != nullptr) {
    ctx_.logger->Log(LogLevel::kWarn, "upstream_token_failed",
                     {{"route", d.route->name},
                      {"request_id", std::string(d.request_id)},
                      {"error", std::string(error.message())}});
  }
  d.label = deny.UpstreamTokenFailed(d.route->name);
}

absl::string_view ExtAuthzService::Authorize(
    const ServingState& state, const authv3::CheckRequest& request,
    authv3::CheckResponse* response) const {
  const CheckRequestView view = CheckRequestView::FromMessage(request);
  Decision d = Decide(state, view, response);
  return Finish(state, d, response, nullptr);
}

grpc::ServerUnaryReactor* ExtAuthzService::Check(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
    grpc::ByteBuffer* response) {
  return FinishUnary(context, ServeCheck(context, request, response));
}

grpc::Status ExtAuthzService::ServeCheck(
    grpc::ServerContextBase* /*context*/, const grpc::ByteBuffer* request_bytes,
    grpc::ByteBuffer* response_bytes) const {
  const absl::Time start = absl::Now();
  auto finish = [&](RpcSeries* series, absl::string_view label,
                    const grpc::Status& status) {
    if (series != nullptr) series->Record(label, absl::Now() - start);
    return status;
  };
  auto not_a_check_request = [&] {
    return finish(no_route_series_,
                  GrpcCodeName(grpc::StatusCode::INVALID_ARGUMENT),
                  grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                               "request is not an envoy CheckRequest"));
  };
  // The request is read in place (CheckRequestView::FromWire); only bytes
  // it declines are parsed by protobuf, on an arena whose first block is on
  // this stack, as is the answer: a denial is built without the heap.
  grpc::Slice slice;
  if (!SingleSliceOf(*request_bytes, &slice)) return not_a_check_request();
  const absl::string_view bytes(reinterpret_cast<const char*>(slice.begin()),
                                slice.size());
  alignas(16) char arena_block[8192];
  google::protobuf::ArenaOptions arena_options;
  arena_options.initial_block = arena_block;
  arena_options.initial_block_size = sizeof(arena_block);
  google::protobuf::Arena arena(arena_options);
  std::optional<CheckRequestView> view = CheckRequestView::FromWire(bytes);
  if (!view.has_value()) {
    auto* request =
        google::protobuf::Arena::CreateMessage<authv3::CheckRequest>(&arena);
    if (!request->ParseFromArray(bytes.data(),
                                 static_cast<int>(bytes.size()))) {
      return not_a_check_request();
    }
    view = CheckRequestView::FromMessage(*request);
  }
  std::shared_ptr<const ServingState> state =
      ctx_.state != nullptr ? ctx_.state->Current() : nullptr;
  if (state == nullptr || state->verifier == nullptr) {
    return finish(no_route_series_, GrpcCodeName(grpc::StatusCode::UNAVAILABLE),
                  grpc::Status(grpc::StatusCode::UNAVAILABLE,
                               "no configuration loaded yet"));
  }
  auto* response =
      google::protobuf::Arena::CreateMessage<authv3::CheckResponse>(&arena);
  Decision d = Decide(*state, *view, response);
  WireAnswer wire;
  const absl::string_view label = Finish(*state, d, response, &wire);
  *response_bytes = ByteBufferOf(wire.bytes);
  return finish(SeriesOf(*state, d), label, grpc::Status::OK);
}

}  // namespace jwtauth::server
