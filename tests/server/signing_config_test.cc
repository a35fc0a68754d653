#include "server/signing_config.h"

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
using ::testing::HasSubstr;

constexpr char kProviders[] = R"(providers:
  - name: default
    issuers: [https://auth.example.com]
    audiences: [api://orders]
    keys: [{kid: k1, alg: HS256, secret_file: hs256.txt}]
)";

TEST(SigningConfigTest, ShortFormIsOneActiveKey) {
  absl::StatusOr<SigningConfig> s = ParseSigningConfig(LoadConfigText(
      "signing: {alg: ES256, kid: a, private_key_file: a.pem, issuer: i}\n")
                                                           ["signing"]);
  ASSERT_THAT(s, IsOk()) << s.status();
  ASSERT_EQ(s->keys.size(), 1u);
  EXPECT_EQ(s->keys[0].state, KeyState::kActive);
  EXPECT_EQ(s->keys[0].value, "/etc/jwtauth/a.pem");
  EXPECT_EQ(s->keys[0].location.path, "signing");
}

TEST(SigningConfigTest, ShortFormAndKeysAreExclusive) {
  absl::StatusOr<SigningConfig> s = ParseSigningConfig(LoadConfigText(
      "signing: {alg: ES256, private_key_file: a.pem, issuer: i,\n"
      "          keys: [{kid: b, alg: ES256, private_key_file: b.pem}]}\n")
                                                           ["signing"]);
  EXPECT_THAT(std::string(s.status().message()),
              HasSubstr("signing: give either the key fields"));
}

// The lifetime limits are checked once, by core's ValidateIssuerOptions;
// the error names the YAML value.
TEST(SigningConfigTest, TtlLimitsNameThePath) {
  const std::string signing = "signing:\n  ephemeral: true\n  issuer: i\n";
  EXPECT_EQ(ServerConfigError(
                absl::StrCat(kProviders, signing, "  default_ttl: 1h\n")),
            "OK");
  EXPECT_EQ(ServerConfigError(
                absl::StrCat(kProviders, signing, "  default_ttl: 2h\n")),
            "/etc/jwtauth/config.yaml:9:16: signing.default_ttl: must not "
            "exceed max_ttl");
  EXPECT_EQ(ServerConfigError(
                absl::StrCat(kProviders, signing, "  default_ttl: 0s\n")),
            "/etc/jwtauth/config.yaml:9:16: signing.default_ttl: must be at "
            "least 1s");
}

}  // namespace
}  // namespace jwtauth::server
