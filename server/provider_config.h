#ifndef JWTAUTH_SERVER_PROVIDER_CONFIG_H_
#define JWTAUTH_SERVER_PROVIDER_CONFIG_H_

// ProviderConfig: one entry of `providers:` (a token issuer the service
// trusts: its issuers, audiences, claim rules and key sources), read through
// ConfigNode. The verification limits (clock_skew, max_lifetime,
// max_keys_without_kid, allowed_typ, claim rules) are checked by core's
// Policy::Create, the one owner of those rules; ParseProviderConfig runs it
// and reports its error at the YAML value.
//
// Plain value types: copyable and movable.

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "core/policy.h"
#include "server/config_reader.h"
#include "server/key_source_config.h"

namespace jwtauth::server {

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
  absl::Duration clock_skew = kDefaultClockSkew;
  bool require_exp = true;
  std::optional<absl::Duration> max_lifetime;
  std::vector<std::string> required_claims;
  std::string claims_namespace;
  std::vector<MetadataMappingConfig> metadata;
  std::vector<ClaimRuleConfig> claim_rules;  // `claims:` key
  std::string subject_equals;                // `subject: {equals: ...}`
  std::string subject_prefix;                // `subject: {prefix: ...}`
  // 1..kMaxKeysWithoutKid (core/policy.h).
  int max_keys_without_kid = static_cast<int>(kDefaultMaxKeysWithoutKid);
  // Explicit typing (RFC 8725 §3.11); see ProviderOptions::allowed_typ.
  std::vector<std::string> allowed_typ = {"JWT", "at+jwt"};
  bool require_typ = false;
  Location location;
};

// One `providers[i]` entry, validated (including Policy::Create).
absl::StatusOr<ProviderConfig> ParseProviderConfig(const ConfigNode& node);

// The core policy options of `provider` (payload limits left at their
// defaults; the caller applies `limits:`).
ProviderOptions ToProviderOptions(const ProviderConfig& provider);

}  // namespace jwtauth::server

#endif  // JWTAUTH_SERVER_PROVIDER_CONFIG_H_
