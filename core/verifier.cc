#include "core/verifier.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/types/span.h"
#include "core/json_limits.h"
#include "core/status_macros.h"
#include "core/verification_cache.h"

namespace jwtauth {
namespace {

std::atomic<uint64_t> next_verifier_id{1};

// The failure kept when several candidate providers fail: the most specific.
int Specificity(FailureReason r) {
  switch (r) {
    case FailureReason::kSignatureInvalid:
      return 5;
    case FailureReason::kIssuerMismatch:
      return 4;  // key bound elsewhere
    case FailureReason::kUnsupportedAlgorithm:
      return 3;
    case FailureReason::kKeyNotFound:
      return 2;
    case FailureReason::kKeysUnavailable:
      return 1;
    default:
      return 0;
  }
}

// A payload that exceeds its byte limit is TOKEN_TOO_LARGE; every other
// bounded-parse failure (depth, counts, duplicates, syntax) is MALFORMED.
FailureReason PayloadFailureReason(const absl::Status& status) {
  return JsonErrorKindOf(status) == JsonErrorKind::kTooLarge
             ? FailureReason::kTokenTooLarge
             : FailureReason::kMalformed;
}

FailureOr<nlohmann::json> ParsePayload(absl::string_view payload,
                                       const JsonLimits& limits) {
  absl::StatusOr<nlohmann::json> json = ParseJsonBounded(payload, limits);
  if (!json.ok()) {
    // Fixed phrases from json_limits ("JSON too large", ...): no input text.
    return MakeFailure(PayloadFailureReason(json.status()),
                       absl::StrCat("payload: ", json.status().message()));
  }
  return *std::move(json);
}

// The token's "iss" when it is a string, else nullptr.
const std::string* StringIss(const nlohmann::json& claims) {
  auto it = claims.find("iss");
  if (it == claims.end() || !it->is_string()) return nullptr;
  return &it->get_ref<const std::string&>();
}

bool AnyBoundToIssuer(absl::Span<const KeyEntry* const> entries) {
  return std::any_of(entries.begin(), entries.end(), [](const KeyEntry* e) {
    return !e->key().issuer().empty();
  });
}

bool SameLimits(const JsonLimits& a, const JsonLimits& b) {
  return a.max_bytes == b.max_bytes && a.max_depth == b.max_depth &&
         a.max_values == b.max_values &&
         a.max_object_members == b.max_object_members;
}

// The compact-JWS alphabet (RFC 7515 §7.1: base64url segments joined by
// '.'). Anything else can never verify, and is refused before the cache
// lookup so that no byte (NUL, separators, percent-decoded controls) can
// reach a cache key as part of a "token".
constexpr std::array<bool, 256> MakeCompactJwsAlphabet() {
  std::array<bool, 256> t{};
  for (int c = 'A'; c <= 'Z'; ++c) t[c] = true;
  for (int c = 'a'; c <= 'z'; ++c) t[c] = true;
  for (int c = '0'; c <= '9'; ++c) t[c] = true;
  t['-'] = t['_'] = t['.'] = true;
  return t;
}
constexpr std::array<bool, 256> kCompactJwsAlphabet = MakeCompactJwsAlphabet();

bool AllInCompactJwsAlphabet(absl::string_view token) {
  for (unsigned char c : token) {
    if (!kCompactJwsAlphabet[c]) return false;
  }
  return true;
}

// Rank of a policy failure: above every key failure, and only the first
// one is kept (rank must be strictly greater to replace).
constexpr int kPolicyRank = 10;

}  // namespace

absl::StatusOr<std::unique_ptr<TokenVerifier>> TokenVerifier::Create(
    VerifierConfig config) {
  if (config.key_store == nullptr) {
    return absl::InvalidArgumentError("verifier: key_store is required");
  }
  if (config.clock == nullptr) {
    return absl::InvalidArgumentError("verifier: clock is required");
  }
  if (config.jws_limits.max_token_bytes == 0) {
    return absl::InvalidArgumentError(
        "limits: max_token_bytes must be positive");
  }
  std::vector<Policy> policies;
  absl::flat_hash_map<std::string, size_t> names;
  for (const ProviderOptions& o : config.providers) {
    JWTAUTH_ASSIGN_OR_RETURN(Policy p, Policy::Create(o));
    if (!names.emplace(o.name, policies.size()).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("provider \"", o.name, "\": name: duplicate provider"));
    }
    policies.push_back(std::move(p));
  }
  auto v = std::unique_ptr<TokenVerifier>(new TokenVerifier(std::move(config)));
  v->policies_ = std::move(policies);
  v->by_name_ = std::move(names);
  JsonLimits& loose = v->loosest_payload_limits_;
  loose = JsonLimits{.max_bytes = 0,
                     .max_depth = 0,
                     .max_values = 0,
                     .max_object_members = 0,
                     .require_object = true};
  for (size_t i = 0; i < v->policies_.size(); ++i) {
    const ProviderOptions& o = v->policies_[i].options();
    for (const std::string& iss : o.issuers) {
      std::vector<size_t>& list = v->by_issuer_[iss];
      if (std::find(list.begin(), list.end(), i) == list.end())
        list.push_back(i);
    }
    if (o.allow_any_issuer_kid_lookup) v->any_issuer_kid_lookup_.push_back(i);
    loose.max_bytes = std::max(loose.max_bytes, o.payload_limits.max_bytes);
    loose.max_depth = std::max(loose.max_depth, o.payload_limits.max_depth);
    loose.max_values = std::max(loose.max_values, o.payload_limits.max_values);
    loose.max_object_members =
        std::max(loose.max_object_members, o.payload_limits.max_object_members);
  }
  return v;
}

TokenVerifier::TokenVerifier(VerifierConfig config)
    : config_(std::move(config)),
      store_(config_.key_store),
      clock_(config_.clock),
      cache_(config_.cache),
      observer_(config_.unknown_kid_observer),
      id_(next_verifier_id.fetch_add(1, std::memory_order_relaxed)) {
  config_.providers.clear();  // kept as Policies
}

const Policy* TokenVerifier::FindPolicy(absl::string_view provider) const {
  auto it = by_name_.find(provider);
  return it == by_name_.end() ? nullptr : &policies_[it->second];
}

VerifyResult TokenVerifier::VerifyWithAnyOf(
    absl::string_view token, const std::vector<std::string>& providers,
    const VerifyOptions& options) const {
  std::optional<Failure> best;
  int best_rank = -1;
  for (const std::string& provider : providers) {
    VerifyOptions o = options;
    o.provider = provider;
    VerifyResult r = Verify(token, o);
    if (r.ok()) return r;
    // Seen from outside, ISSUER_MISMATCH may be a policy failure ("iss not
    // accepted") and ranks as one; the other reasons Specificity ranks are
    // key failures, anything else came from a provider's policy.
    const FailureReason reason = r.failure().reason;
    const int specificity = Specificity(reason);
    const int rank = specificity > 0 && reason != FailureReason::kIssuerMismatch
                         ? specificity
                         : kPolicyRank;
    if (rank > best_rank) {
      best = r.failure();
      best_rank = rank;
    }
  }
  if (!best.has_value()) {
    return MakeFailure(FailureReason::kKeyNotFound, "no provider allowed");
  }
  return *std::move(best);
}

VerifyResult TokenVerifier::Verify(absl::string_view token,
                                   const VerifyOptions& options) const {
  if (token.empty()) {
    return MakeFailure(FailureReason::kTokenMissing, "no token");
  }
  if (token.size() > config_.jws_limits.max_token_bytes) {
    return MakeFailure(FailureReason::kTokenTooLarge, "token too large");
  }
  if (!AllInCompactJwsAlphabet(token)) {
    return MakeFailure(FailureReason::kMalformed,
                       "token has a character outside the compact JWS "
                       "alphabet (A-Z a-z 0-9 - _ .)");
  }
  KeySetSnapshot snapshot = store_->Current();
  absl::Time now = clock_->Now();
  // Options longer than any token cannot be part of a result worth caching
  // (an audience must equal an "aud" inside the token); skipping the cache
  // keeps a caller from growing the per-thread key buffer without bound.
  if (cache_ == nullptr || options.audience.size() + options.provider.size() >
                               config_.jws_limits.max_token_bytes) {
    return VerifyUncached(token, options, *snapshot, now);
  }

  VerificationCache::CacheKey key = VerificationCache::KeyFor(token, options);
  if (std::optional<VerifiedToken> hit =
          cache_->Lookup(key, id_, *snapshot, now)) {
    return *std::move(hit);
  }
  VerifyResult result = VerifyUncached(token, options, *snapshot, now);
  if (result.ok()) {
    cache_->Insert(key, id_, snapshot->generation(), result.value());
  }
  return result;
}

// Per-call state shared by the steps: the parsed token, the claims once
// parsed (and under which limits), and the failure to report if no provider
// accepts the token.
struct TokenVerifier::Request {
  Request(const ParsedJws& j, const VerifyOptions& o, const KeySet& s,
          absl::Time t)
      : jws(j), options(o), snapshot(s), now(t) {}

  const ParsedJws& jws;
  const VerifyOptions& options;
  const KeySet& snapshot;
  absl::Time now;
  std::optional<nlohmann::json> claims;
  const JsonLimits* claims_limits = nullptr;
  // The first provider whose key verifies the signature AND whose policy
  // accepts the claims wins. Otherwise the most telling failure is kept: the
  // first policy failure of a provider whose key verified, else the most
  // specific key failure.
  Failure best{FailureReason::kKeyNotFound, "no key"};
  int best_rank = -1;

  void Keep(Failure f, int rank) {
    if (rank > best_rank) {
      best = std::move(f);
      best_rank = rank;
    }
  }
  void KeepKeyFailure(Failure f) {
    const int rank = Specificity(f.reason);
    Keep(std::move(f), rank);
  }
  // Parses the payload with `limits` into `claims`; a failure is kept (as a
  // policy failure) and ends this provider's attempt.
  bool ParseClaims(const JsonLimits& limits) {
    FailureOr<nlohmann::json> parsed = ParsePayload(jws.payload(), limits);
    if (!parsed.ok()) {
      Keep(parsed.failure(), kPolicyRank);
      return false;
    }
    claims = std::move(parsed).value();
    claims_limits = &limits;
    return true;
  }
  // The claims under `limits`, re-parsed only if they were parsed under
  // other limits (or not at all).
  bool ClaimsUnder(const JsonLimits& limits) {
    if (claims.has_value() && SameLimits(*claims_limits, limits)) return true;
    return ParseClaims(limits);
  }
};

VerifyResult TokenVerifier::VerifyUncached(absl::string_view token,
                                           const VerifyOptions& options,
                                           const KeySet& snapshot,
                                           absl::Time now) const {
  FailureOr<ParsedJws> jws = ParseHeader(token);
  if (!jws.ok()) return jws.failure();
  Request req(*jws, options, snapshot, now);
  FailureOr<absl::Span<const size_t>> providers = SelectProviders(req);
  if (!providers.ok()) return providers.failure();
  for (size_t idx : *providers) {
    if (std::optional<VerifiedToken> t = TryProvider(policies_[idx], req)) {
      return *std::move(t);
    }
  }
  return req.best;
}

FailureOr<ParsedJws> TokenVerifier::ParseHeader(absl::string_view token) const {
  return ParsedJws::Parse(token, config_.jws_limits);
}

// VerifyOptions.provider if set; otherwise the providers listing the
// token's "iss" (the payload is parsed, with the loosest payload limits of
// all providers, to read it), else the allow_any_issuer_kid_lookup ones for
// a token with a kid.
FailureOr<absl::Span<const size_t>> TokenVerifier::SelectProviders(
    Request& req) const {
  if (!req.options.provider.empty()) {
    auto it = by_name_.find(req.options.provider);
    if (it == by_name_.end()) {
      return MakeFailure(FailureReason::kKeyNotFound, "unknown provider");
    }
    return absl::Span<const size_t>(&it->second, 1);
  }
  FailureOr<nlohmann::json> parsed =
      ParsePayload(req.jws.payload(), loosest_payload_limits_);
  if (!parsed.ok()) return parsed.failure();
  req.claims = std::move(parsed).value();
  req.claims_limits = &loosest_payload_limits_;
  auto iss = req.claims->find("iss");
  if (iss == req.claims->end()) {
    return MakeFailure(FailureReason::kIssuerMismatch, "iss missing");
  }
  if (!iss->is_string()) {
    return MakeFailure(FailureReason::kClaimInvalid, "iss is not a string");
  }
  auto by = by_issuer_.find(iss->get_ref<const std::string&>());
  if (by != by_issuer_.end()) return absl::MakeConstSpan(by->second);
  if (req.jws.kid().has_value() && !any_issuer_kid_lookup_.empty()) {
    return absl::MakeConstSpan(any_issuer_kid_lookup_);
  }
  return MakeFailure(FailureReason::kIssuerMismatch, "no provider accepts iss");
}

// One provider's attempt: header rule → keys → signature → claims →
// policy → result. A failure is kept in `req` and nullopt returned.
std::optional<VerifiedToken> TokenVerifier::TryProvider(const Policy& p,
                                                        Request& req) const {
  // Explicit typing (RFC 8725 §3.11): a header rule, before any key work.
  if (!p.AcceptsTyp(req.jws.typ())) {
    req.Keep(MakeFailure(FailureReason::kHeaderRejected, "typ not accepted"),
             kPolicyRank);
    return std::nullopt;
  }
  FailureOr<absl::Span<const KeyEntry* const>> keys =
      SelectKeys(p, req.jws, req.snapshot);
  if (!keys.ok()) {
    req.KeepKeyFailure(keys.failure());
    return std::nullopt;
  }
  // Issuer binding: a key bound to an issuer is no candidate for a token
  // whose "iss" differs, so with options.provider the payload is parsed
  // (bounded) here, ahead of the signature check, when a bound key is
  // among the candidates.
  if (!req.claims.has_value() && AnyBoundToIssuer(*keys) &&
      !req.ParseClaims(p.options().payload_limits)) {
    return std::nullopt;
  }
  FailureOr<const KeyEntry*> verified_by = VerifySignature(
      req.jws, *keys, req.claims.has_value() ? StringIss(*req.claims) : nullptr,
      p.options().max_keys_without_kid);
  if (!verified_by.ok()) {
    req.KeepKeyFailure(verified_by.failure());
    return std::nullopt;
  }
  (*verified_by)->RecordUse(req.now);
  if (!req.ClaimsUnder(p.options().payload_limits)) return std::nullopt;
  FailureOr<PolicyResult> checked =
      p.Check(*req.claims, req.now, req.options.audience, req.options.context);
  if (!checked.ok()) {
    req.Keep(checked.failure(), kPolicyRank);
    return std::nullopt;
  }
  return BuildResult(p, req.jws, **verified_by, *std::move(req.claims),
                     *std::move(checked));
}

// The provider's keys a token may be verified with: those with the token's
// kid, or (no kid) those of the alg's key type. Failures here are about
// finding keys at all (KEYS_UNAVAILABLE / KEY_NOT_FOUND); the observer
// hears of every unknown kid.
FailureOr<absl::Span<const KeyEntry* const>> TokenVerifier::SelectKeys(
    const Policy& p, const ParsedJws& jws, const KeySet& snapshot) const {
  const std::optional<std::string>& kid = jws.kid();
  const ProviderKeys* keys = snapshot.provider(p.name());
  const bool none = keys == nullptr || keys->entries().empty();
  absl::Span<const KeyEntry* const> span;
  if (!none) {
    span = kid.has_value() ? keys->FindByKid(*kid)
                           : keys->FindByType(KeyTypeFor(jws.alg()));
  }
  if (!none && !(kid.has_value() && span.empty())) return span;
  if (keys != nullptr && keys->keys_unavailable()) {
    return MakeFailure(FailureReason::kKeysUnavailable, "keys not loaded yet");
  }
  if (kid.has_value() && observer_ != nullptr) {
    observer_->OnUnknownKid(p.name(), *kid);
  }
  return MakeFailure(FailureReason::kKeyNotFound,
                     none ? "provider has no keys" : "unknown kid");
}

// Tries the candidates that serve the header alg, in order, at most
// `max_tries` of them; a key bound to another issuer than `token_iss` is no
// candidate (never tried, uses up no try). The key whose signature
// verifies, or why none did.
FailureOr<const KeyEntry*> TokenVerifier::VerifySignature(
    const ParsedJws& jws, absl::Span<const KeyEntry* const> candidates,
    const std::string* token_iss, size_t max_tries) {
  size_t tried = 0;
  size_t bound_elsewhere = 0;
  bool untried = false;
  for (const KeyEntry* e : candidates) {
    const crypto::SignatureVerifier* sv = e->key().VerifierFor(jws.alg());
    if (sv == nullptr) continue;
    const std::string& bound = e->key().issuer();
    if (!bound.empty() && (token_iss == nullptr || *token_iss != bound)) {
      ++bound_elsewhere;
      continue;
    }
    if (tried == max_tries) {
      untried = true;
      break;
    }
    ++tried;
    if (sv->Verify(jws.signing_input(), jws.signature())) return e;
  }
  if (tried == 0 && bound_elsewhere > 0) {
    return MakeFailure(FailureReason::kIssuerMismatch,
                       "key is bound to another issuer");
  }
  if (tried == 0) {
    return jws.kid().has_value()
               ? MakeFailure(FailureReason::kUnsupportedAlgorithm,
                             "key for kid does not serve alg")
               : MakeFailure(FailureReason::kKeyNotFound, "no key for alg");
  }
  if (untried) {
    return MakeFailure(FailureReason::kKeyNotFound,
                       "too many keys without kid");
  }
  return MakeFailure(FailureReason::kSignatureInvalid, "signature invalid");
}

VerifiedToken TokenVerifier::BuildResult(const Policy& p, const ParsedJws& jws,
                                         const KeyEntry& key,
                                         nlohmann::json claims,
                                         PolicyResult checked) {
  auto data = std::make_shared<VerifiedToken::Data>();
  data->provider = p.name();
  data->kid =
      key.key().kid().empty() ? jws.kid().value_or("") : key.key().kid();
  data->alg = jws.alg();
  data->claims = std::move(claims);
  data->claims_json.assign(jws.payload().data(), jws.payload().size());
  data->expires_at = checked.expires_at;
  data->metadata = std::move(checked.metadata);
  data->key_id = key.id();
  data->usage = key.usage();
  return VerifiedToken(std::move(data));
}

}  // namespace jwtauth
