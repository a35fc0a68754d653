// Attack suite: information exposure on unauthenticated endpoints. /readyz and
// /metrics on the admin port, and ListKeys on the gRPC port, must not reveal
// where secrets live (file paths, environment variable names), JWKS URL
// credentials (query string, userinfo), fetch error bodies, or HMAC secret
// sizes. The admin server is the one main() runs, started by the SecurityServer
// harness from YAML.

#include <cstdlib>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "httplib.h"
#include "nlohmann/json.hpp"
#include "tests/security/security_server.h"
#include "tests/testutil/jwks_http_server.h"

namespace jwtauth::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kEnvName[] = "JWTAUTH_INFO_EXPOSURE_SECRET_VAR";
constexpr char kSecretDir[] = "very-secret-dir";
constexpr char kQuerySecret[] = "SECRET-QUERY-TOKEN";
constexpr char kErrorBody[] = "upstream-error-body-marker";

class InfoExposureAttack : public ::testing::Test {
 protected:
  void SetUp() override {
    ::setenv(kEnvName, "abcdefghijabcdefghijabcdefghij0123", 1);
    jwks_ = testutil::JwksHttpServer::Start();
    ASSERT_NE(jwks_, nullptr);
    jwks_->SetReply(
        "/jwks",
        {.status = 500, .body = kErrorBody, .content_type = "text/plain"});
  }

  void Start(absl::string_view server_extra) {
    const std::string config = absl::StrCat(
        "server: {listen: \"127.0.0.1:0\", admin_listen: \"127.0.0.1:0\"",
        server_extra, "}\n", R"(
providers:
  - name: files
    issuers: [https://iss.test]
    audiences: [api]
    keys:
      - {kid: k1, alg: HS256, secret_file: "{dir}/)",
        kSecretDir, R"(/hs.txt"}
      - {kid: k2, alg: HS256, secret_env: )",
        kEnvName, R"(}
  - name: remote
    issuers: [https://remote.test]
    audiences: [api]
    jwks_urls: [")",
        jwks_->Url("/jwks"), "?token=", kQuerySecret, R"("]
)");
    auto s = SecurityServer::Start(config,
                                   {{absl::StrCat(kSecretDir, "/hs.txt"),
                                     "0123456789abcdef0123456789abcdef"}},
                                   {.start_refresher = false});
    ASSERT_TRUE(s.ok()) << s.status();
    server_ = *std::move(s);
    ASSERT_GT(server_->admin_port(), 0);
    server_->app().RefreshJwksOnce();  // one failed fetch (HTTP 500)
  }

  std::string Get(const std::string& path) {
    httplib::Client c("127.0.0.1", server_->admin_port());
    c.set_read_timeout(5, 0);
    auto res = c.Get(path);
    EXPECT_TRUE(res) << path;
    return res ? res->body : std::string();
  }

  void ExpectNoSecrets(const std::string& text) {
    EXPECT_THAT(text, Not(HasSubstr(kSecretDir)));
    EXPECT_THAT(text, Not(HasSubstr(server_->dir())));
    EXPECT_THAT(text, Not(HasSubstr(kEnvName)));
    EXPECT_THAT(text, Not(HasSubstr(kQuerySecret)));
    EXPECT_THAT(text, Not(HasSubstr(kErrorBody)));
  }

  std::unique_ptr<testutil::JwksHttpServer> jwks_;
  std::unique_ptr<SecurityServer> server_;
};

// Information exposure: /readyz shows source ids, never secret file paths, env
// var names, JWKS URL query strings or fetch error details.
TEST_F(InfoExposureAttack, ReadyzDoesNotRevealSecretLocationsOrErrors) {
  ASSERT_NO_FATAL_FAILURE(Start(""));
  const std::string body = Get("/readyz");
  ExpectNoSecrets(body);
  auto j = nlohmann::json::parse(body, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << body;
  // Still useful: every source is listed, the failing one says it failed.
  std::string all_errors;
  int sources = 0;
  for (const auto& p : j["providers"]) {
    for (const auto& s : p["sources"]) {
      ++sources;
      if (s.contains("last_error")) all_errors += s["last_error"].dump();
    }
  }
  EXPECT_EQ(sources, 3) << body;
  EXPECT_THAT(body, HasSubstr("127.0.0.1"));  // JWKS host stays visible
  EXPECT_FALSE(all_errors.empty()) << body;
  EXPECT_THAT(all_errors, Not(HasSubstr("500"))) << body;
  EXPECT_THAT(all_errors, Not(HasSubstr("127.0.0.1"))) << body;
}

// Information exposure: /metrics labels carry no JWKS URL query string.
TEST_F(InfoExposureAttack, MetricsDoNotRevealJwksUrlQuery) {
  ASSERT_NO_FATAL_FAILURE(Start(""));
  const std::string body = Get("/metrics");
  ExpectNoSecrets(body);
  EXPECT_THAT(body,
              HasSubstr("jwtauth_jwks_fetch_total{url=\"http://127.0.0.1"));
}

// Information exposure: ListKeys (gRPC port) shows neither secret locations nor
// HMAC secret sizes.
TEST_F(InfoExposureAttack, ListKeysDoesNotRevealSecretLocationsOrHmacSizes) {
  ASSERT_NO_FATAL_FAILURE(Start(""));
  v1::ListKeysResponse r;
  ASSERT_TRUE(server_->ListKeys({}, &r).ok());
  ASSERT_EQ(r.keys_size(), 2);
  for (const v1::KeyInfo& k : r.keys()) {
    ExpectNoSecrets(k.source());
    EXPECT_FALSE(k.source().empty());
    EXPECT_EQ(k.kty(), "oct");
    EXPECT_EQ(k.bits(), 0) << k.kid();
  }
  ExpectNoSecrets(r.DebugString());
}

// Information exposure: the detail is still there for operators who opt in
// (server.admin_verbose), e.g. on an admin port only they can reach.
TEST_F(InfoExposureAttack, AdminVerboseShowsDetailOnlyWhenEnabled) {
  ASSERT_NO_FATAL_FAILURE(Start(", admin_verbose: true"));
  const std::string body = Get("/readyz");
  EXPECT_THAT(body, HasSubstr(kSecretDir));
  EXPECT_THAT(body, HasSubstr(kEnvName));
  EXPECT_THAT(body, HasSubstr(kQuerySecret));
  // Metrics are stored by scrapers for a long time: never verbose.
  EXPECT_THAT(Get("/metrics"), Not(HasSubstr(kQuerySecret)));
}

}  // namespace
}  // namespace jwtauth::testing
