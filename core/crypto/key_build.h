#ifndef JWTAUTH_CORE_CRYPTO_KEY_BUILD_H_
#define JWTAUTH_CORE_CRYPTO_KEY_BUILD_H_

// Building an EVP_PKEY from raw JWK numbers: the step of component import
// whose API differs between the crypto backends. OpenSSL 3 builds keys with
// EVP_PKEY_fromdata from OSSL_PARAMs (key_build_openssl.cc); BoringSSL sets
// the numbers on an RSA or EC_KEY and wraps it (key_build_boringssl.cc).
// CMake compiles the backend's file (JWTAUTH_CRYPTO). Internal to
// core/crypto; the caller (component_import.cc) has checked the sizes and
// passes every key on to ImportPkey. Stateless and thread-safe.

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "core/algorithm.h"
#include "core/crypto/key_material.h"
#include "core/crypto/ssl_ptr.h"

namespace jwtauth::crypto::internal {

// An RSA key from n, e and, when d is given, the private numbers (with or
// without all five CRT values). Null (error queue cleared) when the library
// refuses the numbers; Internal on an allocation failure.
absl::StatusOr<SslUniquePtr<EVP_PKEY>> BuildRsaKey(const RsaComponents& c);

// An EC key on `curve` (P-256/384/521) from the uncompressed point
// 04 || x || y and, if not empty, the private scalar d (field-size bytes).
// Null (error queue cleared) when the point is not on the curve or d is
// refused; Internal on an allocation failure.
absl::StatusOr<SslUniquePtr<EVP_PKEY>> BuildEcKey(Curve curve,
                                                  absl::string_view point,
                                                  absl::string_view d);

}  // namespace jwtauth::crypto::internal

#endif  // JWTAUTH_CORE_CRYPTO_KEY_BUILD_H_
