#ifndef JWTAUTH_CORE_CRYPTO_HMAC_H_
#define JWTAUTH_CORE_CRYPTO_HMAC_H_

// HS256/384/512 verifier and signer (RFC 7518 §3.2). Internal to core/crypto:
// callers use NewSignatureVerifier / NewSigner.
//
// The key's inner and outer HMAC states (RFC 2104: H(K^ipad), H(K^opad)) are
// hashed once at construction; each call copies them into a fresh
// EVP_MD_CTX. Measured on the 2-core dev box, 300-byte input, HMAC-SHA256:
// HMAC() one-shot 1385 ns, EVP_MAC_CTX_dup of a keyed context 645 ns, this
// 344 ns; the HS256 token budget is 1.5 µs. Only digest calls that BoringSSL
// shares are used. Tags must be exactly the digest length (no truncated
// MACs) and are compared with CRYPTO_memcmp.
//
// Immutable and thread-safe; the precomputed states are key-derived and are
// freed (not logged) with the object.

#include <memory>

#include "absl/status/statusor.h"
#include "core/algorithm.h"
#include "core/crypto/key_material.h"
#include "core/crypto/signature_verifier.h"

namespace jwtauth::crypto {

// `key` must be an oct key (Fits(alg)); InvalidArgument otherwise.
absl::StatusOr<std::unique_ptr<const SignatureVerifier>> NewHmacVerifier(
    Algorithm alg, const KeyMaterial& key);
absl::StatusOr<std::unique_ptr<const Signer>> NewHmacSigner(
    Algorithm alg, const KeyMaterial& key);

}  // namespace jwtauth::crypto

#endif  // JWTAUTH_CORE_CRYPTO_HMAC_H_
