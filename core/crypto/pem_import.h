#ifndef JWTAUTH_CORE_CRYPTO_PEM_IMPORT_H_
#define JWTAUTH_CORE_CRYPTO_PEM_IMPORT_H_

// PEM key parsing behind KeyMaterial::FromPem: which encodings are accepted
// (one key block, PKCS#8, PKCS#1, SEC1, SPKI, X.509) and which are refused
// (encrypted keys, unknown labels, damaged blocks, trailing bytes). Every
// parsed key then passes ImportPkey. Internal to core/crypto. Stateless and
// thread-safe.

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "core/crypto/key_material.h"

namespace jwtauth::crypto::internal {

// KeyMaterial::FromPem.
absl::StatusOr<KeyMaterial> KeyFromPem(absl::string_view pem,
                                       const KeyStrengthPolicy& policy);

}  // namespace jwtauth::crypto::internal

#endif  // JWTAUTH_CORE_CRYPTO_PEM_IMPORT_H_
