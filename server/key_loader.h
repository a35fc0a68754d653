#ifndef JWTAUTH_SERVER_KEY_LOADER_H_
#define JWTAUTH_SERVER_KEY_LOADER_H_

// Key loading: turns one `keys[]` entry of the config (providers[].keys[] or
// signing.keys[]) into core keys. Reads the key or secret file it names (at
// most 1 MiB), the environment variable of a secret_env entry, or the inline
// text, and imports it with core/jwk under the config's strength floor.
//
// Failure modes: InvalidArgument "file:line:col: field.kind: reason" naming
// the entry (unreadable file, wrong key type, a public key used as an HMAC
// secret, kid/alg that disagree with the JWK, ...). Secret bytes never appear
// in an error. Stateless and thread-compatible; no I/O besides reading the
// named file or environment variable.
//
//   KeyLoadOptions o{.strength = strength, .now = clock.Now()};
//   JWTAUTH_ASSIGN_OR_RETURN(LoadedKeys keys, LoadVerificationKeys(entry, o));

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "core/crypto/key_material.h"
#include "core/issuer.h"
#include "core/key.h"
#include "server/config.h"

namespace jwtauth::server {

struct KeyLoadOptions {
  crypto::KeyStrengthPolicy strength;
  absl::Time now = absl::InfinitePast();  // stamped as Key::loaded_at
  ConfigLoadOptions load{};  // getenv for secret_env (default: the process)
};

// The verification keys of one providers[].keys[] entry, plus what a JWKS
// entry skipped ("providers[0].keys[1]: skipped <reason>"), for the log.
struct LoadedKeys {
  std::vector<Key> keys;  // never empty
  std::vector<std::string> warnings;
};

// Private key files contribute their public half only.
absl::StatusOr<LoadedKeys> LoadVerificationKeys(const KeySourceConfig& entry,
                                                const KeyLoadOptions& options);

// One signing.keys[] entry (secret, secret_file, secret_env,
// private_key_file, jwk, jwk_file), with its state (next/active/retiring).
absl::StatusOr<SigningKey> LoadSigningKey(const KeySourceConfig& entry,
                                          const KeyLoadOptions& options);

}  // namespace jwtauth::server

#endif  // JWTAUTH_SERVER_KEY_LOADER_H_
