#ifndef JWTAUTH_SERVER_CONFIG_H_
#define JWTAUTH_SERVER_CONFIG_H_

// ServerConfig: the whole server configuration, parsed from one YAML or JSON
// file (JSON is YAML; both go through yaml-cpp inside one try at this edge).
// Key names follow DESIGN.md's configuration sketch; docs/operations.md is
// the full reference.
//
// Parsing rules are ConfigNode's (server/config_reader.h), the same for
// every section including `ext_authz:`: unknown keys, wrong types and
// out-of-range values are rejected; `${NAME}` interpolation; YAML 1.2
// booleans; durations such as "90s"; relative paths against the config
// file's directory. Env overrides (applied after the file):
// JWTAUTH_SERVER_LISTEN, JWTAUTH_SERVER_ADMIN_LISTEN, JWTAUTH_LOG_LEVEL.
// Every error reads "file:line:col: field.path: reason" (env overrides:
// "env NAME: reason"). Secret values never appear in an error or in any
// printable form of the config: they are held in `Secret`.
//
// Each section has its own file pair (server_section_config,
// key_source_config, provider_config, signing_config, issue_config); this
// one holds the top level, the small sections (limits, cache, log) and the
// checks across sections.
// Limits owned by core (Policy::Create, ValidateIssuerOptions) are checked
// there, once, and reported here at the YAML value.
//
// Parsing only reads the config file; key and secret files are read later,
// when the Application builds a ServingState (so a reload re-reads them).
// Each key entry keeps its source Location so those errors can point at the
// config line too.
//
// Plain value types: copyable and movable. Parsing is thread-compatible
// (no shared state).
//
//   absl::StatusOr<ServerConfig> cfg =
//   LoadServerConfigFile("/etc/jwtauth/config.yaml");

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "core/issuer.h"
#include "core/policy.h"
#include "server/config_reader.h"
#include "server/key_source_config.h"
#include "server/provider_config.h"
#include "server/server_section_config.h"
#include "server/service_context.h"
#include "server/signing_config.h"

namespace jwtauth::server {

struct LimitsConfig {
  int64_t max_token_bytes = 8192;
  int max_json_depth = 16;
  int max_claims = 256;
  int min_rsa_bits = 2048;
  int min_hmac_bytes = kDefaultMinHmacBytes;
};

struct CacheConfig {
  bool enabled = true;
  int64_t max_entries = 100000;
  // Approximate bytes of cached results (token, claims, metadata, key).
  int64_t max_bytes = int64_t{256} << 20;
};

struct LogConfig {
  std::string level = "info";  // debug|info|warn|error
  std::string format = "json";
};

struct ServerConfig {
  std::string source_file;  // "" for the embedded dev default
  bool dev_mode = false;    // loaded from dev_defaults
  ServerSection server;
  SigningConfig signing;
  std::vector<ProviderConfig> providers;
  IssuePolicy issue;                         // issue.direct / issue.exchange
  std::vector<std::string> exchange_claims;  // issue.exchange.claims allowlist
  LimitsConfig limits;
  CacheConfig cache;
  LogConfig log;
  // `ext_authz:` for ParseExtAuthzPolicy, which reads it with the same
  // document (file, ${ENV}) once the providers are known; !present() if
  // absent.
  ConfigNode ext_authz;

  // Every file the config depends on (the config file itself, key, secret,
  // TLS and CA files), absolute, for the reload watcher.
  std::vector<std::string> WatchedFiles() const;
};

struct ConfigLoadOptions {
  // Environment lookup (for ${VAR} and env overrides). Default: getenv.
  GetEnvFunction getenv;
  // Apply JWTAUTH_* env overrides (default on).
  bool apply_env_overrides = true;
};

// Reads and parses `path`. NotFound/PermissionDenied-ish errors become
// InvalidArgument "path: cannot read: <errno text>".
absl::StatusOr<ServerConfig> LoadServerConfigFile(
    absl::string_view path, const ConfigLoadOptions& options = {});
// Parses `text` as if it were the file `file_name` (relative paths resolve
// against `base_dir`).
absl::StatusOr<ServerConfig> ParseServerConfig(
    absl::string_view text, absl::string_view file_name,
    absl::string_view base_dir, const ConfigLoadOptions& options = {});

// Applies JWTAUTH_SERVER_LISTEN, JWTAUTH_SERVER_ADMIN_LISTEN and
// JWTAUTH_LOG_LEVEL from `getenv` (also used for the dev default).
absl::Status ApplyEnvOverrides(const GetEnvFunction& getenv,
                               ServerConfig& config);

// The core options the config describes (ProviderConfig plus `limits:`;
// `signing:` plus `issue.exchange`). Parsing already validated them.
ProviderOptions ToProviderOptions(const ProviderConfig& provider,
                                  const LimitsConfig& limits);
IssuerOptions ToIssuerOptions(const ServerConfig& config);

// The jwks_uri the public port announces: server.public_base_url (or
// signing.issuer) + "/.well-known/jwks.json".
std::string PublicJwksUri(const ServerConfig& config);

// True for "127.0.0.1:N", "[::1]:N", "localhost:N".
bool IsLoopbackListenAddress(absl::string_view address);

}  // namespace jwtauth::server

#endif  // JWTAUTH_SERVER_CONFIG_H_
