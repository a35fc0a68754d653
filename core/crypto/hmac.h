#ifndef JWTAUTH_CORE_CRYPTO_HMAC_H_
#define JWTAUTH_CORE_CRYPTO_HMAC_H_

// HS256/384/512 verifier and signer (RFC 7518 §3.2). Internal to core/crypto:
// callers use NewSignatureVerifier / NewSigner.
//
// The key's inner and outer HMAC states (RFC 2104: H(K^ipad), H(K^opad)) are
// hashed once at construction; each call copies them into a fresh
// EVP_MD_CTX. That is cheaper per call than a one-shot HMAC() (which
// re-derives the key pads and fetches the digest every time) or duplicating a
// keyed EVP_MAC_CTX, and keeps HS256 within its per-token budget (numbers in
// docs/PERFORMANCE.md). Only digest calls that BoringSSL shares are used.
// Tags must be exactly the digest length (no truncated MACs) and are compared
// with CRYPTO_memcmp.
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
