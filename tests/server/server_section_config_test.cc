#include "server/server_section_config.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "core/status_macros.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/config.h"
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

constexpr char kSigning[] =
    "signing: {alg: ES256, kid: a, private_key_file: a.pem, "
    "issuer: https://auth.example.com/}\n";

absl::StatusOr<ServerSection> ParseSection(absl::string_view yaml) {
  ServerSection s;
  JWTAUTH_RETURN_IF_ERROR(
      ParseServerSection(LoadConfigText(yaml)["server"], s));
  return s;
}

absl::StatusOr<ServerConfig> ParseWhole(absl::string_view text) {
  ConfigLoadOptions o;
  o.apply_env_overrides = false;
  return ParseServerConfig(text, testutil::kConfigFile, "/etc/jwtauth", o);
}

TEST(ServerSectionConfigTest, PublicListenerIsOffByDefault) {
  absl::StatusOr<ServerSection> s = ParseSection("server: {}\n");
  ASSERT_THAT(s, IsOk()) << s.status();
  EXPECT_EQ(s->public_listen, "");
  EXPECT_EQ(s->public_base_url, "");
}

TEST(ServerSectionConfigTest, PublicListenerValuesAreChecked) {
  absl::StatusOr<ServerSection> s = ParseSection(
      "server: {public_listen: '0.0.0.0:8080', "
      "public_base_url: 'https://keys.example.com/jwt'}\n");
  ASSERT_THAT(s, IsOk()) << s.status();
  EXPECT_EQ(s->public_listen, "0.0.0.0:8080");
  EXPECT_EQ(s->public_base_url, "https://keys.example.com/jwt");
  EXPECT_THAT(ServerConfigError(absl::StrCat(
                  kProviders, kSigning, "server:\n  public_listen: nowhere\n")),
              HasSubstr("config.yaml:8:18: server.public_listen: expected "
                        "host:port"));
  for (const char* url :
       {"ftp://x", "keys.example.com", "https://x/?a=1", "https://x/#f"}) {
    EXPECT_THAT(
        ServerConfigError(absl::StrCat(
            kProviders, kSigning, "server: {public_base_url: '", url, "'}\n")),
        HasSubstr("server.public_base_url: expected an http(s) URL"))
        << url;
  }
}

TEST(ServerSectionConfigTest, PublicListenerNeedsASigningKeyAndAUrl) {
  EXPECT_THAT(ServerConfigError(absl::StrCat(
                  kProviders, "server: {public_listen: '127.0.0.1:0'}\n")),
              HasSubstr("server.public_listen: needs a signing key"));
  EXPECT_THAT(ServerConfigError(absl::StrCat(
                  kProviders,
                  "signing: {alg: ES256, kid: a, private_key_file: a.pem, "
                  "issuer: jwtauth}\n",
                  "server: {public_listen: '127.0.0.1:0'}\n")),
              HasSubstr("server.public_listen: needs server.public_base_url"));
}

TEST(ServerSectionConfigTest, JwksUriFromBaseUrlOrIssuer) {
  absl::StatusOr<ServerConfig> c = ParseWhole(absl::StrCat(
      kProviders, kSigning, "server: {public_listen: '127.0.0.1:0'}\n"));
  ASSERT_THAT(c, IsOk()) << c.status();
  EXPECT_EQ(PublicJwksUri(*c),
            "https://auth.example.com/.well-known/jwks.json");
  c = ParseWhole(absl::StrCat(kProviders, kSigning,
                              "server: {public_listen: '127.0.0.1:0', "
                              "public_base_url: 'https://k.example.com/'}\n"));
  ASSERT_THAT(c, IsOk()) << c.status();
  EXPECT_EQ(PublicJwksUri(*c), "https://k.example.com/.well-known/jwks.json");
}

TEST(ServerSectionConfigTest, ConnectionDefaultsAreProductionValues) {
  absl::StatusOr<ServerSection> s = ParseSection("server: {}\n");
  ASSERT_THAT(s, IsOk()) << s.status();
  EXPECT_EQ(s->connection.max_age, absl::Minutes(5));
  EXPECT_EQ(s->connection.max_age_grace, absl::Seconds(30));
  EXPECT_EQ(s->connection.keepalive_time, absl::Minutes(1));
  EXPECT_EQ(s->connection.keepalive_timeout, absl::Seconds(20));
  EXPECT_EQ(s->connection.min_client_ping_interval, absl::Seconds(10));
}

TEST(ServerSectionConfigTest, ConnectionValuesAreReadAndChecked) {
  absl::StatusOr<ServerSection> s = ParseSection(
      "server:\n  connection: {max_age: 10m, max_age_grace: 1m, "
      "keepalive_time: 30s,\n    keepalive_timeout: 5s, "
      "min_client_ping_interval: \"0\"}\n");
  ASSERT_THAT(s, IsOk()) << s.status();
  EXPECT_EQ(s->connection.max_age, absl::Minutes(10));
  EXPECT_EQ(s->connection.max_age_grace, absl::Minutes(1));
  EXPECT_EQ(s->connection.keepalive_time, absl::Seconds(30));
  EXPECT_EQ(s->connection.keepalive_timeout, absl::Seconds(5));
  EXPECT_EQ(s->connection.min_client_ping_interval, absl::ZeroDuration());
  s = ParseSection("server: {connection: {max_age: \"0\"}}\n");
  ASSERT_THAT(s, IsOk()) << s.status();
  EXPECT_EQ(s->connection.max_age, absl::ZeroDuration());

  const std::string at = absl::StrCat(kProviders, "server:\n  connection:\n");
  EXPECT_THAT(ServerConfigError(absl::StrCat(at, "    max_age: 500ms\n")),
              HasSubstr("config.yaml:8:14: server.connection.max_age: must be "
                        "0 (never) or at least 1s"));
  EXPECT_THAT(ServerConfigError(absl::StrCat(at, "    max_age: 48h\n")),
              HasSubstr("server.connection.max_age: must be between"));
  EXPECT_THAT(
      ServerConfigError(absl::StrCat(at, "    keepalive_time: \"0\"\n")),
      HasSubstr("server.connection.keepalive_time: must be between"));
  EXPECT_THAT(
      ServerConfigError(absl::StrCat(at, "    keepalive_timeout: 1h\n")),
      HasSubstr("server.connection.keepalive_timeout: must be between"));
  EXPECT_THAT(ServerConfigError(absl::StrCat(at, "    max_age_grace: 2h\n")),
              HasSubstr("server.connection.max_age_grace: must be between"));
  EXPECT_THAT(ServerConfigError(absl::StrCat(at, "    max_idle: 1m\n")),
              HasSubstr("server.connection.max_idle: unknown key"));
}

}  // namespace
}  // namespace jwtauth::server
