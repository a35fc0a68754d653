#include "core/verifier.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/types/span.h"
#include "core/json_limits.h"
#include "core/verification_cache.h"

namespace jwtauth {
namespace {

std::atomic<uint64_t> next_verifier_id{1};

// The failure kept when several candidate providers fail: the most specific.
int Specificity(FailureReason r) {
  switch (r) {
    case FailureReason::kSignatureInvalid: return 5;
    case FailureReason::kIssuerMismatch: return 4;  // key bound elsewhere
    case FailureReason::kUnsupportedAlgorithm: return 3;
    case FailureReason::kKeyNotFound: return 2;
    case FailureReason::kKeysUnavailable: return 1;
    default: return 0;
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
    return absl::InvalidArgumentError("limits: max_token_bytes must be positive");
  }
  std::vector<Policy> policies;
  absl::flat_hash_map<std::string, size_t> names;
  for (const ProviderOptions& o : config.providers) {
    absl::StatusOr<Policy> p = Policy::Create(o);
    if (!p.ok()) return p.status();
    if (!names.emplace(o.name, policies.size()).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("provider \"", o.name, "\": name: duplicate provider"));
    }
    policies.push_back(*std::move(p));
  }
  auto v = std::unique_ptr<TokenVerifier>(new TokenVerifier(std::move(config)));
  v->policies_ = std::move(policies);
  v->by_name_ = std::move(names);
  JsonLimits& loose = v->loosest_payload_limits_;
  loose = JsonLimits{.max_bytes = 0, .max_depth = 0, .max_values = 0,
                     .max_object_members = 0, .require_object = true};
  for (size_t i = 0; i < v->policies_.size(); ++i) {
    const ProviderOptions& o = v->policies_[i].options();
    for (const std::string& iss : o.issuers) {
      std::vector<size_t>& list = v->by_issuer_[iss];
      if (std::find(list.begin(), list.end(), i) == list.end()) list.push_back(i);
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
  if (cache_ == nullptr) return VerifyUncached(token, options, *snapshot, now);

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

VerifyResult TokenVerifier::VerifyUncached(absl::string_view token,
                                           const VerifyOptions& options,
                                           const KeySet& snapshot,
                                           absl::Time now) const {
  FailureOr<ParsedJws> jws = ParsedJws::Parse(token, config_.jws_limits);
  if (!jws.ok()) return jws.failure();
  const Algorithm alg = jws->alg();
  const std::optional<std::string>& kid = jws->kid();

  // --- which providers ---
  std::optional<nlohmann::json> claims;
  const JsonLimits* claims_limits = nullptr;
  const std::vector<size_t>* candidates = nullptr;
  std::vector<size_t> single;
  if (!options.provider.empty()) {
    auto it = by_name_.find(options.provider);
    if (it == by_name_.end()) {
      return MakeFailure(FailureReason::kKeyNotFound, "unknown provider");
    }
    single.push_back(it->second);
    candidates = &single;
  } else {
    FailureOr<nlohmann::json> parsed =
        ParsePayload(jws->payload(), loosest_payload_limits_);
    if (!parsed.ok()) return parsed.failure();
    claims = std::move(parsed).value();
    claims_limits = &loosest_payload_limits_;
    auto iss = claims->find("iss");
    if (iss == claims->end()) {
      return MakeFailure(FailureReason::kIssuerMismatch, "iss missing");
    }
    if (!iss->is_string()) {
      return MakeFailure(FailureReason::kClaimInvalid, "iss is not a string");
    }
    auto by = by_issuer_.find(iss->get_ref<const std::string&>());
    if (by != by_issuer_.end()) {
      candidates = &by->second;
    } else if (kid.has_value() && !any_issuer_kid_lookup_.empty()) {
      candidates = &any_issuer_kid_lookup_;
    } else {
      return MakeFailure(FailureReason::kIssuerMismatch,
                         "no provider accepts iss");
    }
  }

  // --- which key, then policy, per candidate provider ---
  // The first provider whose key verifies the signature AND whose policy
  // accepts the claims wins. Otherwise the most telling failure is returned:
  // the first policy failure of a provider whose key verified, else the most
  // specific key failure.
  Failure best{FailureReason::kKeyNotFound, "no key"};
  int best_rank = -1;
  auto keep = [&](Failure f, int rank) {
    if (rank > best_rank) {
      best = std::move(f);
      best_rank = rank;
    }
  };
  auto keep_key_failure = [&](FailureReason reason, const char* detail) {
    keep(MakeFailure(reason, detail), Specificity(reason));
  };
  // Parses the payload with `limits` into `claims`; a failure is kept (as a
  // policy failure) and ends this provider's attempt.
  auto parse_claims = [&](const JsonLimits& limits) {
    FailureOr<nlohmann::json> parsed = ParsePayload(jws->payload(), limits);
    if (!parsed.ok()) {
      keep(parsed.failure(), kPolicyRank);
      return false;
    }
    claims = std::move(parsed).value();
    claims_limits = &limits;
    return true;
  };
  for (size_t idx : *candidates) {
    const Policy& p = policies_[idx];
    // Explicit typing (RFC 8725 §3.11): a header rule, before any key work.
    if (!p.AcceptsTyp(jws->typ())) {
      keep(MakeFailure(FailureReason::kHeaderRejected, "typ not accepted"),
           kPolicyRank);
      continue;
    }
    const size_t max_tries = p.options().max_keys_without_kid;
    const ProviderKeys* keys = snapshot.provider(p.name());
    if (keys == nullptr || keys->entries().empty()) {
      if (keys != nullptr && keys->keys_unavailable()) {
        keep_key_failure(FailureReason::kKeysUnavailable, "keys not loaded yet");
      } else {
        if (kid.has_value() && observer_ != nullptr) {
          observer_->OnUnknownKid(p.name(), *kid);
        }
        keep_key_failure(FailureReason::kKeyNotFound, "provider has no keys");
      }
      continue;
    }
    absl::Span<const KeyEntry* const> span =
        kid.has_value() ? keys->FindByKid(*kid)
                        : keys->FindByType(KeyTypeFor(alg));
    if (kid.has_value() && span.empty()) {
      if (keys->keys_unavailable()) {
        keep_key_failure(FailureReason::kKeysUnavailable, "keys not loaded yet");
      } else {
        if (observer_ != nullptr) observer_->OnUnknownKid(p.name(), *kid);
        keep_key_failure(FailureReason::kKeyNotFound, "unknown kid");
      }
      continue;
    }
    // Issuer binding (issue 10 item 6): a key bound to an issuer is no
    // candidate for a token whose "iss" differs. Its iss is needed before a
    // bound key is tried, so with options.provider the payload is parsed
    // (bounded) here, ahead of the signature check.
    if (!claims.has_value() && AnyBoundToIssuer(span) &&
        !parse_claims(p.options().payload_limits)) {
      continue;
    }
    // Valid until `claims` is re-parsed below (after the key loop).
    const std::string* token_iss =
        claims.has_value() ? StringIss(*claims) : nullptr;
    const KeyEntry* verified_by = nullptr;
    size_t tried = 0;
    size_t bound_elsewhere = 0;
    bool untried = false;
    for (const KeyEntry* e : span) {
      const crypto::SignatureVerifier* sv = e->key().VerifierFor(alg);
      if (sv == nullptr) continue;
      const std::string& bound = e->key().issuer();
      if (!bound.empty() && (token_iss == nullptr || *token_iss != bound)) {
        ++bound_elsewhere;  // not a candidate; uses up no try
        continue;
      }
      if (tried == max_tries) {
        untried = true;
        break;
      }
      ++tried;
      if (sv->Verify(jws->signing_input(), jws->signature())) {
        verified_by = e;
        break;
      }
    }
    if (verified_by == nullptr) {
      if (tried == 0 && bound_elsewhere > 0) {
        keep_key_failure(FailureReason::kIssuerMismatch,
                         "key is bound to another issuer");
      } else if (tried == 0) {
        if (kid.has_value()) {
          keep_key_failure(FailureReason::kUnsupportedAlgorithm,
                           "key for kid does not serve alg");
        } else {
          keep_key_failure(FailureReason::kKeyNotFound, "no key for alg");
        }
      } else if (untried) {
        keep_key_failure(FailureReason::kKeyNotFound,
                         "too many keys without kid");
      } else {
        keep_key_failure(FailureReason::kSignatureInvalid, "signature invalid");
      }
      continue;
    }
    verified_by->RecordUse(now);

    // --- claims and policy ---
    const JsonLimits& limits = p.options().payload_limits;
    if ((!claims.has_value() || !SameLimits(*claims_limits, limits)) &&
        !parse_claims(limits)) {
      continue;
    }
    FailureOr<PolicyResult> checked =
        p.Check(*claims, now, options.audience, options.context);
    if (!checked.ok()) {
      keep(checked.failure(), kPolicyRank);
      continue;
    }
    auto data = std::make_shared<VerifiedToken::Data>();
    data->provider = p.name();
    data->kid = verified_by->key().kid().empty() ? kid.value_or("")
                                                 : verified_by->key().kid();
    data->alg = alg;
    data->claims = *std::move(claims);
    data->claims_json = jws->payload();
    data->expires_at = checked->expires_at;
    data->metadata = std::move(checked->metadata);
    data->key_id = verified_by->id();
    data->usage = verified_by->usage();
    return VerifiedToken(std::move(data));
  }
  return best;
}

}  // namespace jwtauth
