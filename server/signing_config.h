#ifndef JWTAUTH_SERVER_SIGNING_CONFIG_H_
#define JWTAUTH_SERVER_SIGNING_CONFIG_H_

// SigningConfig: the `signing:` section (the service's own signing keys and
// token lifetimes), read through ConfigNode. The lifetime limits belong to
// core's ValidateIssuerOptions, which the top-level config runs once both
// `signing:` and `issue:` are read.
//
// Plain value type: copyable and movable.

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "server/config_reader.h"
#include "server/key_source_config.h"

namespace jwtauth::server {

struct SigningConfig {
  // Empty = no signing key (IssueToken answers FAILED_PRECONDITION).
  // keys[i].state: exactly one kActive when non-empty.
  std::vector<KeySourceConfig> keys;
  // Dev only: generate an ephemeral key of `ephemeral_alg` at start.
  bool ephemeral = false;
  std::string ephemeral_alg = "ES256";
  std::string ephemeral_kid = "dev-ephemeral";
  std::string issuer;
  absl::Duration default_ttl = absl::Minutes(15);
  absl::Duration max_ttl = absl::Hours(1);
  bool configured() const { return ephemeral || !keys.empty(); }
};

absl::StatusOr<SigningConfig> ParseSigningConfig(const ConfigNode& node);

}  // namespace jwtauth::server

#endif  // JWTAUTH_SERVER_SIGNING_CONFIG_H_
