#include "core/verifier.h"

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstring>
#include <limits>
#include <utility>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

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

Failure PayloadFailure(const absl::Status& status) {
  // Fixed phrases from json_limits ("JSON too large", ...): no input text.
  return MakeFailure(PayloadFailureReason(status),
                     absl::StrCat("payload: ", status.message()));
}

// The token's "iss" when it is a string, else nullopt.
std::optional<absl::string_view> StringIss(const RegisteredClaims& claims) {
  if (!claims.iss.is_string()) return std::nullopt;
  return claims.iss.text;
}

// Limits wide enough for any payload a provider already accepted: the
// lazy tree of a verified token is built from text checked under them.
constexpr JsonLimits kAcceptedPayloadLimits{
    .max_bytes = std::numeric_limits<size_t>::max(),
    .max_depth = std::numeric_limits<int>::max(),
    .max_values = std::numeric_limits<size_t>::max(),
    .max_object_members = std::numeric_limits<size_t>::max(),
    .require_object = false};

bool AnyBoundToIssuer(absl::Span<const KeyEntry* const> entries) {
  return std::any_of(entries.begin(), entries.end(), [](const KeyEntry* e) {
    return !e->key().issuer().empty();
  });
}

// The compact-JWS alphabet (RFC 7515 §7.1: base64url segments joined by
// '.'). Anything else can never verify, and is refused before the cache
// lookup so that no byte (NUL, separators, percent-decoded controls) can
// reach a cache key as part of a "token". Every request pays this, so
// sixteen bytes are tested at once with SSE2 where there is SSE2, then
// eight at once (SWAR), with no table and no branch per byte.
bool InCompactJwsAlphabet(unsigned char c) {
  const auto lower = static_cast<unsigned char>(c | 0x20);
  return static_cast<unsigned char>(lower - 'a') < 26 ||
         static_cast<unsigned char>(c - '0') < 10 || c == '-' || c == '_' ||
         c == '.';
}

// For eight 7-bit bytes in `w`: 0x80 in each byte lane whose value lies in
// [lo, hi], else 0. Adding 0x80 - lo sets a lane's top bit iff byte >= lo,
// adding 0x7f - hi iff byte > hi; no lane carries into the next because
// every byte is below 0x80.
constexpr uint64_t kLanes = 0x0101010101010101ULL;
constexpr uint64_t kTopBits = 0x8080808080808080ULL;
uint64_t LanesInRange(uint64_t w, unsigned lo, unsigned hi) {
  return (w + kLanes * (0x80 - lo)) & ~(w + kLanes * (0x7f - hi)) & kTopBits;
}

#if defined(__SSE2__)
// Sixteen bytes at once where SSE2 is there (every x86-64). Signed compares:
// a byte >= 0x80 is negative, so it is in no range and fails.
bool AllInCompactJwsAlphabet16(const char* p) {
  const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
  auto in = [](__m128i x, char lo, char hi) {  // lo <= x <= hi
    return _mm_and_si128(
        _mm_cmpgt_epi8(x, _mm_set1_epi8(static_cast<char>(lo - 1))),
        _mm_cmplt_epi8(x, _mm_set1_epi8(static_cast<char>(hi + 1))));
  };
  const __m128i lower = _mm_or_si128(v, _mm_set1_epi8(0x20));
  const __m128i ok = _mm_or_si128(
      _mm_or_si128(in(lower, 'a', 'z'), in(v, '0', '9')),
      _mm_or_si128(in(v, '-', '.'), _mm_cmpeq_epi8(v, _mm_set1_epi8('_'))));
  return _mm_movemask_epi8(ok) == 0xffff;
}
#endif

bool AllInCompactJwsAlphabet(absl::string_view token) {
  const char* p = token.data();
  size_t n = token.size();
#if defined(__SSE2__)
  for (; n >= 16; p += 16, n -= 16) {
    if (!AllInCompactJwsAlphabet16(p)) return false;
  }
#endif
  for (; n >= 8; p += 8, n -= 8) {
    uint64_t w;
    std::memcpy(&w, p, 8);
    if ((w & kTopBits) != 0) return false;
    const uint64_t ok = LanesInRange(w | kLanes * 0x20, 'a', 'z') |
                        LanesInRange(w, '0', '9') | LanesInRange(w, '-', '.') |
                        LanesInRange(w, '_', '_');
    if (ok != kTopBits) return false;
  }
  for (; n > 0; ++p, --n) {
    if (!InCompactJwsAlphabet(static_cast<unsigned char>(*p))) return false;
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
  // The payload, parsed once per set of limits: the registered claims
  // always, the whole tree only for a policy that reads more.
  std::optional<nlohmann::json> tree;
  RegisteredClaimValues scanned;
  RegisteredClaims registered;
  const JsonLimits* claims_limits = nullptr;  // nullptr: not parsed yet
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
  // Parses the payload under `limits` (the tree too when `need_tree`).
  absl::Status ParseClaims(const JsonLimits& limits, bool need_tree) {
    claims_limits = nullptr;
    tree.reset();
    if (need_tree) {
      absl::StatusOr<nlohmann::json> parsed =
          ParseJsonBounded(jws.payload(), limits);
      if (!parsed.ok()) return parsed.status();
      tree = *std::move(parsed);
      registered = RegisteredClaims::Of(*tree);
    } else {
      JWTAUTH_RETURN_IF_ERROR(
          RegisteredClaimValues::Scan(jws.payload(), limits, scanned));
      registered = scanned.view();
    }
    claims_limits = &limits;
    return absl::OkStatus();
  }
  // The claims under `limits`, re-parsed only if they were parsed under
  // other limits (or not at all, or without the tree when it is needed). A
  // failure is kept (as a policy failure) and ends this provider's attempt.
  bool ClaimsUnder(const JsonLimits& limits, bool need_tree) {
    if (claims_limits != nullptr && *claims_limits == limits &&
        (tree.has_value() || !need_tree)) {
      return true;
    }
    absl::Status parsed = ParseClaims(limits, need_tree);
    if (!parsed.ok()) {
      Keep(PayloadFailure(parsed), kPolicyRank);
      return false;
    }
    return true;
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
  if (absl::Status parsed =
          req.ParseClaims(loosest_payload_limits_, /*need_tree=*/false);
      !parsed.ok()) {
    return PayloadFailure(parsed);
  }
  const TextClaim& iss = req.registered.iss;
  if (!iss.present()) {
    return MakeFailure(FailureReason::kIssuerMismatch, "iss missing");
  }
  if (!iss.is_string()) {
    return MakeFailure(FailureReason::kClaimInvalid, "iss is not a string");
  }
  auto by = by_issuer_.find(iss.text);
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
  const bool need_tree = p.reads_claims_object();
  if (req.claims_limits == nullptr && AnyBoundToIssuer(*keys) &&
      !req.ClaimsUnder(p.options().payload_limits, need_tree)) {
    return std::nullopt;
  }
  FailureOr<const KeyEntry*> verified_by = VerifySignature(
      req.jws, *keys,
      req.claims_limits != nullptr ? StringIss(req.registered) : std::nullopt,
      p.options().max_keys_without_kid);
  if (!verified_by.ok()) {
    req.KeepKeyFailure(verified_by.failure());
    return std::nullopt;
  }
  (*verified_by)->RecordUse(req.now);
  if (!req.ClaimsUnder(p.options().payload_limits, need_tree)) {
    return std::nullopt;
  }
  FailureOr<PolicyResult> checked =
      need_tree
          ? p.Check(*req.tree, req.now, req.options.audience,
                    req.options.context)
          : p.CheckRegistered(req.registered, req.now, req.options.audience);
  if (!checked.ok()) {
    req.Keep(checked.failure(), kPolicyRank);
    return std::nullopt;
  }
  return BuildResult(p, req.jws, **verified_by, std::move(req.tree),
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
    std::optional<absl::string_view> token_iss, size_t max_tries) {
  size_t tried = 0;
  size_t bound_elsewhere = 0;
  bool untried = false;
  for (const KeyEntry* e : candidates) {
    const crypto::SignatureVerifier* sv = e->key().VerifierFor(jws.alg());
    if (sv == nullptr) continue;
    const std::string& bound = e->key().issuer();
    if (!bound.empty() && (!token_iss.has_value() || *token_iss != bound)) {
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
                                         std::optional<nlohmann::json> claims,
                                         PolicyResult checked) {
  auto data = std::make_shared<VerifiedToken::Data>();
  data->provider = p.name();
  data->kid =
      key.key().kid().empty() ? jws.kid().value_or("") : key.key().kid();
  data->alg = jws.alg();
  data->claims_json.assign(jws.payload().data(), jws.payload().size());
  if (claims.has_value()) {
    absl::call_once(data->claims_once,
                    [&] { data->claims = *std::move(claims); });
  }
  data->expires_at = checked.expires_at;
  data->metadata = std::move(checked.metadata);
  data->key_id = key.id();
  data->usage = key.usage();
  return VerifiedToken(std::move(data));
}

const nlohmann::json& VerifiedToken::claims() const {
  absl::call_once(d_->claims_once, [this] { d_->claims = ClaimsCopy(); });
  return d_->claims;
}

nlohmann::json VerifiedToken::ClaimsCopy() const {
  // The text passed the provider's limits when it was verified, so this
  // parse cannot fail but for memory; an empty object then.
  absl::StatusOr<nlohmann::json> tree =
      ParseJsonBounded(d_->claims_json, kAcceptedPayloadLimits);
  return tree.ok() ? *std::move(tree) : nlohmann::json::object();
}

}  // namespace jwtauth
