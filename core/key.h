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

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "core/algorithm.h"
#include "core/crypto/key_material.h"
#include "core/crypto/signature_verifier.h"
#include "nlohmann/json.hpp"

namespace jwtauth {

// Lifecycle of the service's own keys (DESIGN.md). Keys from elsewhere are
// kActive. kNext: published and accepted, never signs. kActive: may sign.
// kRetiring: accepted and published, never signs.
enum class KeyState { kNext, kActive, kRetiring };
absl::string_view KeyStateName(KeyState state);  // "next", "active", "retiring"

struct KeyOptions {
  std::string kid;                  // empty = no kid
  std::optional<Algorithm> alg;     // nullopt = decided by key type
  std::string source;               // "inline", "file:/path", "jwks:https://…"
  absl::Time loaded_at = absl::InfinitePast();
  KeyState state = KeyState::kActive;
};

class Key final {
 public:
  // InvalidArgument if `alg` does not fit the material (type or curve).
  static absl::StatusOr<Key> Create(KeyOptions options,
                                    crypto::KeyMaterial material);

  const std::string& kid() const { return options_.kid; }
  const std::optional<Algorithm>& alg() const { return options_.alg; }
  KeyType kty() const { return material_.type(); }
  const std::string& source() const { return options_.source; }
  absl::Time loaded_at() const { return options_.loaded_at; }
  KeyState state() const { return options_.state; }
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

 private:
  Key(KeyOptions options, crypto::KeyMaterial material)
      : options_(std::move(options)), material_(std::move(material)) {}
  KeyOptions options_;
  crypto::KeyMaterial material_;
  std::array<std::shared_ptr<const crypto::SignatureVerifier>, 13> verifiers_;
};

}  // namespace jwtauth

#endif  // JWTAUTH_CORE_KEY_H_
