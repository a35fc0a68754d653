#include "server/ext_authz_service.h"

#include <array>
#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "core/algorithm.h"
#include "core/failure.h"
#include "core/verifier.h"
#include "google/protobuf/arena.h"
#include "google/protobuf/struct.pb.h"
#include "nlohmann/json.hpp"
#include "server/ext_authz_policy.h"
#include "server/logging.h"
#include "server/memo_slots.h"
#include "server/metrics.h"
#include "server/proto_json.h"
#include "server/status_mapping.h"
#include "server/unary_rpc.h"
#include "server/wire_buffer.h"

namespace jwtauth::server {
namespace {

namespace authv3 = ::envoy::service::auth::v3;
using ::envoy::config::core::v3::HeaderValueOption;

// google.rpc.Code values.
constexpr int kRpcOk = 0;
constexpr int kRpcPermissionDenied = 7;
constexpr int kRpcUnavailable = 14;
constexpr int kRpcUnauthenticated = 16;

constexpr absl::string_view kPermissionDeniedLabel = "PERMISSION_DENIED";

const ExtAuthzPolicy& DefaultPolicy() {
  static const ExtAuthzPolicy* const kPolicy =
      new ExtAuthzPolicy(DefaultExtAuthzPolicy());
  return *kPolicy;
}

// Fixed, secret-free phrase per reason for error_description: never the
// Failure detail (which may echo token-derived values).
absl::string_view ReasonPhrase(FailureReason reason) {
  switch (reason) {
    case FailureReason::kUnspecified:
      return "token rejected";
    case FailureReason::kTokenMissing:
      return "missing token";
    case FailureReason::kTokenTooLarge:
      return "token too large";
    case FailureReason::kMalformed:
      return "malformed token";
    case FailureReason::kUnsupportedAlgorithm:
      return "unsupported algorithm";
    case FailureReason::kHeaderRejected:
      return "token header rejected";
    case FailureReason::kKeyNotFound:
      return "signing key not found";
    case FailureReason::kSignatureInvalid:
      return "invalid signature";
    case FailureReason::kExpired:
      return "token expired";
    case FailureReason::kNotYetValid:
      return "token not yet valid";
    case FailureReason::kIssuedInFuture:
      return "token issued in the future";
    case FailureReason::kLifetimeTooLong:
      return "token lifetime too long";
    case FailureReason::kIssuerMismatch:
      return "issuer not accepted";
    case FailureReason::kAudienceMismatch:
      return "audience not accepted";
    case FailureReason::kSubjectMismatch:
      return "subject not accepted";
    case FailureReason::kClaimMissing:
      return "required claim missing";
    case FailureReason::kClaimInvalid:
      return "claim value not accepted";
    case FailureReason::kKeysUnavailable:
      return "signing keys unavailable";
  }
  return "token rejected";
}

void AppendQuoted(std::string& out, absl::string_view value) {
  out.push_back('"');
  for (char c : value) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) continue;  // never valid in a header
    if (c == '"' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  out.push_back('"');
}

void SetHeader(HeaderValueOption* option, absl::string_view key,
               absl::string_view value) {
  option->mutable_header()->set_key(std::string(key));
  option->mutable_header()->set_value(std::string(value));
  // Overwrite, never append (append_action is what current Envoys read;
  // append=false is what older ones read).
  option->set_append_action(HeaderValueOption::OVERWRITE_IF_EXISTS_OR_ADD);
  option->mutable_append()->set_value(false);
}

void SetString(google::protobuf::Struct* s, absl::string_view key,
               absl::string_view value) {
  (*s->mutable_fields())[std::string(key)].set_string_value(std::string(value));
}

// The request as the policy sees it. Borrows from the CheckRequest.
class RequestAdapter {
 public:
  explicit RequestAdapter(const authv3::AttributeContext& attrs)
      : attrs_(attrs), http_(attrs.request().http()) {
    absl::string_view target = http_.path();
    target = target.substr(0, target.find('#'));
    const size_t q = target.find('?');
    if (q == absl::string_view::npos) {
      path_ = target;
      query_ = http_.query();
    } else {
      path_ = target.substr(0, q);
      query_ = target.substr(q + 1);
    }
  }

  std::optional<absl::string_view> Header(absl::string_view name) const {
    const auto& headers = http_.headers();
    if (!headers.empty()) {
      // Envoy sends lower-case names: exact hit first, then any case.
      auto it = headers.find(std::string(name));
      if (it != headers.end()) return absl::string_view(it->second);
      for (const auto& [k, v] : headers) {
        if (absl::EqualsIgnoreCase(k, name)) return absl::string_view(v);
      }
      return std::nullopt;
    }
    // encode_raw_headers: HeaderMap with value or raw_value.
    for (const auto& h : http_.header_map().headers()) {
      if (absl::EqualsIgnoreCase(h.key(), name)) {
        return absl::string_view(h.value().empty() ? h.raw_value() : h.value());
      }
    }
    return std::nullopt;
  }

  std::optional<absl::string_view> ContextExtension(
      absl::string_view key) const {
    const auto& ext = attrs_.context_extensions();
    auto it = ext.find(std::string(key));
    if (it == ext.end()) return std::nullopt;
    return absl::string_view(it->second);
  }

  absl::string_view method() const { return http_.method(); }
  absl::string_view host() const { return http_.host(); }
  absl::string_view path() const { return path_; }
  absl::string_view query() const { return query_; }

 private:
  const authv3::AttributeContext& attrs_;
  const authv3::AttributeContext::HttpRequest& http_;
  absl::string_view path_;
  absl::string_view query_;
};

void Deny(authv3::CheckResponse* response, int rpc_code, int http_status,
          absl::string_view error, absl::string_view description,
          absl::string_view challenge) {
  response->mutable_status()->set_code(rpc_code);
  response->mutable_status()->set_message(std::string(description));
  authv3::DeniedHttpResponse* denied = response->mutable_denied_response();
  denied->mutable_status()->set_code(
      static_cast<envoy::type::v3::StatusCode>(http_status));
  if (!challenge.empty()) {
    SetHeader(denied->add_headers(), "www-authenticate", challenge);
  }
  SetHeader(denied->add_headers(), "content-type", "application/json");
  SetHeader(denied->add_headers(), "cache-control", "no-store");
  nlohmann::json body = {{"error", error}, {"error_description", description}};
  denied->set_body(body.dump());
}

// Writes one denial: the debug log line, the dynamic metadata (when the
// policy asks for it) and the denied response. Each method returns the
// metrics label of the outcome.
class Denial {
 public:
  Denial(Logger* logger, const ExtAuthzPolicy& policy,
         authv3::CheckResponse* response)
      : logger_(logger), policy_(policy), response_(response) {}

  absl::string_view UnknownRoute() {
    if (logger_ != nullptr) {
      logger_->Log(LogLevel::kWarn, "check_unknown_route",
                   {{"route_key", policy_.route_key}});
    }
    SetMetadata(kPermissionDeniedLabel, "");
    Deny(response_, kRpcPermissionDenied, 403, "access_denied", "unknown route",
         "");
    return kPermissionDeniedLabel;
  }

  absl::string_view ByRule(absl::string_view route, bool no_rule) {
    LogDenial(kPermissionDeniedLabel, route, "");
    SetMetadata(kPermissionDeniedLabel, route);
    Deny(response_, kRpcPermissionDenied, 403, "access_denied",
         no_rule ? "no rule allows this request" : "denied by rule", "");
    return kPermissionDeniedLabel;
  }

  absl::string_view InvalidToken(FailureReason reason, absl::string_view route,
                                 absl::string_view token) {
    const absl::string_view label = ResultLabel(reason);
    LogDenial(label, route, token);
    SetMetadata(label, route);
    if (reason == FailureReason::kKeysUnavailable) {
      Deny(response_, kRpcUnavailable, 503, "temporarily_unavailable",
           ReasonPhrase(reason), "");
    } else {
      Deny(response_, kRpcUnauthenticated, 401, "invalid_token",
           ReasonPhrase(reason),
           BearerChallenge("invalid_token", ReasonPhrase(reason)));
    }
    return label;
  }

  absl::string_view FailedClaim(const ClaimCondition& failed,
                                absl::string_view route,
                                absl::string_view token) {
    const bool scope = failed.op == ClaimCondition::Op::kContains &&
                       (failed.claim == "scope" || failed.claim == "scp");
    LogDenial(kPermissionDeniedLabel, route, token);
    SetMetadata(kPermissionDeniedLabel, route);
    const std::string description =
        absl::StrCat("claim \"", failed.claim, "\" does not satisfy the rule");
    Deny(response_, kRpcPermissionDenied, 403, "insufficient_scope",
         description,
         BearerChallenge("insufficient_scope", description,
                         scope ? absl::string_view(failed.values.front())
                               : absl::string_view()));
    return kPermissionDeniedLabel;
  }

 private:
  void LogDenial(absl::string_view reason, absl::string_view route,
                 absl::string_view token) {
    if (logger_ != nullptr && logger_->Enabled(LogLevel::kDebug)) {
      logger_->Log(LogLevel::kDebug, "check_denied",
                   {{"reason", std::string(reason)},
                    {"route", std::string(route)},
                    {"token", TokenFingerprint(token)}});
    }
  }

  void SetMetadata(absl::string_view reason, absl::string_view route) {
    if (!policy_.dynamic_metadata) return;
    SetString(response_->mutable_dynamic_metadata(), "reason", reason);
    SetString(response_->mutable_dynamic_metadata(), "route", route);
  }

  Logger* const logger_;  // not owned; may be null
  const ExtAuthzPolicy& policy_;
  authv3::CheckResponse* const response_;
};

authv3::OkHttpResponse* Allow(authv3::CheckResponse* response) {
  response->mutable_status()->set_code(kRpcOk);
  return response->mutable_ok_response();
}

// The route's token, verified for its provider and audience; TOKEN_MISSING
// when the request carries none.
VerifyResult VerifyRouteToken(const ServingState& state,
                              const ExtAuthzRoute& route,
                              const std::optional<std::string>& token) {
  if (!token.has_value()) {
    return VerifyResult(MakeFailure(FailureReason::kTokenMissing, "no token"));
  }
  VerifyOptions options;
  options.provider = route.provider;
  options.audience = route.audience;
  return state.verifier->Verify(*token, options);
}

// provider, kid, alg, route, claims and the provider's metadata.
void SetVerifiedMetadata(const VerifiedToken& verified, absl::string_view route,
                         google::protobuf::Struct* md) {
  SetString(md, "provider", verified.provider());
  SetString(md, "kid", verified.kid());
  SetString(md, "alg", AlgorithmName(verified.alg()));
  if (!route.empty()) SetString(md, "route", route);
  JsonToValue(verified.claims(), &(*md->mutable_fields())["claims"]);
  if (!verified.metadata().empty()) {
    auto* fields = (*md->mutable_fields())["metadata"]
                       .mutable_struct_value()
                       ->mutable_fields();
    for (const auto& [k, v] : verified.metadata()) {
      (*fields)[k].set_string_value(v);
    }
  }
}

// Forwards the route's claims as headers (and strips client-sent copies of
// those that are absent), plus the dynamic metadata.
void AllowVerified(const ExtAuthzPolicy& policy, const ExtAuthzRoute& route,
                   const VerifiedToken& verified,
                   authv3::CheckResponse* response) {
  authv3::OkHttpResponse* ok = Allow(response);
  for (const ForwardedClaim& fc : route.forward_claims) {
    std::optional<std::string> value =
        ClaimHeaderValue(verified.claims(), fc.claim);
    if (value.has_value()) {
      SetHeader(ok->add_headers(), fc.header, *value);
    } else {
      ok->add_headers_to_remove(fc.header);
    }
  }
  if (policy.dynamic_metadata) {
    SetVerifiedMetadata(verified, route.name,
                        response->mutable_dynamic_metadata());
  }
}

// The serialized allowed answers of one verified token, by route: a few
// append-only slots, lock-free (a reader never waits; a lost publish race
// just serializes once more). Route pointers are a safe key: a VerifiedToken
// is only ever served by the verifier that produced it, which belongs to one
// ServingState, whose policy (and so every route address) outlives it.
class AllowedCheckMemo {
 public:
  AllowedCheckMemo() = default;
  AllowedCheckMemo(const AllowedCheckMemo&) = delete;
  AllowedCheckMemo& operator=(const AllowedCheckMemo&) = delete;
  ~AllowedCheckMemo() {
    for (auto& slot : slots_) delete slot.load(std::memory_order_acquire);
  }

  // The bytes for `route`, serialized by `build` on first use. When every
  // slot is taken by other routes, builds into `*scratch` each time.
  template <typename Build>
  absl::string_view Get(const ExtAuthzRoute* route, Build build,
                        std::string* scratch) {
    for (auto& slot : slots_) {
      const Item* item = slot.load(std::memory_order_acquire);
      if (item == nullptr) {
        auto fresh = std::make_unique<Item>(Item{route, build()});
        const Item* expected = nullptr;
        if (slot.compare_exchange_strong(expected, fresh.get(),
                                         std::memory_order_acq_rel)) {
          return fresh.release()->bytes;
        }
        item = expected;  // another thread published first
      }
      if (item->route == route) return item->bytes;
    }
    *scratch = build();
    return *scratch;
  }

 private:
  struct Item {
    const ExtAuthzRoute* route;
    std::string bytes;
  };
  std::array<std::atomic<const Item*>, 4> slots_{};
};

// The allowed answer for `verified` on `route`, memoised on the token.
absl::string_view AllowedAnswer(const ExtAuthzPolicy& policy,
                                const ExtAuthzRoute& route,
                                const VerifiedToken& verified,
                                std::string* scratch) {
  const auto& memo = verified.Memo<std::unique_ptr<AllowedCheckMemo>>(
      kAllowedCheckMemo, [] { return std::make_unique<AllowedCheckMemo>(); });
  return memo->Get(
      &route,
      [&] {
        authv3::CheckResponse response;
        AllowVerified(policy, route, verified, &response);
        return response.SerializeAsString();
      },
      scratch);
}

}  // namespace

std::string BearerChallenge(absl::string_view error,
                            absl::string_view description,
                            absl::string_view scope) {
  std::string out = "Bearer error=";
  AppendQuoted(out, error);
  if (!description.empty()) {
    out += ", error_description=";
    AppendQuoted(out, description);
  }
  if (!scope.empty()) {
    out += ", scope=";
    AppendQuoted(out, scope);
  }
  return out;
}

ExtAuthzService::ExtAuthzService(ServiceContext ctx) : ctx_(ctx) {}

ExtAuthzService::Decision ExtAuthzService::Decide(
    const ServingState& state, const authv3::CheckRequest& request,
    authv3::CheckResponse* response) const {
  const ExtAuthzPolicy& policy =
      state.ext_authz != nullptr ? *state.ext_authz : DefaultPolicy();
  RequestAdapter adapter(request.attributes());
  // RequestView holds FunctionRefs: the callables must outlive it.
  auto header = [&adapter](absl::string_view n) { return adapter.Header(n); };
  auto extension = [&adapter](absl::string_view k) {
    return adapter.ContextExtension(k);
  };
  const RequestView view{adapter.method(), adapter.host(), adapter.path(),
                         adapter.query(),  header,         extension};
  Denial deny(ctx_.logger, policy, response);
  auto answered = [](absl::string_view label) {
    return Decision{label, std::nullopt, nullptr, nullptr};
  };

  const ExtAuthzRoute* route = policy.SelectRoute(view);
  if (route == nullptr) return answered(deny.UnknownRoute());
  const ExtAuthzRule* rule = route->FirstMatchingRule(view);
  if (rule == nullptr || rule->action == ExtAuthzRule::Action::kDeny) {
    return answered(deny.ByRule(route->name, /*no_rule=*/rule == nullptr));
  }
  if (rule->action == ExtAuthzRule::Action::kAllow) {
    // No token needed; still strip client-sent copies of the headers that
    // upstream trusts to come from us.
    authv3::OkHttpResponse* ok = Allow(response);
    for (const ForwardedClaim& fc : route->forward_claims) {
      ok->add_headers_to_remove(fc.header);
    }
    return answered("OK");
  }

  std::optional<std::string> token = ExtractToken(route->token_sources, view);
  VerifyResult result = VerifyRouteToken(state, *route, token);
  if (!result.ok()) {
    return answered(deny.InvalidToken(result.failure().reason, route->name,
                                      token.value_or("")));
  }
  if (rule->action == ExtAuthzRule::Action::kClaims) {
    if (const ClaimCondition* failed =
            FirstFailedCondition(*rule, result->claims())) {
      return answered(deny.FailedClaim(*failed, route->name, *token));
    }
  }
  return Decision{"OK", *std::move(result), &policy, route};
}

absl::string_view ExtAuthzService::Authorize(
    const ServingState& state, const authv3::CheckRequest& request,
    authv3::CheckResponse* response) const {
  Decision d = Decide(state, request, response);
  if (d.verified.has_value()) {
    AllowVerified(*d.policy, *d.route, *d.verified, response);
  }
  return d.label;
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
  auto finish = [&](absl::string_view label, const grpc::Status& status) {
    if (ctx_.metrics != nullptr) {
      ctx_.metrics->RecordRpc("Check", label, absl::Now() - start);
    }
    return status;
  };
  // Request and answer live on an arena whose first block is on this
  // stack: a typical CheckRequest (a dozen headers) parses, and a denial is
  // built, without touching the heap.
  alignas(16) char arena_block[8192];
  google::protobuf::ArenaOptions arena_options;
  arena_options.initial_block = arena_block;
  arena_options.initial_block_size = sizeof(arena_block);
  google::protobuf::Arena arena(arena_options);
  auto* request =
      google::protobuf::Arena::CreateMessage<authv3::CheckRequest>(&arena);
  if (!ParseFromByteBuffer(*request_bytes, request)) {
    return finish(GrpcCodeName(grpc::StatusCode::INVALID_ARGUMENT),
                  grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                               "request is not an envoy CheckRequest"));
  }
  std::shared_ptr<const ServingState> state =
      ctx_.state != nullptr ? ctx_.state->Current() : nullptr;
  if (state == nullptr || state->verifier == nullptr) {
    return finish(GrpcCodeName(grpc::StatusCode::UNAVAILABLE),
                  grpc::Status(grpc::StatusCode::UNAVAILABLE,
                               "no configuration loaded yet"));
  }
  auto* response =
      google::protobuf::Arena::CreateMessage<authv3::CheckResponse>(&arena);
  Decision d = Decide(*state, *request, response);
  if (d.verified.has_value()) {
    std::string scratch;
    *response_bytes =
        ByteBufferOf(AllowedAnswer(*d.policy, *d.route, *d.verified, &scratch));
  } else {
    *response_bytes = ByteBufferOf(response->SerializeAsString());
  }
  return finish(d.label, grpc::Status::OK);
}

}  // namespace jwtauth::server
