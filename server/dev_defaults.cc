#include "server/dev_defaults.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace jwtauth::server {

namespace {
constexpr char kDevYaml[] =
    R"(# jwtauth embedded development configuration. NOT FOR PRODUCTION.
server:
  listen: "127.0.0.1:50051"
  admin_listen: "127.0.0.1:9090"
  shutdown_grace: 5s
signing:
  ephemeral: true
  ephemeral_alg: ES256
  ephemeral_kid: dev-ephemeral
  issuer: jwtauth-dev
  default_ttl: 15m
  max_ttl: 1h
providers:
  - name: dev
    issuers: [jwtauth-dev]
    audiences: [jwtauth-dev]
    clock_skew: 60s
issue:
  # On, for loopback callers only: the dev default adds that rule itself (a
  # config file cannot; there it takes allowed_identities or caller tokens).
  direct: {enabled: true}
  exchange: {enabled: false}
log: {level: info, format: json}
)";
}  // namespace

absl::string_view DevDefaultConfigYaml() { return kDevYaml; }

absl::StatusOr<ServerConfig> DevDefaultConfig(
    const ConfigLoadOptions& options) {
  absl::StatusOr<ServerConfig> config =
      ParseServerConfig(kDevYaml, "<embedded dev config>", ".", options);
  if (!config.ok()) return config.status();
  config->source_file.clear();
  config->dev_mode = true;
  // The quick start: `jwtauth issue --sub alice` from this host, and the
  // token verifies with provider "dev".
  config->issue.direct_loopback_callers = true;
  config->issue.direct_default_audiences = {kDevAudience};
  if (!IsLoopbackListenAddress(config->server.listen)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "env JWTAUTH_SERVER_LISTEN: the dev default serves on loopback only "
        "(got ",
        config->server.listen, "); use a config file to listen elsewhere"));
  }
  if (!config->server.admin_listen.empty() &&
      !IsLoopbackListenAddress(config->server.admin_listen)) {
    return absl::InvalidArgumentError(
        "env JWTAUTH_SERVER_ADMIN_LISTEN: the dev default serves on loopback "
        "only; use a config file to listen elsewhere");
  }
  return config;
}

}  // namespace jwtauth::server
