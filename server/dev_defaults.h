#ifndef JWTAUTH_SERVER_DEV_DEFAULTS_H_
#define JWTAUTH_SERVER_DEV_DEFAULTS_H_

// The embedded development configuration, used when the server starts with
// neither --config nor JWTAUTH_CONFIG. It is YAML text parsed by the same
// parser as a real file, so it can never drift from the config schema:
//
//   - gRPC on 127.0.0.1:50051, admin HTTP on 127.0.0.1:9090 (loopback only;
//     env overrides are honoured but must stay on loopback);
//   - an ephemeral ES256 signing key generated at start (kid "dev-ephemeral"),
//     issuer "jwtauth-dev", so every restart invalidates issued tokens;
//   - one provider "dev" that accepts tokens of that issuer for audience
//     "jwtauth-dev" (its keys are the signing key's public half);
//   - IssueToken: direct mode open to loopback callers only (the gRPC peer
//     is 127.0.0.0/8 or ::1; IssuePolicy::direct_loopback_callers, which no
//     config file can set), audience "jwtauth-dev" when none is requested;
//     exchange mode off.
//
// Callers must log kDevModeWarning at warn level (main does, loudly).
// Stateless; thread-safe.

#include <functional>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "server/config.h"

namespace jwtauth::server {

inline constexpr char kDevIssuer[] = "jwtauth-dev";
inline constexpr char kDevAudience[] = "jwtauth-dev";
inline constexpr char kDevModeWarning[] =
    "NO CONFIG FILE: running on the embedded DEV default (loopback only, "
    "ephemeral signing key, provider \"dev\", direct issuing open to "
    "loopback callers). NOT FOR PRODUCTION: pass --config FILE or set "
    "JWTAUTH_CONFIG.";

// The embedded YAML text (for docs and --print-dev-config).
absl::string_view DevDefaultConfigYaml();

// Parses the embedded text and applies env overrides from `getenv` (default:
// the process environment). InvalidArgument if an override leaves loopback.
absl::StatusOr<ServerConfig> DevDefaultConfig(
    const ConfigLoadOptions& options = {});

}  // namespace jwtauth::server

#endif  // JWTAUTH_SERVER_DEV_DEFAULTS_H_
