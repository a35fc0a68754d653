// The embedded dev default (server/dev_defaults.h): what it opens and what a
// config file cannot open. The loopback check itself is loopback_peer_test;
// a real dev-default server issuing to the CLI is tests/cli.

#include "server/dev_defaults.h"

#include <optional>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/config.h"
#include "tests/testutil/status_matchers.h"

namespace jwtauth::server {
namespace {

using ::jwtauth::testutil::IsOk;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

ConfigLoadOptions NoEnv() {
  return ConfigLoadOptions{
      .getenv = [](absl::string_view) -> std::optional<std::string> {
        return std::nullopt;
      }};
}

TEST(DevDefaultsTest, DirectIssuingIsOpenToLoopbackCallersOnly) {
  absl::StatusOr<ServerConfig> config = DevDefaultConfig(NoEnv());
  ASSERT_THAT(config, IsOk()) << config.status();
  EXPECT_TRUE(config->dev_mode);
  EXPECT_TRUE(config->issue.direct_enabled);
  EXPECT_TRUE(config->issue.direct_loopback_callers);
  EXPECT_THAT(config->issue.direct_default_audiences,
              ElementsAre(kDevAudience));
  // No other way in: no identities, no caller tokens, no exchange.
  EXPECT_TRUE(config->issue.allowed_identities.empty());
  EXPECT_TRUE(config->issue.caller_providers.empty());
  EXPECT_FALSE(config->issue.exchange_enabled);
  EXPECT_THAT(std::string(kDevModeWarning), HasSubstr("loopback callers"));
}

TEST(DevDefaultsTest, ThePrintedTextAsAConfigFileOpensNothing) {
  // --print-dev-config copied into a file: direct mode is on but no caller
  // can pass (no identities, no caller providers, no loopback rule).
  absl::StatusOr<ServerConfig> config =
      ParseServerConfig(DevDefaultConfigYaml(), "dev.yaml", "/tmp", NoEnv());
  ASSERT_THAT(config, IsOk()) << config.status();
  EXPECT_FALSE(config->dev_mode);
  EXPECT_TRUE(config->issue.direct_enabled);
  EXPECT_FALSE(config->issue.direct_loopback_callers);
  EXPECT_TRUE(config->issue.direct_default_audiences.empty());
  EXPECT_TRUE(config->issue.allowed_identities.empty());
  EXPECT_TRUE(config->issue.caller_providers.empty());
}

TEST(DevDefaultsTest, AConfigFileCannotOpenIssuingToLoopbackCallers) {
  for (const char* key :
       {"loopback_callers", "direct_loopback_callers", "loopback"}) {
    const std::string yaml =
        std::string("issue:\n  direct: {enabled: true, ") + key + ": true}\n";
    absl::StatusOr<ServerConfig> config =
        ParseServerConfig(yaml, "c.yaml", "/tmp", NoEnv());
    ASSERT_FALSE(config.ok()) << key;
    EXPECT_THAT(config.status().message(), HasSubstr("unknown key")) << key;
  }
}

}  // namespace
}  // namespace jwtauth::server
