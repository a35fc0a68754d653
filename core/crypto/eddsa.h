#ifndef JWTAUTH_CORE_CRYPTO_EDDSA_H_
#define JWTAUTH_CORE_CRYPTO_EDDSA_H_

// EdDSA (RFC 8037) verifier and signer: Ed25519 only, pure (no prehash).
// Ed448 keys never get here (KeyMaterial refuses them). Internal to
// core/crypto: callers use NewSignatureVerifier / NewSigner.
//
// Signatures must be exactly 64 bytes. Holds a reference to the key's
// read-only EVP_PKEY and a PreparedVerify; each call verifies on its own copy
// of the prepared context (thread-safe: Ed25519 contexts are not pooled).

#include <memory>

#include "absl/status/statusor.h"
#include "core/algorithm.h"
#include "core/crypto/key_material.h"
#include "core/crypto/signature_verifier.h"

namespace jwtauth::crypto {

// `key` must be an Ed25519 key; InvalidArgument otherwise.
absl::StatusOr<std::unique_ptr<const SignatureVerifier>> NewEddsaVerifier(
    Algorithm alg, const KeyMaterial& key);
// Also requires the private key.
absl::StatusOr<std::unique_ptr<const Signer>> NewEddsaSigner(
    Algorithm alg, const KeyMaterial& key);

}  // namespace jwtauth::crypto

#endif  // JWTAUTH_CORE_CRYPTO_EDDSA_H_
