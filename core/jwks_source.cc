#include "core/jwks_source.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "core/json_limits.h"

namespace jwtauth {
namespace {

// Discovery documents are small; the limits keep a hostile one cheap.
JsonLimits DiscoveryJsonLimits() {
  return JsonLimits{.max_bytes = 1024 * 1024,
                    .max_depth = 8,
                    .max_values = 20000,
                    .max_object_members = 1000,
                    .require_object = true};
}

}  // namespace

std::string DiscoveryUrl(const JwksSourceConfig& source) {
  if (!source.discovery_url.empty()) return source.discovery_url;
  if (source.discover && !source.issuer.empty()) {
    return absl::StrCat(absl::StripSuffix(source.issuer, "/"),
                        "/.well-known/openid-configuration");
  }
  return "";
}

std::string JwksSourceId(const JwksSourceConfig& source) {
  if (!source.url.empty()) return absl::StrCat("jwks:", source.url);
  return absl::StrCat("oidc:", DiscoveryUrl(source));
}

absl::Status ValidateJwksSourceConfig(const JwksSourceConfig& s) {
  if (s.provider.empty()) {
    return absl::InvalidArgumentError("jwks source: provider is empty");
  }
  int forms = (s.url.empty() ? 0 : 1) + (s.discovery_url.empty() ? 0 : 1) +
              (s.discover ? 1 : 0);
  if (forms != 1) {
    return absl::InvalidArgumentError(
        "jwks source: set exactly one of url, discovery_url, discover");
  }
  std::string url = s.url.empty() ? DiscoveryUrl(s) : s.url;
  if (url.empty()) {
    return absl::InvalidArgumentError("jwks source: discovery needs issuer");
  }
  if (s.url.empty() && s.issuer.empty()) {
    return absl::InvalidArgumentError(
        "jwks source: discovery needs the expected issuer");
  }
  if (absl::Status st = ValidateFetchUrl(url, s.allow_insecure); !st.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("jwks source: ", st.message()));
  }
  for (const std::string& host : s.redirect_hosts) {
    if (absl::Status st = ValidateRedirectHost(host); !st.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("jwks source: redirect_hosts: ", st.message()));
    }
  }
  const RefreshBounds& r = s.refresh;
  if (!(r.min > absl::ZeroDuration() && r.min <= r.default_interval &&
        r.default_interval <= r.max && r.max < absl::InfiniteDuration())) {
    return absl::InvalidArgumentError(
        "jwks source: refresh needs 0 < min <= default <= max");
  }
  if (s.timeout <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("jwks source: timeout must be positive");
  }
  if (s.max_keys == 0) {
    return absl::InvalidArgumentError("jwks source: max_keys must be positive");
  }
  if (s.max_stale <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError(
        "jwks source: max_stale must be positive");
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> DiscoverJwksUri(JwksFetcher& fetcher,
                                            const JwksSourceConfig& config,
                                            const std::atomic<bool>* cancel) {
  FetchRequest req{.url = DiscoveryUrl(config),
                   .timeout = config.timeout,
                   .allow_insecure = config.allow_insecure,
                   .redirect_hosts = config.redirect_hosts,
                   .cancel = cancel};
  absl::StatusOr<FetchResponse> r = fetcher.Fetch(req);
  if (!r.ok()) {
    return absl::Status(r.status().code(),
                        absl::StrCat("discovery: ", r.status().message()));
  }
  if (r->status != 200) {
    return absl::UnavailableError(
        absl::StrCat("discovery: HTTP status ", r->status));
  }
  absl::StatusOr<nlohmann::json> doc =
      ParseJsonBounded(r->body, DiscoveryJsonLimits());
  if (!doc.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("discovery: ", doc.status().message()));
  }
  auto issuer = doc->find("issuer");
  if (issuer == doc->end() || !issuer->is_string() ||
      issuer->get<std::string>() != config.issuer) {
    return absl::FailedPreconditionError(
        "discovery: issuer does not equal the configured issuer");
  }
  auto uri = doc->find("jwks_uri");
  if (uri == doc->end() || !uri->is_string()) {
    return absl::InvalidArgumentError("discovery: jwks_uri missing");
  }
  std::string jwks_uri = uri->get<std::string>();
  if (absl::Status s = ValidateFetchUrl(jwks_uri, config.allow_insecure);
      !s.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("discovery: jwks_uri refused: ", s.message()));
  }
  return jwks_uri;
}

}  // namespace jwtauth
