#ifndef JWTAUTH_CORE_CRYPTO_KEY_PARAMS_H_
#define JWTAUTH_CORE_CRYPTO_KEY_PARAMS_H_

// Reading an imported key back and checking its consistency: the calls that
// differ between the crypto backends. OpenSSL 3 reads provider parameters
// (EVP_PKEY_get_bn_param, OSSL_PKEY_PARAM_*) and checks with
// EVP_PKEY_public_check / EVP_PKEY_pairwise_check (key_params_openssl.cc);
// BoringSSL reads the RSA / EC_KEY inside the EVP_PKEY and checks with
// RSA_check_key / EC_KEY_check_key (key_params_boringssl.cc). CMake compiles
// the backend's file (JWTAUTH_CRYPTO). Internal to core/crypto. Stateless
// and thread-safe; `pkey` is only read.

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/crypto/ssl_ptr.h"

namespace jwtauth::crypto::internal {

// Copies of an RSA key's public numbers; both null if they cannot be read.
struct RsaPublicNumbers {
  SslUniquePtr<BIGNUM> n, e;
};
RsaPublicNumbers GetRsaPublic(const EVP_PKEY* pkey);

// True iff an RSA private key carries its CRT factors (p, q, ...).
bool RsaHasCrtFactors(const EVP_PKEY* pkey);

// The affine coordinates of an EC public key; both null on failure.
struct EcPublicPoint {
  SslUniquePtr<BIGNUM> x, y;
};
EcPublicPoint GetEcPublic(const EVP_PKEY* pkey);

// The NID of an EC key's named curve (before the caller's support check).
// InvalidArgument "unsupported EC curve (explicit parameters)" when the key
// came with explicit curve parameters.
absl::StatusOr<int> NamedCurveNid(const EVP_PKEY* pkey);

// Full consistency check of an RSA private key with CRT factors (n = pq, d,
// dp, dq, qi consistent). Import-time only: tens of milliseconds at 2048
// bits. InvalidArgument "RSA private key does not match its public key".
absl::Status CheckRsaKeyPair(EVP_PKEY* pkey);

// The EC point is on the curve (and not the point at infinity) and, with
// `has_private`, matches the private scalar. InvalidArgument with a fixed
// phrase otherwise.
absl::Status CheckEcKey(EVP_PKEY* pkey, bool has_private);

// The form of `pkey` that many threads may use at once: OpenSSL 3 converts a
// legacy key (some PKCS#1 parses) to a provider key lazily on first use, so
// the OpenSSL backend re-encodes it once here; BoringSSL keys are always
// safe to share and pass through unchanged.
absl::StatusOr<SslUniquePtr<EVP_PKEY>> MakeShareable(
    SslUniquePtr<EVP_PKEY> pkey, bool has_private);

}  // namespace jwtauth::crypto::internal

#endif  // JWTAUTH_CORE_CRYPTO_KEY_PARAMS_H_
