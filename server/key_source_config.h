#ifndef JWTAUTH_SERVER_KEY_SOURCE_CONFIG_H_
#define JWTAUTH_SERVER_KEY_SOURCE_CONFIG_H_

// KeySourceConfig: one entry of `providers[].keys[]` or `signing.keys[]`
// (or the short form directly under `signing:`), read through ConfigNode.
// Where one key's material comes from: exactly one kind per entry. The key
// itself is loaded later, when a serving state is built (so a reload
// re-reads the files).
//
// Plain value types: copyable and movable.

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "core/key.h"
#include "server/config_reader.h"

namespace jwtauth::server {

// A secret string. Deliberately has no stream operator or ToString; read
// with reveal() only where the key is built.
class Secret final {
 public:
  Secret() = default;
  explicit Secret(std::string value) : value_(std::move(value)) {}
  const std::string& reveal() const { return value_; }
  bool empty() const { return value_.empty(); }

 private:
  std::string value_;
};

enum class KeySourceKind {
  kSecret,      // secret: inline HMAC secret
  kSecretFile,  // secret_file: file holding the HMAC secret (trailing newline
                // trimmed)
  kSecretEnv,   // secret_env: env var holding the HMAC secret
  kPrivateKeyFile,   // private_key_file: PEM private key (public derived)
  kPublicKeyFile,    // public_key_file: PEM public key or X.509 certificate
  kCertificateFile,  // certificate_file: PEM X.509 certificate
  kPublicKey,        // public_key: inline PEM
  kJwk,              // jwk: inline JWK (map or JSON text)
  kJwkFile,          // jwk_file
  kJwks,             // jwks: inline JWKS (map or JSON text)
  kJwksFile,         // jwks_file
};
absl::string_view KeySourceKindName(KeySourceKind kind);  // the config key

struct KeySourceConfig {
  KeySourceKind kind = KeySourceKind::kSecret;
  std::string kid;  // optional ("" = from the JWK, or none)
  std::string alg;  // optional for JWK/PEM; required for secrets
  // Absolute path (file kinds), env var name (kSecretEnv), or inline JSON/PEM
  // text (kJwk, kJwks, kPublicKey).
  std::string value;
  Secret secret;                       // kSecret only
  KeyState state = KeyState::kActive;  // signing keys: next|active|retiring
  // providers[].keys[] only: the issuer (one of the provider's issuers) the
  // keys of this entry are bound to; "" = unbound. Signing keys are bound to
  // signing.issuer by the wiring.
  std::string issuer;
  Location issuer_location;  // of the `issuer` value
  Location location;         // of the entry (map)
  // "inline", "file:/abs/path", "env:NAME": the KeyOptions.source label.
  std::string SourceLabel() const;
  // Absolute paths this entry reads (for the file watcher).
  std::vector<std::string> Files() const;
};

enum class KeyRole { kVerification, kSigning };

// One key entry: a mapping of the role's keys only.
absl::StatusOr<KeySourceConfig> ParseKeySourceConfig(const ConfigNode& node,
                                                     KeyRole role);

// The key fields of `node` (the signing short form, whose mapping also holds
// other `signing:` fields). The caller checks the mapping's keys.
absl::StatusOr<KeySourceConfig> ReadKeySourceFields(const ConfigNode& node,
                                                    KeyRole role);

}  // namespace jwtauth::server

#endif  // JWTAUTH_SERVER_KEY_SOURCE_CONFIG_H_
