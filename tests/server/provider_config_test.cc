#include "server/provider_config.h"

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
using ::testing::HasSubstr;

constexpr char kProvider[] = R"(p:
  name: default
  issuers: [https://auth.example.com]
  audiences: [api://orders]
)";

absl::StatusOr<ProviderConfig> ParseWith(absl::string_view extra) {
  return ParseProviderConfig(
      LoadConfigText(absl::StrCat(kProvider, extra))["p"]);
}

std::string ErrorWith(absl::string_view extra) {
  absl::StatusOr<ProviderConfig> p = ParseWith(extra);
  return p.ok() ? "OK" : std::string(p.status().message());
}

// Each limit below is checked once, by core's Policy::Create; the error
// still names the YAML value.
TEST(ProviderConfigTest, ClockSkewLimitNamesThePath) {
  EXPECT_EQ(ErrorWith("  clock_skew: 10m\n"), "OK");
  EXPECT_EQ(ErrorWith("  clock_skew: 11m\n"),
            "/etc/jwtauth/config.yaml:5:15: p.clock_skew: must be at most 10m");
}

TEST(ProviderConfigTest, MaxKeysWithoutKidLimitNamesThePath) {
  EXPECT_EQ(ErrorWith("  max_keys_without_kid: 1\n"), "OK");
  EXPECT_EQ(ErrorWith("  max_keys_without_kid: 64\n"), "OK");
  for (const char* bad : {"0", "65", "-1"}) {
    EXPECT_EQ(ErrorWith(absl::StrCat("  max_keys_without_kid: ", bad, "\n")),
              "/etc/jwtauth/config.yaml:5:25: p.max_keys_without_kid: must be "
              "between 1 and 64")
        << bad;
  }
  EXPECT_THAT(ErrorWith("  max_keys_without_kid: many\n"),
              HasSubstr("p.max_keys_without_kid: expected an integer"));
}

TEST(ProviderConfigTest, MaxLifetimeNeedsRequireExp) {
  EXPECT_EQ(ErrorWith("  max_lifetime: 1h\n  require_exp: false\n"),
            "/etc/jwtauth/config.yaml:5:17: p.max_lifetime: requires "
            "require_exp: true");
}

TEST(ProviderConfigTest, ClaimRuleTemplateErrorNamesTheRule) {
  EXPECT_THAT(ErrorWith("  claims:\n    - {claim: t, equals: \"%{x\"}\n"),
              HasSubstr("config.yaml:6:7: p.claims[0]: "));
}

TEST(ProviderConfigTest, IssuersAndAudiencesAreRequired) {
  absl::StatusOr<ProviderConfig> p = ParseProviderConfig(
      LoadConfigText("p: {name: x, audiences: [a]}\n")["p"]);
  EXPECT_THAT(std::string(p.status().message()),
              HasSubstr("config.yaml:1:4: p.issuers: must list at least one"));
  p = ParseProviderConfig(LoadConfigText("p: {name: x, issuers: [i]}\n")["p"]);
  EXPECT_THAT(std::string(p.status().message()),
              HasSubstr("p.audiences: must list at least one"));
}

TEST(ProviderConfigTest, ToProviderOptionsCarriesEveryPolicyField) {
  absl::StatusOr<ProviderConfig> p = ParseWith(
      "  clock_skew: 30s\n  max_keys_without_kid: 3\n  require_typ: true\n"
      "  subject: {prefix: svc-}\n"
      "  claims: [{claim: scope, contains: read}, {claim: r, one_of: [a, b]}]\n"
      "  metadata: [{path: org.id}]\n");
  ASSERT_THAT(p, IsOk()) << p.status();
  ProviderOptions o = ToProviderOptions(*p);
  EXPECT_EQ(o.name, "default");
  EXPECT_EQ(o.clock_skew, absl::Seconds(30));
  EXPECT_EQ(o.max_keys_without_kid, 3u);
  EXPECT_TRUE(o.require_typ);
  EXPECT_EQ(o.subject.kind, SubjectRule::Kind::kPrefix);
  ASSERT_EQ(o.claim_rules.size(), 2u);
  EXPECT_EQ(o.claim_rules[0].op, ClaimRule::Op::kContains);
  EXPECT_EQ(o.claim_rules[1].op, ClaimRule::Op::kOneOf);
  ASSERT_EQ(o.metadata.size(), 1u);
  EXPECT_EQ(o.metadata[0].field, "id");
  EXPECT_THAT(Policy::Create(o), IsOk());
}

}  // namespace
}  // namespace jwtauth::server
