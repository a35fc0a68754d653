#ifndef JWTAUTH_CORE_CRYPTO_RSA_H_
#define JWTAUTH_CORE_CRYPTO_RSA_H_

// RS256/384/512 (RSASSA-PKCS1-v1_5) and PS256/384/512 (RSASSA-PSS, MGF1 with
// the same digest, salt length = digest length exactly) verifier and signer,
// RFC 7518 §3.3 and §3.5. Internal to core/crypto: callers use
// NewSignatureVerifier / NewSigner.
//
// Holds a reference to the key's read-only EVP_PKEY and a PreparedVerify
// (prepared_verify.h); each call verifies on a context no other call is
// using (pooled or cloned), so instances are thread-safe.
// Signatures must be exactly the modulus length (RFC 8017 §8.2.2 step 1).

#include <memory>

#include "absl/status/statusor.h"
#include "core/algorithm.h"
#include "core/crypto/key_material.h"
#include "core/crypto/signature_verifier.h"

namespace jwtauth::crypto {

// `key` must be an RSA key (Fits(alg)); InvalidArgument otherwise.
absl::StatusOr<std::unique_ptr<const SignatureVerifier>> NewRsaVerifier(
    Algorithm alg, const KeyMaterial& key);
// Also requires the private key.
absl::StatusOr<std::unique_ptr<const Signer>> NewRsaSigner(
    Algorithm alg, const KeyMaterial& key);

}  // namespace jwtauth::crypto

#endif  // JWTAUTH_CORE_CRYPTO_RSA_H_
