#ifndef JWTAUTH_CORE_CRYPTO_ECDSA_H_
#define JWTAUTH_CORE_CRYPTO_ECDSA_H_

// ES256/384/512 verifier and signer (RFC 7518 §3.4). Internal to core/crypto:
// callers use NewSignatureVerifier / NewSigner.
//
// The JWS signature is raw R||S, each exactly the field size (32/48/66
// bytes). Verify() rejects any other length (so DER never gets through),
// checks 1 <= r, s <= n-1 on the raw bytes, and only then re-encodes as DER
// for verification. Sign() returns fixed-length R||S.
//
// Holds a reference to the key's read-only EVP_PKEY, the curve order and a
// PreparedVerify; each call verifies on a context no other call is using
// (pooled or cloned), so instances are thread-safe.

#include <memory>

#include "absl/status/statusor.h"
#include "core/algorithm.h"
#include "core/crypto/key_material.h"
#include "core/crypto/signature_verifier.h"

namespace jwtauth::crypto {

// `key` must be an EC key on the algorithm's curve; InvalidArgument otherwise.
absl::StatusOr<std::unique_ptr<const SignatureVerifier>> NewEcdsaVerifier(
    Algorithm alg, const KeyMaterial& key);
// Also requires the private key.
absl::StatusOr<std::unique_ptr<const Signer>> NewEcdsaSigner(
    Algorithm alg, const KeyMaterial& key);

}  // namespace jwtauth::crypto

#endif  // JWTAUTH_CORE_CRYPTO_ECDSA_H_
