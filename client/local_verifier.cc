#include "client/local_verifier.h"

#include <cstdint>
#include <optional>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "core/algorithm.h"
#include "core/bearer_token.h"
#include "core/failure.h"
#include "core/jwks_source.h"
#include "core/status_macros.h"
#include "google/protobuf/util/json_util.h"

namespace jwtauth::client {
namespace {

google::protobuf::Timestamp ToTimestamp(absl::Time t) {
  google::protobuf::Timestamp ts;
  const int64_t secs = absl::ToUnixSeconds(t);
  ts.set_seconds(secs);
  ts.set_nanos(static_cast<int32_t>(
      absl::ToInt64Nanoseconds(t - absl::FromUnixSeconds(secs))));
  return ts;
}

// Core and wire reasons share their numbers (both are the closed list of
// auth.proto); an out-of-range value cannot occur.
v1::FailureReason ToWireReason(FailureReason reason) {
  const int n = static_cast<int>(reason);
  return v1::FailureReason_IsValid(n) ? static_cast<v1::FailureReason>(n)
                                      : v1::FAILURE_REASON_UNSPECIFIED;
}

// Failures whose answer may differ on the service because it knows keys or
// providers this client does not (yet): those are asked remotely.
bool DependsOnUnknownState(const Failure& failure, const ParsedJws* jws) {
  switch (failure.reason) {
    case FailureReason::kKeyNotFound:
    case FailureReason::kKeysUnavailable:
    case FailureReason::kIssuerMismatch:
      return true;
    case FailureReason::kSignatureInvalid:
      // With a kid the key that failed is the key the service has under that
      // kid; without one a key missing locally may be the one that signed.
      return jws == nullptr || !jws->kid().has_value();
    default:
      return false;
  }
}

std::vector<std::string> ProviderNames(const LocalVerifierOptions& options) {
  std::vector<std::string> names;
  for (const ProviderOptions& p : options.providers) names.push_back(p.name);
  return names;
}

}  // namespace

v1::VerifyResponse ToVerifyResponse(const jwtauth::VerifyResult& result) {
  v1::VerifyResponse response;
  if (!result.ok()) {
    response.set_valid(false);
    response.set_reason(ToWireReason(result.failure().reason));
    response.set_detail(result.failure().detail);
    return response;
  }
  const VerifiedToken& token = *result;
  response.set_valid(true);
  response.set_reason(v1::FAILURE_REASON_UNSPECIFIED);
  response.set_provider(token.provider());
  response.set_kid(token.kid());
  response.set_alg(std::string(AlgorithmName(token.alg())));
  response.set_claims_json(token.claims_json());
  // The payload is a bounded JSON object (the verifier checked); protobuf's
  // parser turns it into the same Struct as the service (numbers → double).
  google::protobuf::Struct claims;
  if (google::protobuf::util::JsonStringToMessage(token.claims_json(), &claims)
          .ok()) {
    *response.mutable_claims() = std::move(claims);
  }
  if (token.expires_at().has_value()) {
    *response.mutable_expires_at() = ToTimestamp(*token.expires_at());
  }
  for (const auto& [field, value] : token.metadata()) {
    (*response.mutable_metadata())[field] = value;
  }
  return response;
}

absl::StatusOr<std::unique_ptr<LocalVerifier>> LocalVerifier::Create(
    const Client* client, LocalVerifierOptions options) {
  if (client == nullptr) {
    return absl::InvalidArgumentError("local verifier: no client");
  }
  if (options.providers.empty()) {
    return absl::InvalidArgumentError("local verifier: no providers");
  }
  if (options.refresh_interval <= absl::ZeroDuration() ||
      options.list_keys_timeout <= absl::ZeroDuration() ||
      options.max_stale <= absl::ZeroDuration() ||
      options.max_keys_per_provider == 0) {
    return absl::InvalidArgumentError(
        "local verifier: refresh_interval, list_keys_timeout, max_stale and "
        "max_keys_per_provider must be positive");
  }
  std::unique_ptr<LocalVerifier> local(
      new LocalVerifier(client, std::move(options)));
  const LocalVerifierOptions& o = local->options_;
  std::vector<JwksSourceConfig> sources;
  for (size_t i = 0; i < o.providers.size(); ++i) {
    JwksSourceConfig source;
    source.provider = o.providers[i].name;
    source.url = ListKeysUrl(i);
    // No cache headers come back: the refresher's default interval rules.
    source.refresh = RefreshBounds{.default_interval = o.refresh_interval,
                                   .min = o.refresh_interval,
                                   .max = o.refresh_interval};
    source.timeout = o.list_keys_timeout;
    source.max_keys = o.max_keys_per_provider;
    source.max_stale = o.max_stale;
    sources.push_back(std::move(source));
  }
  JwksRefresherOptions refresh;
  refresh.unknown_kid_min_interval = o.unknown_kid_min_interval;
  refresh.negative_cache_ttl = o.negative_cache_ttl;
  refresh.jitter_fraction = o.jitter_fraction;
  refresh.initial_backoff = o.initial_backoff;
  refresh.on_event = o.on_key_event;
  JWTAUTH_ASSIGN_OR_RETURN(
      local->refresher_,
      JwksRefresher::Create(std::move(refresh), std::move(sources),
                            &local->store_, &local->fetcher_, local->clock_));
  JWTAUTH_ASSIGN_OR_RETURN(
      local->verifier_,
      TokenVerifier::Create({.providers = o.providers,
                             .key_store = &local->store_,
                             .clock = local->clock_,
                             .unknown_kid_observer = local->refresher_.get(),
                             .jws_limits = o.jws_limits}));
  local->refresher_->Start();
  return local;
}

LocalVerifier::LocalVerifier(const Client* client, LocalVerifierOptions options)
    : client_(client),
      options_(std::move(options)),
      clock_(options_.clock != nullptr ? options_.clock : &RealClock::Get()),
      store_(clock_),
      fetcher_(client, ProviderNames(options_)) {}

LocalVerifier::~LocalVerifier() {
  if (refresher_ != nullptr) refresher_->Stop();
}

std::optional<v1::VerifyResponse> LocalVerifier::VerifyLocally(
    const v1::VerifyRequest& request) const {
  if (!request.provider().empty() &&
      verifier_->FindPolicy(request.provider()) == nullptr) {
    return std::nullopt;  // a provider this client has no policy for
  }
  if (!AllKeysLoaded()) return std::nullopt;
  const absl::string_view token = ExtractBearerOrRawToken(request.token());
  if (token.empty()) {
    return ToVerifyResponse(
        MakeFailure(FailureReason::kTokenMissing, "no token"));
  }
  const FailureOr<ParsedJws> jws = ParsedJws::Parse(token, options_.jws_limits);
  if (jws.ok() && KeyTypeFor(jws->alg()) == KeyType::kOct) {
    return std::nullopt;  // HS*: the secret stays on the service
  }
  VerifyOptions verify;
  verify.provider = request.provider();
  verify.audience = request.audience();
  const jwtauth::VerifyResult result = verifier_->Verify(token, verify);
  if (!result.ok() &&
      DependsOnUnknownState(result.failure(), jws.ok() ? &*jws : nullptr)) {
    return std::nullopt;
  }
  return ToVerifyResponse(result);
}

bool LocalVerifier::AllKeysLoaded() const {
  const KeySetSnapshot keys = store_.Current();
  for (const Policy& policy : verifier_->policies()) {
    const ProviderKeys* provider = keys->provider(policy.name());
    // A drop (max_stale) leaves the source loaded but empty.
    if (provider == nullptr || provider->keys_unavailable() ||
        provider->entries().empty()) {
      return false;
    }
  }
  return true;
}

absl::StatusOr<VerifyResult> LocalVerifier::Verify(
    const v1::VerifyRequest& request, const CallOptions& call) const {
  std::optional<v1::VerifyResponse> local = VerifyLocally(request);
  if (!local.has_value()) return client_->Verify(request, call);
  return VerifyResultFromResponse(*std::move(local),
                                  VerifyResult::Source::kLocal);
}

absl::StatusOr<VerifyResult> LocalVerifier::Verify(
    absl::string_view token, const CallOptions& call) const {
  v1::VerifyRequest request;
  request.set_token(std::string(token));
  return Verify(request, call);
}

bool LocalVerifier::WaitForInitialLoad(absl::Duration timeout) {
  return refresher_->WaitForInitialLoad(timeout);
}

bool LocalVerifier::IsReady() const { return refresher_->IsReady(); }

void LocalVerifier::RefreshNow() { refresher_->RefreshOnce(); }

std::vector<JwksSourceStats> LocalVerifier::KeyStats() const {
  return refresher_->Stats();
}

}  // namespace jwtauth::client
