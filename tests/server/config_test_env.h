#ifndef JWTAUTH_TESTS_SERVER_CONFIG_TEST_ENV_H_
#define JWTAUTH_TESTS_SERVER_CONFIG_TEST_ENV_H_

// Helpers for the config section tests: a document at a fixed file name
// with a map-backed environment.

#include <map>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "server/config.h"
#include "server/config_reader.h"

namespace jwtauth::testutil {

inline constexpr char kConfigFile[] = "/etc/jwtauth/config.yaml";

inline server::GetEnvFunction MapEnv(std::map<std::string, std::string> env) {
  return [env](absl::string_view name) -> std::optional<std::string> {
    auto it = env.find(std::string(name));
    if (it == env.end()) return std::nullopt;
    return it->second;
  };
}

// The document root of `text`; a null node if it does not parse.
inline server::ConfigNode LoadConfigText(
    absl::string_view text, std::map<std::string, std::string> env = {}) {
  auto doc = std::make_shared<server::ConfigDocument>();
  doc->file = kConfigFile;
  doc->base_dir = "/etc/jwtauth";
  doc->getenv = MapEnv(std::move(env));
  absl::StatusOr<server::ConfigNode> root =
      server::LoadConfigDocument(text, doc);
  return root.ok() ? *root : server::ConfigNode();
}

// ParseServerConfig's error message, or "OK".
inline std::string ServerConfigError(
    absl::string_view text, std::map<std::string, std::string> env = {}) {
  server::ConfigLoadOptions o;
  o.getenv = MapEnv(std::move(env));
  o.apply_env_overrides = false;
  absl::StatusOr<server::ServerConfig> c =
      server::ParseServerConfig(text, kConfigFile, "/etc/jwtauth", o);
  return c.ok() ? "OK" : std::string(c.status().message());
}

}  // namespace jwtauth::testutil

#endif  // JWTAUTH_TESTS_SERVER_CONFIG_TEST_ENV_H_
