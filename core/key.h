#ifndef JWTAUTH_CORE_KEY_H_
#define JWTAUTH_CORE_KEY_H_

// Key: one verification (and possibly signing) key, bound at import to the
// algorithm(s) it may serve. With a JWK "alg" (or a configured alg) the key
// serves exactly that algorithm; without one, the key type and curve decide
// (RSA → RS*/PS*, EC P-256 → ES256, OKP Ed25519 → EdDSA, oct → HS*). The
// header "alg" of a token must be one the key serves: no default digest, and
// an RSA/EC/OKP key can never serve HS*.
//
// Verifiers for every served algorithm are built at import, so the hot path
// only looks one up. Immutable; copyable (copies share verifiers). Thread-safe.
//
//   auto key = Key::Create({.kid = "k1", .alg = Algorithm::kRs256,
//                           .source = "file:/etc/jwtauth/k1.pem"}, material);
//   const crypto::SignatureVerifier* v = key->VerifierFor(Algorithm::kRs256);

#include <array>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "core/algorithm.h"
#include "core/crypto/key_material.h"
#include "core/crypto/signature_verifier.h"
#include "nlohmann/json.hpp"

namespace jwtauth {

// Binding to an issuer (KeyOptions::issuer) is policy carried with the key;
// TokenVerifier enforces it (core/verifier.h).
//
// Lifecycle of the service's own keys (DESIGN.md). Keys from elsewhere are
// kActive. kNext: published and accepted, never signs. kActive: may sign.
// kRetiring: accepted and published, never signs.
enum class KeyState { kNext, kActive, kRetiring };
absl::string_view KeyStateName(KeyState state);  // "next", "active", "retiring"

struct KeyOptions {
  std::string kid;               // empty = no kid
  std::optional<Algorithm> alg;  // nullopt = decided by key type
  std::string source;            // "inline", "file:/path", "jwks:https://…"
  absl::Time loaded_at = absl::InfinitePast();
  KeyState state = KeyState::kActive;
  // The configured HMAC floor (KeyStrengthPolicy::min_hmac_bytes); the rule
  // it feeds is MinHmacSecretBytes (core/algorithm.h).
  int min_hmac_bytes = kDefaultMinHmacBytes;
  // The issuer this key is bound to (RFC 8725 §3.8): a bound key verifies
  // only tokens whose "iss" equals it exactly. Empty = unbound: the key
  // verifies tokens of every issuer of its provider.
  std::string issuer{};
};

// Policy applied by Key::Create on top of KeyMaterial's own import checks:
//  - a bound `alg` must fit the key type and curve (KeyMaterial::Fits);
//  - HS*: the secret must be at least MinHmacSecretBytes(alg,
//    KeyOptions::min_hmac_bytes) (core/algorithm.h). A bound HS alg with a
//    shorter secret is InvalidArgument; an unbound secret serves only the HS
//    algs it is long enough for;
//  - RSA: the modulus must not carry the ROCA fingerprint (CVE-2017-15361,
//    weak Infineon keys); the exponent was checked at import (KeyMaterial).
// Failure details are fixed phrases; never key bytes.
class Key final {
 public:
  // InvalidArgument if `alg` does not fit the material (type or curve), or
  // the key fails the policy above, or it would serve no algorithm.
  static absl::StatusOr<Key> Create(KeyOptions options,
                                    crypto::KeyMaterial material);

  const std::string& kid() const { return options_.kid; }
  const std::optional<Algorithm>& alg() const { return options_.alg; }
  KeyType kty() const { return material_.type(); }
  const std::string& source() const { return options_.source; }
  absl::Time loaded_at() const { return options_.loaded_at; }
  KeyState state() const { return options_.state; }
  // The bound issuer; empty = unbound (see KeyOptions::issuer).
  const std::string& issuer() const { return options_.issuer; }
  const crypto::KeyMaterial& material() const { return material_; }

  // True iff this key may verify a token whose header alg is `alg`.
  bool Serves(Algorithm alg) const { return VerifierFor(alg) != nullptr; }
  // nullptr when the key does not serve `alg`.
  const crypto::SignatureVerifier* VerifierFor(Algorithm alg) const {
    return verifiers_[static_cast<size_t>(alg)].get();
  }

  // Public JWK: kty, kid, alg (if bound), use "sig", and the public
  // components. FailedPrecondition for oct keys: secrets are never exported.
  absl::StatusOr<nlohmann::json> ToPublicJwk() const;

  // The algorithms this key serves, in kAllAlgorithms order.
  std::vector<Algorithm> ServedAlgorithms() const;

  // A copy bound to `issuer` (empty = unbound); shares the verifiers. Used by
  // the wiring to bind every key of a configured source, JWKS included.
  Key BoundToIssuer(std::string issuer) const;

 private:
  Key(KeyOptions options, crypto::KeyMaterial material)
      : options_(std::move(options)), material_(std::move(material)) {}
  KeyOptions options_;
  crypto::KeyMaterial material_;
  std::array<std::shared_ptr<const crypto::SignatureVerifier>, 13> verifiers_;
};

// True iff the big-endian RSA modulus `n` has the ROCA fingerprint: for each
// small prime p in the test set, n mod p lies in the subgroup generated by
// 65537 (how the vulnerable Infineon library built its primes). False
// positive rate for a random modulus is about 1e-8.
bool RsaModulusHasRocaFingerprint(absl::string_view n);

}  // namespace jwtauth

#endif  // JWTAUTH_CORE_KEY_H_
