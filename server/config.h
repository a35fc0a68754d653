#ifndef JWTAUTH_SERVER_CONFIG_H_
#define JWTAUTH_SERVER_CONFIG_H_

// ServerConfig: the whole server configuration, parsed from one YAML or JSON
// file (JSON is YAML; both go through yaml-cpp inside one try at this edge).
// Key names follow DESIGN.md's configuration sketch; docs/operations.md is
// the full reference.
//
// Parsing rules:
//  - Unknown keys are rejected, as are wrong types and out-of-range values.
//  - Scalars may use `${NAME}` environment interpolation; a missing variable
//    is an error naming it; `$${` is a literal `${`.
//  - Durations are strings such as "500ms", "90s", "10m", "1h", "1h30m".
//  - Relative file paths are resolved against the config file's directory.
//  - Env overrides (applied after the file): JWTAUTH_SERVER_LISTEN,
//    JWTAUTH_SERVER_ADMIN_LISTEN, JWTAUTH_LOG_LEVEL.
//  - Every error reads "file:line:col: field.path: reason" (env overrides:
//    "env NAME: reason"). Secret values never appear in an error or in any
//    printable form of the config: they are held in `Secret`.
//
// Parsing only reads the config file; key and secret files are read later,
// when the Application builds a ServingState (so a reload re-reads them).
// Each key entry keeps its source Location so those errors can point at the
// config line too.
//
// Plain value types: copyable and movable. Parsing is thread-compatible
// (no shared state).
//
//   absl::StatusOr<ServerConfig> cfg = LoadServerConfigFile("/etc/jwtauth/config.yaml");

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
#include "core/key.h"
#include "server/service_context.h"
#include "yaml-cpp/yaml.h"

namespace jwtauth::server {

// Where a value came from, for error messages: "file:line:col: path".
struct Location {
  std::string file;
  int line = 0;    // 1-based; 0 = unknown
  int column = 0;  // 1-based
  std::string path;  // "providers[0].keys[1].secret_file"

  // "file:line:col: path: reason"
  std::string Error(absl::string_view reason) const;
};

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

// Where one key's material comes from. Exactly one kind per entry.
enum class KeySourceKind {
  kSecret,           // secret: inline HMAC secret
  kSecretFile,       // secret_file: file holding the HMAC secret (trailing newline trimmed)
  kSecretEnv,        // secret_env: env var holding the HMAC secret
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
  Secret secret;  // kSecret only
  KeyState state = KeyState::kActive;  // signing keys: next|active|retiring
  // providers[].keys[] only: the issuer (one of the provider's issuers) the
  // keys of this entry are bound to; "" = unbound. Signing keys are bound to
  // signing.issuer by the wiring.
  std::string issuer;
  Location issuer_location;  // of the `issuer` value
  Location location;  // of the entry (map)
  // "inline", "file:/abs/path", "env:NAME": the KeyOptions.source label.
  std::string SourceLabel() const;
  // Absolute paths this entry reads (for the file watcher).
  std::vector<std::string> Files() const;
};

struct RefreshConfig {
  absl::Duration default_interval = absl::Minutes(10);
  absl::Duration min_interval = absl::Seconds(30);
  absl::Duration max_interval = absl::Hours(24);
};

struct JwksUrlConfig {
  std::string url;
  RefreshConfig refresh;
  absl::Duration timeout = absl::Seconds(5);
  bool allow_insecure = false;  // plain HTTP to a non-loopback host
  std::string ca_file;          // optional custom CA bundle (absolute)
  std::optional<absl::Duration> max_stale;  // nullopt = keep last good forever
  bool required = true;  // readiness waits for the first successful load
  // The issuer (one of the provider's issuers) every key of this JWKS is
  // bound to, across refreshes; "" = unbound.
  std::string issuer;
  Location issuer_location;  // of the `issuer` value
  // Hosts ("host" / "host:port") a redirect may lead to besides the URL's
  // own scheme+host+port; empty = same origin only.
  std::vector<std::string> redirect_hosts;
  Location location;
};

struct MetadataMappingConfig {
  std::string path;   // dot path into the claims
  std::string field;  // output field (default: last path segment)
  bool required = false;
};

struct ClaimRuleConfig {
  std::string claim;  // dot path
  std::optional<std::string> equals;
  std::vector<std::string> one_of;
  std::optional<std::string> contains;  // for array claims
  Location location;
};

struct ProviderConfig {
  std::string name;
  std::vector<std::string> issuers;
  std::vector<std::string> audiences;
  std::vector<KeySourceConfig> keys;
  std::vector<JwksUrlConfig> jwks_urls;
  std::string discovery_url;
  absl::Duration clock_skew = absl::Seconds(60);
  bool require_exp = true;
  std::optional<absl::Duration> max_lifetime;
  std::vector<std::string> required_claims;
  std::string claims_namespace;
  std::vector<MetadataMappingConfig> metadata;
  std::vector<ClaimRuleConfig> claim_rules;  // `claims:` key
  std::string subject_equals;   // `subject: {equals: ...}`
  std::string subject_prefix;   // `subject: {prefix: ...}`
  int max_keys_without_kid = 8;
  // Explicit typing (RFC 8725 §3.11); see ProviderOptions::allowed_typ.
  std::vector<std::string> allowed_typ = {"JWT", "at+jwt"};
  bool require_typ = false;
  Location location;
};

struct TlsConfig {
  std::string cert_file;       // absolute
  std::string key_file;        // absolute
  std::string client_ca_file;  // absolute; "" = no client certs requested
  bool require_client_cert = false;
  Location location;
};

struct ServerSection {
  std::string listen = "127.0.0.1:50051";
  std::string admin_listen = "127.0.0.1:9090";  // "" = no admin server
  // /readyz shows full source ids (file paths, env var names, JWKS URLs
  // with query) and fetch errors. Only for an admin port that untrusted
  // callers cannot reach; /metrics and ListKeys stay redacted regardless.
  bool admin_verbose = false;
  std::optional<TlsConfig> tls;
  absl::Duration shutdown_grace = absl::Seconds(20);
  // After SIGTERM: keep serving (health NOT_SERVING, /readyz 503) this long
  // so load balancers stop routing here, then stop accepting and drain.
  absl::Duration drain_delay = absl::ZeroDuration();
  // Poll interval of the config/secret file watcher; 0 = no watching.
  absl::Duration watch_interval = absl::Seconds(2);
};

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
};

struct LogConfig {
  std::string level = "info";  // debug|info|warn|error
  std::string format = "json";
};

struct ServerConfig {
  std::string source_file;  // "" for the embedded dev default
  bool dev_mode = false;     // loaded from dev_defaults
  ServerSection server;
  SigningConfig signing;
  std::vector<ProviderConfig> providers;
  IssuePolicy issue;  // issue.direct / issue.exchange
  std::vector<std::string> exchange_claims;  // issue.exchange.claims allowlist
  LimitsConfig limits;
  CacheConfig cache;
  LogConfig log;
  // `ext_authz:` kept raw for ParseExtAuthzPolicy (null node if absent).
  YAML::Node ext_authz;

  // Every file the config depends on (the config file itself, key, secret,
  // TLS and CA files), absolute, for the reload watcher.
  std::vector<std::string> WatchedFiles() const;
};

struct ConfigLoadOptions {
  // Environment lookup (for ${VAR} and env overrides). Default: getenv.
  std::function<std::optional<std::string>(absl::string_view)> getenv;
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
absl::Status ApplyEnvOverrides(
    const std::function<std::optional<std::string>(absl::string_view)>& getenv,
    ServerConfig& config);

// "${NAME}" interpolation; "$${" → "${". Missing variable → error naming it.
absl::StatusOr<std::string> InterpolateEnv(
    absl::string_view text,
    const std::function<std::optional<std::string>(absl::string_view)>& getenv);

// "500ms", "90s", "10m", "1h", "1h30m". Rejects negatives and missing units.
absl::StatusOr<absl::Duration> ParseConfigDuration(absl::string_view text);

// True for "127.0.0.1:N", "[::1]:N", "localhost:N".
bool IsLoopbackListenAddress(absl::string_view address);

}  // namespace jwtauth::server

#endif  // JWTAUTH_SERVER_CONFIG_H_
