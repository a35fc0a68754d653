#ifndef JWTAUTH_CORE_VERIFIER_H_
#define JWTAUTH_CORE_VERIFIER_H_

// TokenVerifier turns a compact JWS into VerifyResult =
// FailureOr<VerifiedToken>: a verified token or Failure{reason, detail} with
// one reason of the closed list (core/failure.h).
//
// This is the only JWS verification and key-selection path (the gRPC
// services, the CLI and the conformance tests all go through it).
//
// Order (tink): empty/size → alphabet (any byte outside A-Za-z0-9-_. is
// MALFORMED, before the cache is consulted) → cache → then one private step
// each: ParseHeader (ParsedJws) → SelectProviders → per provider
// (TryProvider): typ rule → SelectKeys from ONE KeySet snapshot →
// VerifySignature (issuer binding needs the payload: see below) → parse the
// payload (bounded; a JsonErrorKind maps to TOKEN_TOO_LARGE or MALFORMED) →
// policy (core/policy.h) → BuildResult.
// Choosing the provider: VerifyOptions.provider if set (signature checked
// before the payload is parsed); otherwise the payload is parsed (bounded,
// with the loosest payload limits of all providers) to read "iss", and the
// providers listing that issuer are tried in config order: the first whose
// key verifies the signature and whose policy accepts the claims wins;
// otherwise the first policy failure (of a provider whose key verified) is
// returned, else the most specific key failure. An issuer no provider accepts
// is ISSUER_MISMATCH, unless the token has a kid and some provider sets
// allow_any_issuer_kid_lookup: then the kid is looked up in those providers
// (whose policy then applies). An unknown provider name is KEY_NOT_FOUND
// ("unknown provider").
//
// Key selection in a provider:
//   kid present → only keys with that kid that serve the header alg (at most
//     max_keys_without_kid of them are tried). No key with that kid →
//     KEYS_UNAVAILABLE if every source of the provider is still pending,
//     otherwise KEY_NOT_FOUND and UnknownKidObserver::OnUnknownKid().
//     Keys with that kid but none serving the alg → UNSUPPORTED_ALGORITHM.
//   no kid → keys of the alg's type that serve it, at most
//     max_keys_without_kid tried; none → KEY_NOT_FOUND/KEYS_UNAVAILABLE; no
//     match → SIGNATURE_INVALID when every candidate was tried, KEY_NOT_FOUND
//     ("too many keys without kid") when candidates were left untried.
//   Issuer binding (Key::issuer(), RFC 8725 §3.8), in both cases: a key
//     bound to issuer X is no candidate for a token whose "iss" is not the
//     string X (it is never tried and uses up no try). The iss is known
//     before any key is tried: without VerifyOptions.provider the payload was
//     parsed to route; with it, the payload is parsed (bounded, the
//     provider's limits) ahead of the signature check as soon as a bound key
//     is among the keys looked up. When keys were found but every one that
//     serves the alg is bound to another issuer → ISSUER_MISMATCH ("key is
//     bound to another issuer"); if some eligible key was tried, the usual
//     SIGNATURE_INVALID / KEY_NOT_FOUND applies. This also holds for the
//     allow_any_issuer_kid_lookup path, where no bound key can ever match.
//
// Usage: each successful signature check counts one verification of that
// key (KeyEntry::RecordUse, lock-free atomics), also on a cache hit.
//
// Ownership: the KeyStore, Clock, cache and observer are not owned and must
// outlive the verifier. Thread-safe and immutable; one snapshot per Verify,
// no lock on the hot path (the optional cache locks one shard briefly).
// Built per config generation and swapped atomically by the server.
//
//   auto verifier = TokenVerifier::Create({.providers = {opts},
//                                          .key_store = &store,
//                                          .clock = &RealClock::Get()});
//   VerifyResult r = (*verifier)->Verify(token, {.audience = "api://x"});
//   if (!r.ok()) std::cerr << FailureReasonName(r.failure().reason) << "\n";

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/call_once.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "core/algorithm.h"
#include "core/clock.h"
#include "core/failure.h"
#include "core/jws.h"
#include "core/key_set.h"
#include "core/key_store.h"
#include "core/policy.h"
#include "nlohmann/json.hpp"

namespace jwtauth {

class VerificationCache;  // core/verification_cache.h

struct VerifyOptions {
  std::string provider;   // empty = any provider whose issuer matches
  std::string audience;   // empty = the provider's configured audiences
  VerifyContext context;  // claim-rule placeholders
};

// A token that passed signature and policy checks. Only TokenVerifier
// constructs one. Copying shares the immutable data (one refcount bump).
class VerifiedToken final {
 public:
  const std::string& provider() const { return d_->provider; }
  // The kid of the key that verified the token (may be empty).
  const std::string& kid() const { return d_->kid; }
  Algorithm alg() const { return d_->alg; }
  // The claims as a tree, built from claims_json() on first use (a policy
  // that reads only registered claims never needs one) and then kept with
  // this result and its copies. Thread-safe.
  const nlohmann::json& claims() const;
  // A tree of the claims for this caller alone, not kept: for a caller that
  // converts them once (into a memoised answer, say), so a cached result
  // that nobody else asks for its tree never holds one.
  nlohmann::json ClaimsCopy() const;
  // The payload exactly as signed (compact JSON text).
  const std::string& claims_json() const { return d_->claims_json; }
  // nullopt when the token has no exp (require_exp: false).
  std::optional<absl::Time> expires_at() const { return d_->expires_at; }
  const std::map<std::string, std::string>& metadata() const {
    return d_->metadata;
  }

  // A value derived from this result by a caller (the serialized RPC
  // response, say), built by `build()` on first use and shared by every
  // copy of this result, so every cache hit reuses it. Each slot
  // (< kMemoSlots) belongs to one caller, which always stores the same type
  // T there. Thread-safe; the reference lives as long as any copy.
  static constexpr size_t kMemoSlots = 2;
  template <typename T, typename Build>
  const T& Memo(size_t slot, Build build) const {
    Data::MemoSlot& m = d_->memos.at(slot);
    absl::call_once(m.once,
                    [&] { m.value = std::make_shared<const T>(build()); });
    return *static_cast<const T*>(m.value.get());
  }

  // Copyable and movable.
 private:
  friend class TokenVerifier;
  friend class VerificationCache;
  // The implicit default constructor is flagged only because nlohmann::json's
  // is not declared noexcept; a null json value never allocates or throws.
  struct Data {  // NOLINT(bugprone-exception-escape)
    std::string provider;
    std::string kid;
    Algorithm alg = Algorithm::kHs256;
    std::string claims_json;
    // Built from claims_json on first use (claims()), or by the verifier
    // when its policy needed the tree anyway.
    mutable absl::once_flag claims_once;
    mutable nlohmann::json claims;
    std::optional<absl::Time> expires_at;
    std::map<std::string, std::string> metadata;
    uint64_t key_id = 0;  // KeyEntry::id() of the verifying key
    std::shared_ptr<KeyUsageCounters> usage;
    struct MemoSlot {
      absl::once_flag once;
      std::shared_ptr<const void> value;
    };
    mutable std::array<MemoSlot, kMemoSlots> memos;
  };
  explicit VerifiedToken(std::shared_ptr<const Data> d) : d_(std::move(d)) {}
  size_t ApproxBytes() const;
  std::shared_ptr<const Data> d_;
};

using VerifyResult = FailureOr<VerifiedToken>;

struct VerifierConfig {
  std::vector<ProviderOptions> providers;
  KeyStore* key_store = nullptr;                       // required, not owned
  const Clock* clock = nullptr;                        // required, not owned
  VerificationCache* cache = nullptr;                  // optional, not owned
  UnknownKidObserver* unknown_kid_observer = nullptr;  // optional, not owned
  JwsLimits jws_limits;  // token bytes (8 KiB), header
};

class TokenVerifier final {
 public:
  // InvalidArgument for an invalid provider (message names provider and
  // field), duplicate provider names, or a missing store/clock.
  static absl::StatusOr<std::unique_ptr<TokenVerifier>> Create(
      VerifierConfig config);

  TokenVerifier(const TokenVerifier&) = delete;
  TokenVerifier& operator=(const TokenVerifier&) = delete;

  VerifyResult Verify(absl::string_view token,
                      const VerifyOptions& options) const;
  VerifyResult Verify(absl::string_view token) const {
    return Verify(token, VerifyOptions{});
  }
  // Tries each named provider alone (`options` with .provider = name) and
  // returns the first success, else the most telling failure: a policy
  // failure (a provider's key verified the signature) over a key failure,
  // key failures by specificity. No providers → KEY_NOT_FOUND. Used where a
  // token is trusted only from an allow-list (token exchange, callers).
  VerifyResult VerifyWithAnyOf(absl::string_view token,
                               const std::vector<std::string>& providers,
                               const VerifyOptions& options = {}) const;

  // nullptr for an unknown provider.
  const Policy* FindPolicy(absl::string_view provider) const;
  const std::vector<Policy>& policies() const { return policies_; }
  KeyStore* key_store() const { return store_; }
  // Process-unique; the cache uses it so results of one verifier (one
  // config generation) are never served by another.
  uint64_t id() const { return id_; }

 private:
  explicit TokenVerifier(VerifierConfig config);
  // The steps of one verification, in order (see the top of this file).
  struct Request;  // per-call state: token, claims, best failure so far
  VerifyResult VerifyUncached(absl::string_view token,
                              const VerifyOptions& options,
                              const KeySet& snapshot, absl::Time now) const;
  FailureOr<ParsedJws> ParseHeader(absl::string_view token) const;
  FailureOr<absl::Span<const size_t>> SelectProviders(Request& req) const;
  std::optional<VerifiedToken> TryProvider(const Policy& p, Request& req) const;
  FailureOr<absl::Span<const KeyEntry* const>> SelectKeys(
      const Policy& p, const ParsedJws& jws, const KeySet& snapshot) const;
  static FailureOr<const KeyEntry*> VerifySignature(
      const ParsedJws& jws, absl::Span<const KeyEntry* const> candidates,
      std::optional<absl::string_view> token_iss, size_t max_tries);
  static VerifiedToken BuildResult(const Policy& p, const ParsedJws& jws,
                                   const KeyEntry& key,
                                   std::optional<nlohmann::json> claims,
                                   PolicyResult checked);

  VerifierConfig config_;
  KeyStore* store_;
  const Clock* clock_;
  VerificationCache* cache_;
  UnknownKidObserver* observer_;
  uint64_t id_;
  std::vector<Policy> policies_;
  absl::flat_hash_map<std::string, size_t> by_name_;
  absl::flat_hash_map<std::string, std::vector<size_t>> by_issuer_;
  std::vector<size_t> any_issuer_kid_lookup_;
  JsonLimits loosest_payload_limits_;
};

}  // namespace jwtauth

#endif  // JWTAUTH_CORE_VERIFIER_H_
