#ifndef JWTAUTH_CORE_CRYPTO_ED25519_CHECKS_H_
#define JWTAUTH_CORE_CRYPTO_ED25519_CHECKS_H_

// Import-time checks on Ed25519 public key encodings (RFC 8032 §5.1.2).
// Internal to core/crypto: KeyMaterial applies them to every Ed25519 key it
// imports (JWK "x", SPKI PEM/DER, certificates, private keys).
//
// Small order: a public key A of order 1, 2, 4 or 8 satisfies [8]A = 0, so
// the verification equation [S]B = R + [k]A holds for S = 0 and R = -[k]A,
// which has at most 8 values: whoever controls such a key (a hostile JWKS, a
// bad config) gets signatures that verify for every message. The curve has
// exactly eight such points; with the sign bit cleared their encodings have
// five y-coordinates (0, 1, p - 1 and the two order-8 values), and y = 0
// and y = 1 have a second, non-canonical encoding y + p below 2^255. Seven
// 32-byte values in all, compared with the sign bit masked so that every
// encoding of every small-order point is caught (the same set libsodium
// blocks, and that "Taming the many EdDSAs" lists).
//
// Non-canonical: a y-coordinate >= p is not a valid encoding (RFC 8032
// §5.1.3 decoding step 1); some verifiers reduce it, others refuse it, so a
// key accepted by one and refused by another is a consistency hazard.

#include <openssl/evp.h>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace jwtauth::crypto::internal {

// True iff the 32 bytes encode a point of small order (any encoding,
// canonical or not, either sign bit). False for any other length.
bool IsSmallOrderEd25519(absl::string_view encoded);

// True iff the encoded y-coordinate (sign bit cleared) is >= p = 2^255 - 19.
bool IsNonCanonicalEd25519(absl::string_view encoded);

// OK, or InvalidArgument "Ed25519 public key has small order" /
// "Ed25519 public key is not canonically encoded" / "... must be 32 bytes".
absl::Status CheckEd25519PublicKey(absl::string_view encoded);

// CheckEd25519PublicKey on the raw public key of an Ed25519 EVP_PKEY.
absl::Status CheckEd25519PublicKey(const EVP_PKEY* pkey);

}  // namespace jwtauth::crypto::internal

#endif  // JWTAUTH_CORE_CRYPTO_ED25519_CHECKS_H_
