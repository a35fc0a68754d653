#include "server/issue_config.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/server/config_test_env.h"
#include "tests/testutil/status_matchers.h"

namespace jwtauth::server {
namespace {

using ::jwtauth::testutil::IsOk;
using ::jwtauth::testutil::LoadConfigText;
using ::jwtauth::testutil::ServerConfigError;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr char kBase[] = R"(providers:
  - name: default
    issuers: [https://auth.example.com]
    audiences: [api://orders]
    keys: [{kid: k1, alg: HS256, secret_file: hs256.txt}]
signing: {ephemeral: true, issuer: https://auth.example.com}
)";

TEST(IssueConfigTest, ReadsDirectAndExchange) {
  IssueConfig c;
  ASSERT_THAT(ParseIssueConfig(LoadConfigText(R"(issue:
  direct: {enabled: true, caller_providers: default}
  exchange:
    enabled: true
    max_ttl: 5m
    claims: [sub, email]
    allowed_providers: [default]
    allowed_audiences: [api://a]
)")["issue"],
                               c),
              IsOk());
  EXPECT_TRUE(c.policy.direct_enabled);
  EXPECT_THAT(c.policy.caller_providers, ElementsAre("default"));
  EXPECT_TRUE(c.policy.exchange_enabled);
  EXPECT_EQ(c.policy.exchange_max_ttl, absl::Minutes(5));
  EXPECT_THAT(c.exchange_claims, ElementsAre("sub", "email"));
}

// The exchange TTL limit is checked once, by core's ValidateIssuerOptions;
// the error names the YAML value.
TEST(IssueConfigTest, ExchangeMaxTtlLimitNamesThePath) {
  const std::string exchange =
      "issue:\n  exchange:\n    enabled: true\n    allowed_providers: "
      "[default]\n    allowed_audiences: [api://a]\n    max_ttl: ";
  EXPECT_EQ(ServerConfigError(absl::StrCat(kBase, exchange, "1s\n")), "OK");
  EXPECT_EQ(ServerConfigError(absl::StrCat(kBase, exchange, "0s\n")),
            "/etc/jwtauth/config.yaml:12:14: issue.exchange.max_ttl: must be "
            "at least 1s");
}

TEST(IssueConfigTest, ExchangeClaimsLimitNamesTheEntry) {
  EXPECT_THAT(
      ServerConfigError(
          absl::StrCat(kBase, "issue: {exchange: {claims: [sub, exp]}}\n")),
      HasSubstr("config.yaml:7:34: issue.exchange.claims[1]: \"exp\" is "
                "empty or reserved"));
  EXPECT_THAT(
      ServerConfigError(
          absl::StrCat(kBase, "issue: {exchange: {claims: [aud]}}\n")),
      HasSubstr("issue.exchange.claims[0]: \"aud\" is set by the exchange"));
}

TEST(IssueConfigTest, BooleansUseTheSharedSpellings) {
  IssueConfig c;
  EXPECT_THAT(
      ParseIssueConfig(
          LoadConfigText("issue: {direct: {enabled: TRUE}}\n")["issue"], c),
      IsOk());
  EXPECT_TRUE(c.policy.direct_enabled);
  EXPECT_THAT(
      std::string(
          ParseIssueConfig(
              LoadConfigText("issue: {direct: {enabled: yes}}\n")["issue"], c)
              .message()),
      HasSubstr("config.yaml:1:27: issue.direct.enabled: expected "
                "true or false"));
}

}  // namespace
}  // namespace jwtauth::server
