#ifndef JWTAUTH_CORE_CRYPTO_SIGNATURE_VERIFIER_H_
#define JWTAUTH_CORE_CRYPTO_SIGNATURE_VERIFIER_H_

// SignatureVerifier / Signer: one object per (algorithm, key), built once at
// key load and shared read-only by every request thread. Verify() works on
// per-call EVP contexts (copies of one prepared per key, or HMAC states), so
// instances are thread-safe.
//
// Verify() returns true only for a signature that is valid for exactly this
// algorithm and key: HS* compares in constant time; ES* accepts only raw R||S
// of exactly twice the field size (DER is rejected) with r, s range-checked;
// PS* uses salt length = digest length (MGF1 with the same digest).
//
//   auto v = crypto::NewSignatureVerifier(Algorithm::kEs256, key_material);
//   if (v.ok() && (*v)->Verify(signing_input, signature)) { /* valid */ }

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "core/algorithm.h"
#include "core/crypto/key_material.h"

namespace jwtauth::crypto {

class SignatureVerifier {
 public:
  virtual ~SignatureVerifier() = default;
  virtual Algorithm algorithm() const = 0;
  // `data` is the JWS signing input; `signature` the decoded signature bytes.
  virtual bool Verify(absl::string_view data,
                      absl::string_view signature) const = 0;
};

class Signer {
 public:
  virtual ~Signer() = default;
  virtual Algorithm algorithm() const = 0;
  // Returns the JWS signature bytes (raw R||S for ES*).
  virtual absl::StatusOr<std::string> Sign(absl::string_view data) const = 0;
};

// InvalidArgument if the key does not fit the algorithm (wrong type, wrong
// curve). Never falls back to a default digest.
absl::StatusOr<std::unique_ptr<const SignatureVerifier>> NewSignatureVerifier(
    Algorithm alg, const KeyMaterial& key);
// Also requires private material.
absl::StatusOr<std::unique_ptr<const Signer>> NewSigner(Algorithm alg,
                                                        const KeyMaterial& key);

// Cryptographically secure random bytes (for jti and ephemeral material).
std::string RandomBytes(size_t n);
// SHA-256 of `data` (raw 32 bytes). Used for cache keys and log fingerprints.
std::string Sha256(absl::string_view data);
// Constant-time equality for equal-length inputs (false if lengths differ).
bool ConstantTimeEquals(absl::string_view a, absl::string_view b);

}  // namespace jwtauth::crypto

#endif  // JWTAUTH_CORE_CRYPTO_SIGNATURE_VERIFIER_H_
