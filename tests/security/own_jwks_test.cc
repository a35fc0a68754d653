// Attack suite: the service's own JWKS (/.well-known/jwks.json and
// ListKeys.jwks_json without a provider). Relying parties
// trust that document for the service's issuer, so it may hold only the
// service's own signing keys (next, active, retiring): a partner or IdP key
// in it would let that party mint tokens in the service's name.

#include <map>
#include <memory>
#include <set>
#include <string>

#include "absl/strings/str_cat.h"
#include "core/crypto/key_material.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/security/security_server.h"
#include "tests/testutil/test_keys.h"

namespace jwtauth::testing {
namespace {

using ::testing::UnorderedElementsAre;

std::string NewEcPem() {
  auto km = crypto::KeyMaterial::Generate(Algorithm::kEs256);
  EXPECT_TRUE(km.ok());
  return km.ok() ? *km->PrivatePem() : "";
}

std::set<std::string> Kids(const std::string& jwks_text) {
  nlohmann::json j = nlohmann::json::parse(jwks_text, nullptr, false);
  std::set<std::string> out;
  if (j.is_discarded() || !j.contains("keys")) return {"<not a JWKS>"};
  for (const auto& k : j["keys"]) out.insert(k.value("kid", "<no kid>"));
  return out;
}

// Provider "default" accepts the own issuer AND an IdP (as in the README
// example), with the IdP's key in the same provider as the signing keys;
// "partner" is a separate provider. An HS256 key is present too.
class OwnJwksTest : public ::testing::Test {
 protected:
  void SetUp() override {
    testutil::TestKey idp =
        testutil::GenerateTestKey(Algorithm::kEs256, "idp-1");
    testutil::TestKey partner =
        testutil::GenerateTestKey(Algorithm::kRs256, "partner-1");
    auto s = SecurityServer::Start(
        R"(
signing:
  issuer: https://auth.test
  keys:
    - {kid: own-next, alg: ES256, private_key_file: "{dir}/next.pem", state: next}
    - {kid: own-active, alg: ES256, private_key_file: "{dir}/active.pem", state: active}
    - {kid: own-old, alg: ES256, private_key_file: "{dir}/old.pem", state: retiring}
providers:
  - name: default
    issuers: [https://auth.test, https://idp.test]
    audiences: [api://orders]
    keys:
      - {kid: idp-1, alg: ES256, public_key_file: "{dir}/idp.pem"}
      - {kid: hs-1, alg: HS256, secret_file: "{dir}/hs.txt"}
  - name: partner
    issuers: [https://partner.test]
    audiences: [api://orders]
    keys: [{kid: partner-1, alg: RS256, public_key_file: "{dir}/partner.pem"}]
)",
        {{"next.pem", NewEcPem()},
         {"active.pem", NewEcPem()},
         {"old.pem", NewEcPem()},
         {"idp.pem", *idp.private_key.PublicPem()},
         {"partner.pem", *partner.private_key.PublicPem()},
         {"hs.txt", "0123456789abcdef0123456789abcdef"}});
    ASSERT_TRUE(s.ok()) << s.status();
    server_ = *std::move(s);
  }
  std::unique_ptr<SecurityServer> server_;
};

// Own JWKS: /.well-known/jwks.json (Application::PublicJwksJson, what
// the admin port serves) holds only the own signing keys.
TEST_F(OwnJwksTest, WellKnownJwksHoldsOnlyOwnSigningKeys) {
  EXPECT_THAT(Kids(server_->app().PublicJwksJson()),
              UnorderedElementsAre("own-next", "own-active", "own-old"));
}

// Own JWKS: ListKeys without a provider publishes the same own-only
// JWKS, while `keys` still describes every key (partner keys unpublished).
TEST_F(OwnJwksTest, ListKeysJwksHoldsOnlyOwnKeysButDescribesAll) {
  v1::ListKeysResponse resp;
  grpc::Status st = server_->ListKeys(v1::ListKeysRequest(), &resp);
  ASSERT_TRUE(st.ok()) << st.error_message();
  EXPECT_THAT(Kids(resp.jwks_json()),
              UnorderedElementsAre("own-next", "own-active", "own-old"));
  EXPECT_EQ(Kids(resp.jwks_json()), Kids(server_->app().PublicJwksJson()));
  std::map<std::string, bool> published;
  for (const v1::KeyInfo& k : resp.keys()) published[k.kid()] = k.published();
  EXPECT_FALSE(published.at("idp-1"));
  EXPECT_FALSE(published.at("partner-1"));
  EXPECT_FALSE(published.at("hs-1"));
  EXPECT_TRUE(published.at("own-active"));
  EXPECT_TRUE(published.at("own-next"));
  EXPECT_TRUE(published.at("own-old"));
}

// Own JWKS: ListKeys for one provider is that provider's trust set
// (diagnostics), never mixed with another provider's keys.
TEST_F(OwnJwksTest, ListKeysForAProviderListsOnlyThatProvider) {
  v1::ListKeysRequest req;
  req.set_provider("partner");
  v1::ListKeysResponse resp;
  ASSERT_TRUE(server_->ListKeys(req, &resp).ok());
  EXPECT_THAT(Kids(resp.jwks_json()), UnorderedElementsAre("partner-1"));
  for (const v1::KeyInfo& k : resp.keys()) EXPECT_EQ(k.provider(), "partner");
}

}  // namespace
}  // namespace jwtauth::testing
