#include "core/jwks_source.h"

#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/testutil/jwks_http_server.h"
#include "tests/testutil/status_matchers.h"

namespace jwtauth {
namespace {

using ::jwtauth::testutil::IsOk;
using ::jwtauth::testutil::IsOkAndHolds;
using ::jwtauth::testutil::JwksHttpServer;
using ::jwtauth::testutil::StatusIs;
using ::testing::HasSubstr;

TEST(JwksSourceTest, IdAndDiscoveryUrlNameEachForm) {
  JwksSourceConfig jwks;
  jwks.url = "https://idp.test/keys";
  EXPECT_EQ(JwksSourceId(jwks), "jwks:https://idp.test/keys");
  EXPECT_EQ(DiscoveryUrl(jwks), "");

  JwksSourceConfig explicit_doc;
  explicit_doc.discovery_url = "https://idp.test/openid";
  EXPECT_EQ(DiscoveryUrl(explicit_doc), "https://idp.test/openid");
  EXPECT_EQ(JwksSourceId(explicit_doc), "oidc:https://idp.test/openid");

  JwksSourceConfig discover;
  discover.discover = true;
  discover.issuer = "https://idp.test/tenant/";  // one trailing slash dropped
  EXPECT_EQ(DiscoveryUrl(discover),
            "https://idp.test/tenant/.well-known/openid-configuration");
  discover.issuer = "";
  EXPECT_EQ(DiscoveryUrl(discover), "");
}

class DiscoverJwksUriTest : public testing::Test {
 protected:
  void SetUp() override {
    server_ = JwksHttpServer::Start();
    ASSERT_NE(server_, nullptr);
    source_.provider = "p";
    source_.discovery_url = server_->Url("/openid");
    source_.issuer = "https://idp.test";
  }

  void Serve(const nlohmann::json& doc, int status = 200) {
    server_->SetReply("/openid", {.status = status, .body = doc.dump()});
  }

  absl::StatusOr<std::string> Discover() {
    return DiscoverJwksUri(fetcher_, source_, &cancel_);
  }

  std::unique_ptr<JwksHttpServer> server_;
  CurlJwksFetcher fetcher_;
  std::atomic<bool> cancel_{false};
  JwksSourceConfig source_;
};

TEST_F(DiscoverJwksUriTest, ReturnsJwksUriOfMatchingIssuer) {
  Serve({{"issuer", "https://idp.test"}, {"jwks_uri", server_->Url("/keys")}});
  EXPECT_THAT(Discover(), IsOkAndHolds(server_->Url("/keys")));
}

TEST_F(DiscoverJwksUriTest, EachFailureHasItsOwnCode) {
  Serve({{"issuer", "https://idp.test"}, {"jwks_uri", server_->Url("/k")}},
        503);
  EXPECT_THAT(Discover(), StatusIs(absl::StatusCode::kUnavailable));

  server_->SetReply("/openid", {.body = "[1, 2]"});  // not an object
  EXPECT_THAT(Discover(), StatusIs(absl::StatusCode::kInvalidArgument));

  Serve({{"issuer", "https://idp.test/"}, {"jwks_uri", server_->Url("/k")}});
  EXPECT_THAT(Discover(), StatusIs(absl::StatusCode::kFailedPrecondition));

  Serve({{"issuer", 7}, {"jwks_uri", server_->Url("/k")}});
  EXPECT_THAT(Discover(), StatusIs(absl::StatusCode::kFailedPrecondition));

  Serve({{"issuer", "https://idp.test"}});
  auto missing = Discover();
  EXPECT_THAT(missing, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(missing.status().message(), HasSubstr("jwks_uri missing"));

  Serve({{"issuer", "https://idp.test"},
         {"jwks_uri", "http://idp.example.invalid/keys"}});
  auto insecure = Discover();
  EXPECT_THAT(insecure, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(insecure.status().message(), HasSubstr("jwks_uri refused"));
}

TEST_F(DiscoverJwksUriTest, FetchErrorKeepsItsCodeAndNamesDiscovery) {
  Serve({{"issuer", "https://idp.test"}, {"jwks_uri", server_->Url("/keys")}});
  cancel_.store(true);
  auto cancelled = Discover();
  EXPECT_THAT(cancelled, StatusIs(absl::StatusCode::kCancelled));
  EXPECT_THAT(cancelled.status().message(), HasSubstr("discovery: "));
}

}  // namespace
}  // namespace jwtauth
