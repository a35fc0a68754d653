// ListKeysFetcher against the production AuthService (TestServer): a
// refresher source URL becomes ListKeys(provider), whose JWKS imports with
// the core importer; RPC errors and foreign URLs are fetch errors.

#include "client/list_keys_fetcher.h"

#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "core/algorithm.h"
#include "core/jwk.h"
#include "gmock/gmock.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "gtest/gtest.h"
#include "tests/testutil/status_matchers.h"
#include "tests/testutil/test_keys.h"
#include "tests/testutil/test_server.h"

namespace jwtauth::client {
namespace {

using ::jwtauth::testutil::IsOk;
using ::jwtauth::testutil::StatusIs;

class ListKeysFetcherTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const testutil::TestKey& rs = testutil::CachedTestKey(Algorithm::kRs256);
    auto pem = rs.private_key.PublicPem();
    ASSERT_THAT(pem, IsOk());
    auto server = testutil::TestServer::Start(
        R"(
providers:
  - name: default
    issuers: [https://issuer.test]
    audiences: [api]
    keys:
      - {kid: test-rs256, alg: RS256, public_key_file: "{dir}/rs.pem"}
      - {kid: hs, alg: HS256, secret_file: "{dir}/hs.txt"}
)",
        {{"rs.pem", *pem}, {"hs.txt", "0123456789abcdef0123456789abcdef"}},
        {.start_refresher = false});
    ASSERT_THAT(server, IsOk());
    server_ = *std::move(server);
    client_ = std::make_unique<Client>(grpc::CreateChannel(
        server_->target(), grpc::InsecureChannelCredentials()));
  }

  std::unique_ptr<testutil::TestServer> server_;
  std::unique_ptr<Client> client_;
};

TEST_F(ListKeysFetcherTest, SourceUrlFetchesTheProvidersPublicKeys) {
  ListKeysFetcher fetcher(client_.get(), {"nobody", "default"});
  absl::StatusOr<FetchResponse> r = fetcher.Fetch({.url = ListKeysUrl(1)});
  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(r->status, 200);
  EXPECT_TRUE(r->headers.empty());  // the refresher's default interval rules
  auto imported = ImportJwks(r->body, {});
  ASSERT_THAT(imported, IsOk());
  ASSERT_EQ(imported->keys.size(), 1u);  // the HMAC secret is never exported
  EXPECT_EQ(imported->keys[0].kid(), "test-rs256");
}

TEST_F(ListKeysFetcherTest, RpcErrorIsTheFetchError) {
  ListKeysFetcher fetcher(client_.get(), {"nobody"});
  EXPECT_THAT(fetcher.Fetch({.url = ListKeysUrl(0)}),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_F(ListKeysFetcherTest, OnlyItsOwnSourceUrlsAreFetched) {
  ListKeysFetcher fetcher(client_.get(), {"default"});
  for (const std::string& url :
       {ListKeysUrl(1), std::string("https://idp.test/jwks.json"),
        absl::StrCat(ListKeysUrl(0), "x"), std::string("")}) {
    EXPECT_THAT(fetcher.Fetch({.url = url}),
                StatusIs(absl::StatusCode::kInvalidArgument))
        << url;
  }
}

TEST_F(ListKeysFetcherTest, SourceUrlPassesTheRefresherUrlRules) {
  EXPECT_THAT(ValidateFetchUrl(ListKeysUrl(0), /*allow_insecure=*/false),
              IsOk());
}

}  // namespace
}  // namespace jwtauth::client
