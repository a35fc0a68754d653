#ifndef JWTAUTH_CORE_JWKS_SOURCE_H_
#define JWTAUTH_CORE_JWKS_SOURCE_H_

// JwksSourceConfig: one remote key source of a provider (a JWKS URL, or an
// OpenID discovery document that names one), its identity in the KeyStore,
// its network-free validation, and the discovery step that turns a
// discovery document into the JWKS URL. JwksRefresher keeps the keys of
// every source current; this file holds what a source is.
//
// Stateless functions, thread-safe. Failures are absl::Status values with a
// short phrase (no response bodies, no credentials).

#include <atomic>
#include <cstddef>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "core/cache_control.h"
#include "core/crypto/key_material.h"
#include "core/jwks_fetcher.h"

namespace jwtauth {

struct JwksSourceConfig {
  std::string provider{};
  // Exactly one of: `url` (the JWKS), `discovery_url`, or `issuer` with
  // `discover` (→ issuer + "/.well-known/openid-configuration").
  std::string url{};
  std::string discovery_url{};
  bool discover = false;
  // With discovery: the discovered "issuer" must equal this exactly.
  // Non-empty: every key loaded from this source is bound to this issuer
  // (Key::issuer(), on every refresh) — for discovery sources always.
  std::string issuer{};
  RefreshBounds refresh{};
  absl::Duration timeout = absl::Seconds(5);
  size_t max_keys = 100;
  absl::Duration max_stale = absl::InfiniteDuration();  // infinite = never drop
  bool allow_insecure = false;
  // Import floors for fetched keys (the config's limits, as for static
  // keys). Fetched oct keys are always refused.
  crypto::KeyStrengthPolicy strength{};
  // Hosts ("host" or "host:port") a fetch may be redirected to besides the
  // URL's own scheme+host+port (FetchRequest::redirect_hosts).
  std::vector<std::string> redirect_hosts{};
};

// The KeyStore source id of a source: "jwks:<url>" or "oidc:<discovery url>".
std::string JwksSourceId(const JwksSourceConfig& source);
// The discovery document URL, or empty for a plain JWKS source.
std::string DiscoveryUrl(const JwksSourceConfig& source);

// Checks a source without touching the network: provider set, exactly one
// URL form, URL rules (ValidateFetchUrl), 0 < min ≤ default ≤ max,
// timeout > 0, max_keys > 0, issuer set for discovery. InvalidArgument.
absl::Status ValidateJwksSourceConfig(const JwksSourceConfig& source);

// Fetches the source's discovery document and returns its "jwks_uri" after
// checking that its "issuer" equals `source.issuer` exactly and that the URI
// obeys the fetch rules (ValidateFetchUrl). `cancel` as in FetchRequest.
// The fetch error's code, Unavailable for a non-200, InvalidArgument for a
// bad document or URI, FailedPrecondition for an issuer mismatch.
absl::StatusOr<std::string> DiscoverJwksUri(JwksFetcher& fetcher,
                                            const JwksSourceConfig& source,
                                            const std::atomic<bool>* cancel);

}  // namespace jwtauth

#endif  // JWTAUTH_CORE_JWKS_SOURCE_H_
