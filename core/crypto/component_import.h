#ifndef JWTAUTH_CORE_CRYPTO_COMPONENT_IMPORT_H_
#define JWTAUTH_CORE_CRYPTO_COMPONENT_IMPORT_H_

// Key import from raw JWK components (RsaComponents, EcComponents,
// OkpComponents) behind KeyMaterial::FromRsa / FromEc / FromOkp: sizes are
// checked before any arithmetic on attacker-sized numbers, keys are built
// by the backend's key_build.h, and every key then passes ImportPkey. Internal
// to core/crypto. Stateless and thread-safe.

#include "absl/status/statusor.h"
#include "core/crypto/key_material.h"

namespace jwtauth::crypto::internal {

// KeyMaterial::FromRsa.
absl::StatusOr<KeyMaterial> KeyFromRsaComponents(
    const RsaComponents& c, const KeyStrengthPolicy& policy);
// KeyMaterial::FromEc.
absl::StatusOr<KeyMaterial> KeyFromEcComponents(const EcComponents& c);
// KeyMaterial::FromOkp.
absl::StatusOr<KeyMaterial> KeyFromOkpComponents(const OkpComponents& c);

}  // namespace jwtauth::crypto::internal

#endif  // JWTAUTH_CORE_CRYPTO_COMPONENT_IMPORT_H_
