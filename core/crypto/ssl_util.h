#ifndef JWTAUTH_CORE_CRYPTO_SSL_UTIL_H_
#define JWTAUTH_CORE_CRYPTO_SSL_UTIL_H_

// Small helpers shared by the core/crypto implementation files: error
// conversion (always clears OpenSSL's thread-local error queue and never
// copies its text into a Status), digest and curve tables. Internal to
// core/crypto. Stateless and thread-safe.

#include <openssl/evp.h>

#include <cstddef>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "core/algorithm.h"
#include "core/crypto/ssl_ptr.h"

namespace jwtauth::crypto {
class KeyMaterial;
}  // namespace jwtauth::crypto

namespace jwtauth::crypto::internal {

// The check each family's New*Verifier / New*Signer starts with:
// InvalidArgument unless `alg` belongs to family `kty` and `key` fits it and,
// when `signing`, holds the private part.
absl::Status CheckKeyFor(Algorithm alg, KeyType kty, const KeyMaterial& key,
                         bool signing);

// ERR_clear_error() and InvalidArgument(phrase). `phrase` is a fixed text.
absl::Status InvalidKey(absl::string_view phrase);
// ERR_clear_error() and Internal(phrase), for allocation or library faults.
absl::Status InternalFailure(absl::string_view phrase);

// EVP_sha256() / EVP_sha384() / EVP_sha512(): static objects, no fetch.
const EVP_MD* EvpMd(HashAlgorithm hash);

// NID_X9_62_prime256v1, NID_secp384r1, NID_secp521r1, NID_ED25519; NID_undef
// for kNone.
int CurveNid(Curve curve);
// Bytes of one field element / coordinate: 32, 48, 66 (and 32 for Ed25519).
size_t CurveFieldBytes(Curve curve);

// PSS padding with MGF1(md) and salt length = digest length on a verify or
// sign context (RFC 7518 §3.5). False on failure (error queue not cleared).
bool ConfigureRsaPss(EVP_PKEY_CTX* pctx, const EVP_MD* md);

// One EVP_DigestSign over `data` with `pkey` (`md` null for Ed25519,
// `rsa_pss` applies ConfigureRsaPss): returns the raw EVP signature (DER for
// ECDSA). Verification goes through PreparedVerify (prepared_verify.h).
absl::StatusOr<std::string> EvpDigestSign(EVP_PKEY* pkey, const EVP_MD* md,
                                          bool rsa_pss, absl::string_view data);

// Lower-case hex of `bytes`.
std::string HexEncode(absl::string_view bytes);

// `s` as OpenSSL's byte pointer type.
const unsigned char* Bytes(absl::string_view s);

// Big-endian unsigned bytes → BIGNUM; null on allocation failure.
SslUniquePtr<BIGNUM> BnFromBytes(absl::string_view bytes);
// Big-endian bytes of `bn`, left-padded with zeros to `pad_to` if positive.
std::string BnToBytes(const BIGNUM* bn, int pad_to = 0);

// SubjectPublicKeyInfo DER of `pkey`'s public half.
absl::StatusOr<std::string> PublicDer(EVP_PKEY* pkey);
// Parses SubjectPublicKeyInfo DER; null (error queue cleared) on anything
// else, including trailing bytes.
SslUniquePtr<EVP_PKEY> ParsePublicDer(absl::string_view der);

// The bytes written to a memory BIO.
absl::StatusOr<std::string> BioContents(BIO* bio);

}  // namespace jwtauth::crypto::internal

#endif  // JWTAUTH_CORE_CRYPTO_SSL_UTIL_H_
