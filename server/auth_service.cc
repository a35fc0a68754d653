#include "server/auth_service.h"

#include <map>
#include <string>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/types/span.h"
#include "core/base64url.h"
#include "core/claim_matcher.h"
#include "core/claims.h"
#include "core/issuer.h"
#include "core/jwk.h"
#include "core/key_set.h"
#include "core/key_store.h"
#include "core/verifier.h"
#include "server/logging.h"
#include "server/loopback_peer.h"
#include "server/metrics.h"
#include "server/proto_json.h"
#include "server/source_redaction.h"
#include "server/status_mapping.h"
#include "server/unary_rpc.h"
#include "server/verify_handler.h"
#include "server/wire_buffer.h"

namespace jwtauth::server {

namespace {

// Times one RPC and records it exactly once, whatever path finishes it.
// `series` was resolved when the service was built (null: no metrics).
class RpcRecorder {
 public:
  explicit RpcRecorder(RpcSeries* series)
      : series_(series), start_(absl::Now()) {}
  void Record(absl::string_view result) {
    if (series_ != nullptr) series_->Record(result, absl::Now() - start_);
  }
  void Record(FailureReason reason) {
    if (series_ != nullptr) series_->Record(reason, absl::Now() - start_);
  }

 private:
  RpcSeries* series_;
  absl::Time start_;
};

grpc::Status FinishWith(RpcRecorder& recorder, const grpc::Status& status) {
  recorder.Record(GrpcCodeName(status.error_code()));
  return status;
}

grpc::Status Denied(absl::string_view message) {
  return grpc::Status(grpc::StatusCode::PERMISSION_DENIED,
                      std::string(message));
}

void Log(Logger* logger, LogLevel level, absl::string_view event,
         std::initializer_list<Logger::Field> fields) {
  if (logger != nullptr && logger->Enabled(level)) {
    logger->Log(level, event, fields);
  }
}

// "iat" of a token this process just signed (trusted input).
std::optional<absl::Time> IssuedAtOf(absl::string_view token) {
  std::vector<absl::string_view> parts = absl::StrSplit(token, '.');
  if (parts.size() != 3) return std::nullopt;
  std::optional<std::string> payload = Base64UrlDecode(parts[1]);
  if (!payload.has_value()) return std::nullopt;
  nlohmann::json claims = nlohmann::json::parse(*payload, nullptr, false);
  if (claims.is_discarded() || !claims.is_object()) return std::nullopt;
  auto it = claims.find("iat");
  if (it == claims.end() || !it->is_number()) return std::nullopt;
  return absl::FromUnixSeconds(it->get<int64_t>());
}

void FillIssued(const IssuedToken& issued, const TokenIssuer& issuer,
                absl::string_view mode, v1::IssueTokenResponse* response) {
  response->set_token(issued.token);
  *response->mutable_expires_at() = ToProtoTimestamp(issued.expires_at);
  response->set_kid(issued.kid);
  response->set_alg(std::string(AlgorithmName(issued.alg)));
  response->set_jti(issued.jti);
  response->set_issuer(issuer.options().issuer);
  response->set_mode(std::string(mode));
  if (std::optional<absl::Time> iat = IssuedAtOf(issued.token)) {
    *response->mutable_issued_at() = ToProtoTimestamp(*iat);
  }
}

}  // namespace

std::vector<std::string> PeerIdentities(const grpc::AuthContext& auth) {
  std::vector<std::string> out;
  // Only a transport that verified the peer's certificate sets a peer
  // identity; unauthenticated peers carry no identity we may trust.
  if (!auth.IsPeerAuthenticated()) return out;
  for (const char* property :
       {GRPC_PEER_URI_PROPERTY_NAME, GRPC_PEER_DNS_PROPERTY_NAME}) {
    for (const grpc::string_ref& v : auth.FindPropertyValues(property)) {
      out.emplace_back(v.data(), v.size());
    }
  }
  return out;
}

AuthService::AuthService(ServiceContext ctx) : ctx_(ctx) {
  if (ctx_.metrics != nullptr) {
    verify_series_ = ctx_.metrics->Rpc("Verify");
    issue_series_ = ctx_.metrics->Rpc("IssueToken");
    list_series_ = ctx_.metrics->Rpc("ListKeys");
  }
}

grpc::ServerUnaryReactor* AuthService::Verify(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
    grpc::ByteBuffer* response) {
  return FinishUnary(context, ServeVerify(context, request, response));
}

grpc::ServerUnaryReactor* AuthService::IssueToken(
    grpc::CallbackServerContext* context, const v1::IssueTokenRequest* request,
    v1::IssueTokenResponse* response) {
  return FinishUnary(context, ServeIssueToken(context, request, response));
}

grpc::ServerUnaryReactor* AuthService::ListKeys(
    grpc::CallbackServerContext* context, const v1::ListKeysRequest* request,
    v1::ListKeysResponse* response) {
  return FinishUnary(context, ServeListKeys(context, request, response));
}

grpc::Status AuthService::ServeVerify(grpc::ServerContextBase* /*context*/,
                                      const grpc::ByteBuffer* request_bytes,
                                      grpc::ByteBuffer* response_bytes) const {
  RpcRecorder recorder(verify_series_);
  v1::VerifyRequest request;
  if (!ParseFromByteBuffer(*request_bytes, &request)) {
    return FinishWith(
        recorder, grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                               "request is not a jwtauth.v1.VerifyRequest"));
  }
  std::shared_ptr<const ServingState> state =
      ctx_.state != nullptr ? ctx_.state->Current() : nullptr;
  absl::StatusOr<SerializedVerifyResponse> answer =
      HandleVerifySerialized(state.get(), request);
  if (!answer.ok()) {
    return FinishWith(recorder, ToGrpcStatus(answer.status()));
  }
  *response_bytes = ByteBufferOf(answer->bytes());
  if (answer->valid()) {
    recorder.Record(FailureReason::kUnspecified);  // "OK"
  } else {
    recorder.Record(answer->reason());
    Log(ctx_.logger, LogLevel::kDebug, "verify_rejected",
        {{"reason", std::string(FailureReasonName(answer->reason()))},
         {"provider", request.provider()},
         {"token",
          TokenFingerprint(ExtractBearerOrRawToken(request.token()))}});
  }
  return grpc::Status::OK;
}

namespace {

// The caller's verified "scope" claim (a space-separated string or an array
// of strings, RFC 8693 §4.2) holds `scope`: the claim-matching engine's
// `contains`, as in provider claim rules and ext_authz conditions.
bool HasScope(const VerifiedToken& token, const std::string& scope) {
  return ClaimValueMatches(Claims(token.claims()).Find("scope"),
                           ClaimMatchOp::kContains,
                           absl::MakeConstSpan(&scope, 1));
}

// "mtls:<id>" for a verified peer identity listed in `identities`.
std::optional<std::string> MtlsCaller(
    grpc::ServerContextBase* context,
    const std::vector<std::string>& identities) {
  std::shared_ptr<const grpc::AuthContext> auth = context->auth_context();
  if (auth == nullptr) return std::nullopt;
  for (const std::string& id : PeerIdentities(*auth)) {
    for (const std::string& allowed : identities) {
      if (id == allowed) return absl::StrCat("mtls:", id);
    }
  }
  return std::nullopt;
}

// A caller token in metadata "authorization: Bearer ..." that the production
// verifier accepts as a token of one of `caller_providers` (tried in order,
// each alone) and whose "scope" holds `scope`; no caller providers = no
// caller tokens. OK with *caller = "token:<provider>".
grpc::Status TokenCaller(grpc::ServerContextBase* context,
                         const TokenVerifier& verifier,
                         const std::string& scope,
                         const std::vector<std::string>& caller_providers,
                         absl::string_view mode, Logger* logger,
                         std::string* caller) {
  const absl::string_view what =
      mode == "direct" ? "direct issuing" : "token exchange";
  const auto& md = context->client_metadata();
  auto it = md.find("authorization");
  if (it == md.end()) {
    return Denied(absl::StrCat(what,
                               " requires an allowed mTLS identity or a "
                               "caller token with the required scope"));
  }
  std::optional<absl::string_view> caller_token = ParseBearerHeader(
      absl::string_view(it->second.data(), it->second.size()));
  if (!caller_token.has_value()) {
    return Denied("authorization metadata is not a Bearer token");
  }
  if (caller_providers.empty() || scope.empty()) {
    return Denied(absl::StrCat(
        what, ": caller tokens are not accepted (issue.", mode,
        ".caller_providers is empty); use an allowed mTLS identity"));
  }
  const VerifyResult verified =
      verifier.VerifyWithAnyOf(*caller_token, caller_providers);
  if (!verified.ok()) {
    const absl::string_view reason =
        FailureReasonName(verified.failure().reason);
    Log(logger, LogLevel::kWarn, "issue_denied",
        {{"mode", std::string(mode)},
         {"reason", std::string(reason)},
         {"token", TokenFingerprint(*caller_token)}});
    return Denied(absl::StrCat("caller token rejected: ", reason));
  }
  if (!HasScope(*verified, scope)) {
    return Denied(absl::StrCat("caller token lacks scope \"", scope, "\""));
  }
  *caller = absl::StrCat("token:", verified->provider());
  return grpc::Status::OK;
}

// Who is calling IssueToken (`mode`: "direct" or "exchange"): a verified
// mTLS identity listed in `identities`, else a caller token (TokenCaller).
// OK with *caller = "mtls:<id>" / "token:<provider>", else
// PERMISSION_DENIED. Shared by direct mode and exchange's require_caller.
grpc::Status AuthenticateCaller(
    grpc::ServerContextBase* context, const TokenVerifier& verifier,
    const std::vector<std::string>& identities, const std::string& scope,
    const std::vector<std::string>& caller_providers, absl::string_view mode,
    Logger* logger, std::string* caller) {
  if (std::optional<std::string> mtls = MtlsCaller(context, identities)) {
    *caller = *std::move(mtls);
    return grpc::Status::OK;
  }
  return TokenCaller(context, verifier, scope, caller_providers, mode, logger,
                     caller);
}

void LogIssued(Logger* logger, absl::string_view mode,
               const std::string& caller, const IssuedToken& issued) {
  Log(logger, LogLevel::kInfo, "token_issued",
      {{"mode", std::string(mode)},
       {"caller", caller},
       {"kid", issued.kid},
       {"alg", std::string(AlgorithmName(issued.alg))},
       {"jti", issued.jti}});
}

// The checks before an exchange: enabled, the caller (when required), a
// signing key, ttl within the exchange maximum. Sets *caller.
grpc::Status CheckExchangeAllowed(grpc::ServerContextBase* context,
                                  const ServingState& state, absl::Duration ttl,
                                  Logger* logger, std::string* caller) {
  const IssuePolicy& policy = state.issue_policy;
  if (!policy.exchange_enabled) {
    Log(logger, LogLevel::kWarn, "issue_denied",
        {{"mode", "exchange"}, {"reason", "exchange disabled"}});
    return Denied("token exchange is disabled");
  }
  *caller = "anonymous";
  if (policy.exchange_require_caller) {
    grpc::Status s = AuthenticateCaller(
        context, *state.verifier, policy.exchange_allowed_identities,
        policy.exchange_required_scope, policy.exchange_caller_providers,
        "exchange", logger, caller);
    if (!s.ok()) return s;
  }
  if (state.issuer == nullptr) {
    return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION,
                        "no signing key is configured");
  }
  if (ttl > policy.exchange_max_ttl) {
    return grpc::Status(
        grpc::StatusCode::INVALID_ARGUMENT,
        absl::StrCat("ttl exceeds the exchange maximum of ",
                     absl::FormatDuration(policy.exchange_max_ttl)));
  }
  return grpc::Status::OK;
}

// Exchange mode (issue.exchange): policy, optional caller check, then
// TokenIssuer::Exchange (allowed providers / audiences, subject binding).
grpc::Status IssueByExchange(grpc::ServerContextBase* context,
                             const ServingState& state,
                             const v1::IssueTokenRequest& request,
                             absl::Duration ttl, Logger* logger,
                             v1::IssueTokenResponse* response) {
  std::string caller;
  grpc::Status allowed =
      CheckExchangeAllowed(context, state, ttl, logger, &caller);
  if (!allowed.ok()) return allowed;
  const absl::string_view subject_token =
      ExtractBearerOrRawToken(request.subject_token());
  ExchangeRequest xreq;
  xreq.subject = request.subject();
  xreq.audiences.assign(request.audiences().begin(), request.audiences().end());
  xreq.ttl = ttl;
  absl::StatusOr<FailureOr<IssuedToken>> issued = state.issuer->Exchange(
      subject_token, VerifyOptions{}, *state.verifier, xreq);
  if (!issued.ok()) {
    Log(logger, LogLevel::kWarn, "issue_denied",
        {{"mode", "exchange"},
         {"caller", caller},
         {"reason", std::string(issued.status().message())}});
    return ToGrpcStatus(issued.status());
  }
  if (!issued->ok()) {
    const Failure& failure = issued->failure();
    Log(logger, LogLevel::kWarn, "issue_denied",
        {{"mode", "exchange"},
         {"caller", caller},
         {"reason", std::string(FailureReasonName(failure.reason))},
         {"token", TokenFingerprint(subject_token)}});
    return Denied(absl::StrCat(
        "subject token rejected: ", FailureReasonName(failure.reason), " (",
        failure.detail, ")"));
  }
  FillIssued(**issued, *state.issuer, "exchange", response);
  LogIssued(logger, "exchange", caller, **issued);
  return grpc::Status::OK;
}

// The dev default's direct-mode caller check: loopback peers only, with no
// other credential. OK with *caller = "loopback".
grpc::Status LoopbackCaller(grpc::ServerContextBase* context, Logger* logger,
                            std::string* caller) {
  if (!IsLoopbackPeer(context->peer())) {
    Log(logger, LogLevel::kWarn, "issue_denied",
        {{"mode", "direct"},
         {"reason", "not a loopback caller"},
         {"peer", context->peer()}});
    return Denied(
        "direct issuing on the dev default is open to loopback callers only "
        "(this caller is not on 127.0.0.0/8 or ::1)");
  }
  *caller = "loopback";
  return grpc::Status::OK;
}

// Direct mode (issue.direct): the caller must be allowed, claims from it.
grpc::Status IssueDirect(grpc::ServerContextBase* context,
                         const ServingState& state,
                         const v1::IssueTokenRequest& request,
                         absl::Duration ttl, Logger* logger,
                         v1::IssueTokenResponse* response) {
  const IssuePolicy& policy = state.issue_policy;
  if (!policy.direct_enabled) {
    Log(logger, LogLevel::kWarn, "issue_denied",
        {{"mode", "direct"}, {"reason", "direct disabled"}});
    return Denied("direct issuing is disabled");
  }
  std::string caller;
  grpc::Status s =
      policy.direct_loopback_callers
          ? LoopbackCaller(context, logger, &caller)
          : AuthenticateCaller(context, *state.verifier,
                               policy.allowed_identities, policy.required_scope,
                               policy.caller_providers, "direct", logger,
                               &caller);
  if (!s.ok()) return s;
  if (state.issuer == nullptr) {
    return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION,
                        "no signing key is configured");
  }
  IssueRequest ireq;
  if (request.has_claims()) ireq.claims = StructToJson(request.claims());
  ireq.subject = request.subject();
  ireq.audiences.assign(request.audiences().begin(), request.audiences().end());
  if (ireq.audiences.empty() && !ireq.claims.contains("aud")) {
    ireq.audiences = policy.direct_default_audiences;
  }
  ireq.ttl = ttl;
  absl::StatusOr<IssuedToken> issued = state.issuer->Issue(ireq);
  if (!issued.ok()) return ToGrpcStatus(issued.status());
  FillIssued(*issued, *state.issuer, "direct", response);
  LogIssued(logger, "direct", caller, *issued);
  return grpc::Status::OK;
}

// The requested ttl (zero = the issuer's default); INVALID_ARGUMENT when
// negative.
absl::StatusOr<absl::Duration> RequestedTtl(
    const v1::IssueTokenRequest& request) {
  if (!request.has_ttl()) return absl::ZeroDuration();
  if (request.ttl().seconds() < 0 || request.ttl().nanos() < 0) {
    return absl::InvalidArgumentError("ttl must not be negative");
  }
  return FromProtoDuration(request.ttl());
}

}  // namespace

grpc::Status AuthService::ServeIssueToken(
    grpc::ServerContextBase* context, const v1::IssueTokenRequest* request,
    v1::IssueTokenResponse* response) const {
  RpcRecorder recorder(issue_series_);
  std::shared_ptr<const ServingState> state =
      ctx_.state != nullptr ? ctx_.state->Current() : nullptr;
  if (state == nullptr || state->verifier == nullptr) {
    return FinishWith(recorder, grpc::Status(grpc::StatusCode::UNAVAILABLE,
                                             "no configuration loaded yet"));
  }
  const absl::StatusOr<absl::Duration> ttl = RequestedTtl(*request);
  if (!ttl.ok()) {
    return FinishWith(recorder, ToGrpcStatus(ttl.status()));
  }
  grpc::Status status =
      request->subject_token().empty()
          ? IssueDirect(context, *state, *request, *ttl, ctx_.logger, response)
          : IssueByExchange(context, *state, *request, *ttl, ctx_.logger,
                            response);
  if (!status.ok()) {
    response->Clear();
    return FinishWith(recorder, status);
  }
  recorder.Record("OK");
  return grpc::Status::OK;
}

namespace {

// Everything ListKeys reports about one store entry except `published`.
// `refreshed`: refresh stamps per (provider, source).
void FillKeyInfo(
    const KeyEntry& entry, bool primary,
    const std::map<std::pair<std::string, std::string>, absl::Time>& refreshed,
    v1::KeyInfo* info) {
  const Key& key = entry.key();
  info->set_kid(key.kid());
  info->set_alg(key.alg().has_value() ? std::string(AlgorithmName(*key.alg()))
                                      : std::string());
  info->set_kty(std::string(KeyTypeName(key.kty())));
  info->set_provider(entry.provider());
  // Public form: no secret file paths, env var names or URL credentials
  // (no information exposure on an unauthenticated RPC).
  info->set_source(PublicSourceId(entry.source_id()));
  info->set_primary(primary);
  if (key.loaded_at() != absl::InfinitePast()) {
    *info->mutable_loaded_at() = ToProtoTimestamp(key.loaded_at());
  }
  if (auto r = refreshed.find({entry.provider(), entry.source_id()});
      r != refreshed.end()) {
    *info->mutable_refreshed_at() = ToProtoTimestamp(r->second);
  }
  info->set_state(ToProtoKeyState(key.state()));
  info->set_verifications(entry.verifications());
  if (std::optional<absl::Time> used = entry.last_used()) {
    *info->mutable_last_used() = ToProtoTimestamp(*used);
  }
  info->set_crv(std::string(CurveName(key.material().curve())));
  // A secret's length is not published (it narrows a brute force).
  info->set_bits(key.kty() == KeyType::kOct ? 0 : key.material().bits());
}

}  // namespace

grpc::Status AuthService::ServeListKeys(grpc::ServerContextBase* /*context*/,
                                        const v1::ListKeysRequest* request,
                                        v1::ListKeysResponse* response) const {
  RpcRecorder recorder(list_series_);
  std::shared_ptr<const ServingState> state =
      ctx_.state != nullptr ? ctx_.state->Current() : nullptr;
  KeyStore* store = ctx_.key_store;
  if (store == nullptr && state != nullptr && state->verifier != nullptr) {
    store = state->verifier->key_store();
  }
  if (store == nullptr) {
    return FinishWith(recorder, grpc::Status(grpc::StatusCode::UNAVAILABLE,
                                             "no configuration loaded yet"));
  }
  KeySetSnapshot snapshot = store->Current();
  const std::string& provider = request->provider();
  if (!provider.empty() && snapshot->provider(provider) == nullptr &&
      (state == nullptr || state->verifier == nullptr ||
       state->verifier->FindPolicy(provider) == nullptr)) {
    return FinishWith(recorder, grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                                             "unknown provider"));
  }
  std::string primary_source;
  std::string primary_kid;
  if (state != nullptr && state->issuer != nullptr) {
    primary_source = state->issuer->signing_key().source_id();
    primary_kid = state->issuer->signing_key().kid();
  }

  // Refresh stamps per (provider, source): set for sources that are
  // refreshed one by one (JWKS URLs), unset for static keys.
  std::map<std::pair<std::string, std::string>, absl::Time> refreshed;
  for (const SourceInfo& source : store->Sources()) {
    if (source.refreshed_at != absl::InfinitePast()) {
      refreshed[{source.provider, source.source_id}] = source.refreshed_at;
    }
  }

  std::vector<const Key*> published;
  for (const KeyEntry* entry : snapshot->AllEntries()) {
    if (!provider.empty() && entry->provider() != provider) continue;
    const Key& key = entry->key();
    v1::KeyInfo* info = response->add_keys();
    const bool primary = !primary_source.empty() &&
                         entry->source_id() == primary_source &&
                         key.kid() == primary_kid;
    FillKeyInfo(*entry, primary, refreshed, info);
    if (key.kty() == KeyType::kOct) continue;  // secrets are never exported
    // Without a provider, jwks_json is the service's own public JWKS (the
    // /.well-known/jwks.json document): own signing keys only. With a
    // provider it is the set of keys trusted for that provider.
    if (provider.empty() && !IsSigningKeySource(entry->source_id())) continue;
    info->set_published(true);
    published.push_back(&key);  // the snapshot keeps the key alive
  }
  response->set_jwks_json(ExportPublicJwksText(published));
  recorder.Record("OK");
  return grpc::Status::OK;
}

}  // namespace jwtauth::server
