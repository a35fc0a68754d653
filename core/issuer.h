#ifndef JWTAUTH_CORE_ISSUER_H_
#define JWTAUTH_CORE_ISSUER_H_

// Token issuing with the primary signing key.
//
// SigningKey: the primary key (any of the 13 algorithms) with its kid. It
// lives here, not in the KeyStore: a TokenIssuer is immutable and built per
// config generation, so rotation is a config change that builds a new issuer
// with the new key. Its verification half (public key, or the HMAC secret)
// is published in the KeyStore by the wiring code as source
// SigningKey::source_id() ("signing:<kid>") of the provider whose issuer
// matches; the previous primary stays there (state kRetiring) until removed,
// so tokens it signed keep verifying. Only a kActive key may sign; for HS*
// the own secret must be at least the digest size (RFC 7518 §3.2: 32/48/64
// bytes).
//
// TokenIssuer::Issue (direct): claims (JSON object) + subject + audiences +
// ttl → compact JWS with header {alg, kid, typ:"JWT"} and iss, iat, exp,
// jti (128 random bits, base64url) set by the service. ttl 0 = default_ttl;
// ttl > max_ttl, a claims value that is not an object, a reserved claim
// (iss, iat, exp, nbf, jti) in the caller's claims (unless
// allow_reserved_claim_override), the exchange provenance claims src_iss /
// src_sub (always), or "sub"/"aud" both in claims and in subject/audiences
// → InvalidArgument.
//
// TokenIssuer::Exchange (RFC 8693 spirit): a policy, not a
// conversion of any token into a first-party one.
//  - audiences: at least one (InvalidArgument otherwise: an exchanged token
//    is never audience-less), each in exchange.allowed_audiences
//    (PermissionDenied naming the audience). Checked before verification.
//  - the subject token is verified with the given verifier (the production
//    path) restricted to exchange.allowed_providers: each is tried alone
//    (VerifyOptions.provider; the other verify_options fields apply). No
//    allowed provider accepts it → the inner Failure (the call itself is
//    fine): the most telling one, as in TokenVerifier.
//  - request.subject non-empty must equal the verified "sub" (a string),
//    else InvalidArgument.
//  - the new token carries only the verified claims named in
//    exchange.claim_allowlist (top-level names; reserved claims, aud, src_iss
//    and src_sub can never be listed), "sub" = request.subject if given,
//    "aud" = the request audiences, and its provenance: "src_iss" = the
//    subject token's "iss", "src_sub" = its "sub" (when strings).
//  - ttl 0 = the smaller of default_ttl and exchange.max_ttl; ttl >
//    exchange.max_ttl → InvalidArgument; exp is clamped to the subject
//    token's exp unless allow_beyond_subject_expiry.
//
// TokenIssuer::ExchangeVerified: the same minting step for a token this
// service has already verified (ext_authz issue_upstream_token): the claims
// named in `claim_allowlist` (same rules as exchange.claim_allowlist), "aud"
// = the audiences (required; not checked against exchange.allowed_audiences,
// the caller's config names them), src_iss / src_sub, the exchange TTL rules
// (ttl 0 = default, ttl > exchange.max_ttl → InvalidArgument), and exp
// ALWAYS clamped to the subject token's exp.
//
// Thread-safe and immutable. Not copyable (held by shared_ptr).
//
//   auto key = SigningKey::Create(Algorithm::kEs256, "k1", material);
//   auto issuer = TokenIssuer::Create(opts, *key, &RealClock::Get());
//   auto t = (*issuer)->Issue({.claims = {{"scope", "read"}}, .subject = "u1",
//                              .audiences = {"api://x"}});

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "core/algorithm.h"
#include "core/clock.h"
#include "core/crypto/key_material.h"
#include "core/crypto/signature_verifier.h"
#include "core/failure.h"
#include "core/key.h"
#include "core/verifier.h"
#include "nlohmann/json.hpp"

namespace jwtauth {

class SigningKey final {
 public:
  // InvalidArgument: empty kid, material without private part, material that
  // does not fit `alg`, an HMAC secret shorter than the digest.
  static absl::StatusOr<SigningKey> Create(Algorithm alg, std::string kid,
                                           crypto::KeyMaterial material,
                                           KeyState state = KeyState::kActive);

  Algorithm alg() const { return alg_; }
  const std::string& kid() const { return kid_; }
  KeyState state() const { return state_; }
  // "signing:<kid>": the KeyStore source id of the verification half.
  std::string source_id() const { return std::string(kSourcePrefix) + kid_; }
  static constexpr absl::string_view kSourcePrefix = "signing:";
  // Public half (or, for HS*, the secret) bound to alg, with kid and state,
  // ready for KeyStore::SetSourceKeys(provider, source_id(), {key}).
  absl::StatusOr<Key> VerificationKey(
      absl::Time loaded_at = absl::InfinitePast()) const;
  absl::StatusOr<std::string> Sign(absl::string_view data) const {
    return signer_->Sign(data);
  }

  // Copyable and movable (copies share the signer).
 private:
  SigningKey(Algorithm alg, std::string kid, crypto::KeyMaterial material,
             KeyState state, std::shared_ptr<const crypto::Signer> signer)
      : alg_(alg),
        kid_(std::move(kid)),
        material_(std::move(material)),
        state_(state),
        signer_(std::move(signer)) {}
  Algorithm alg_;
  std::string kid_;
  crypto::KeyMaterial material_;
  KeyState state_;
  std::shared_ptr<const crypto::Signer> signer_;
};

// True iff `source_id` is an own signing key's KeyStore source
// ("signing:<kid>", see SigningKey::source_id). No other source kind uses
// that prefix ("inline", "file:", "env:", "jwks:", "oidc:"), so this is what
// separates the service's own keys (the public JWKS of its issuer) from
// provider / partner keys it merely trusts.
inline bool IsSigningKeySource(absl::string_view source_id) {
  return source_id.substr(0, SigningKey::kSourcePrefix.size()) ==
         SigningKey::kSourcePrefix;
}

struct ExchangeOptions {
  absl::Duration max_ttl = absl::Minutes(30);
  // Top-level claims copied from the verified subject token. Never the
  // reserved claims, nor those the exchange sets (aud, src_iss, src_sub).
  std::vector<std::string> claim_allowlist = {"sub"};
  bool allow_beyond_subject_expiry = false;
  // Only subject tokens verified by one of these providers (each tried
  // alone, in order). Empty = no subject token is accepted.
  std::vector<std::string> allowed_providers;
  // Every requested audience must be one of these. Empty = none allowed.
  std::vector<std::string> allowed_audiences;
};

struct IssuerOptions {
  std::string issuer;  // the "iss" of every issued token
  absl::Duration default_ttl = absl::Minutes(15);
  absl::Duration max_ttl = absl::Hours(1);
  bool allow_reserved_claim_override = false;
  ExchangeOptions exchange;
};

struct IssueRequest {
  nlohmann::json claims = nlohmann::json::object();
  std::string subject;                 // empty = no sub (unless in claims)
  std::vector<std::string> audiences;  // empty = no aud (unless in claims)
  absl::Duration ttl = absl::ZeroDuration();  // zero = default_ttl
};

struct ExchangeRequest {
  std::string subject;  // empty, or must equal the subject token's "sub"
  // Required (never an audience-less token); each in allowed_audiences.
  std::vector<std::string> audiences;
  absl::Duration ttl = absl::ZeroDuration();
};

struct IssuedToken {
  std::string token;
  absl::Time expires_at;
  std::string kid;
  Algorithm alg = Algorithm::kHs256;
  std::string jti;
};

// The exchange's claim allow-list rule: InvalidOptionError "<field>[i]" for
// an empty or reserved name (iss, iat, exp, nbf, jti) or one the exchange
// sets itself (aud, src_iss, src_sub).
absl::Status ValidateClaimAllowlist(const std::vector<std::string>& claims,
                                    absl::string_view field);

// The one check of the issuer's limits (TokenIssuer::Create runs it; the
// config layer runs it at load to point at the YAML value). InvalidArgument
// is an InvalidOptionError (core/option_error.h) naming the field: issuer,
// default_ttl (>= 1s, <= max_ttl), exchange.max_ttl (>= 1s),
// exchange.claim_allowlist[i], exchange.allowed_providers / _audiences.
absl::Status ValidateIssuerOptions(const IssuerOptions& options);

class TokenIssuer final {
 public:
  // `clock` is not owned and must outlive the issuer. InvalidArgument names
  // the offending field (ValidateIssuerOptions, or the signing key state).
  static absl::StatusOr<std::unique_ptr<TokenIssuer>> Create(
      IssuerOptions options, SigningKey key, const Clock* clock);
  TokenIssuer(const TokenIssuer&) = delete;
  TokenIssuer& operator=(const TokenIssuer&) = delete;

  absl::StatusOr<IssuedToken> Issue(const IssueRequest& request) const;
  absl::StatusOr<FailureOr<IssuedToken>> Exchange(
      absl::string_view subject_token, const VerifyOptions& verify_options,
      const TokenVerifier& verifier, const ExchangeRequest& request) const;
  absl::StatusOr<IssuedToken> ExchangeVerified(
      const VerifiedToken& subject, const ExchangeRequest& request,
      const std::vector<std::string>& claim_allowlist) const;

  const SigningKey& signing_key() const { return key_; }
  const IssuerOptions& options() const { return options_; }

 private:
  TokenIssuer(IssuerOptions options, SigningKey key, const Clock* clock)
      : options_(std::move(options)), key_(std::move(key)), clock_(clock) {}
  absl::StatusOr<IssuedToken> Sign(nlohmann::json claims, absl::Time now,
                                   absl::Time exp) const;
  absl::Status CheckExchangeAudiences(
      const std::vector<std::string>& audiences) const;
  // The requested exchange TTL, defaulted and checked against the caps.
  absl::StatusOr<absl::Duration> ExchangeTtl(absl::Duration requested) const;
  // The exchanged token's claims, lifetime and signature (both exchanges).
  absl::StatusOr<IssuedToken> MintFrom(
      const VerifiedToken& subject, const ExchangeRequest& request,
      const std::vector<std::string>& claim_allowlist,
      bool cap_to_subject) const;
  VerifyResult VerifySubject(absl::string_view subject_token,
                             const VerifyOptions& verify_options,
                             const TokenVerifier& verifier) const;

  IssuerOptions options_;
  SigningKey key_;
  const Clock* clock_;  // not owned
};

}  // namespace jwtauth

#endif  // JWTAUTH_CORE_ISSUER_H_
