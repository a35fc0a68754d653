// Attack family: one provider trusts several issuers, and one issuer's key
// signs tokens that claim another issuer (RFC 8725 §3.8:
// "validate the issuer ... and that the cryptographic keys used for the
// cryptographic operations in the JWT belong to the issuer").
//
// Every case runs through the production wiring (config YAML → Application →
// AuthService) on a real gRPC server on 127.0.0.1; JWKS come from a real
// loopback HTTP server.

#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/security/security_server.h"
#include "tests/testutil/jwks_http_server.h"
#include "tests/testutil/test_keys.h"

namespace jwtauth {
namespace {

using ::jwtauth::testing::SecurityServer;
using ::jwtauth::testing::SecurityServerOptions;
using ::jwtauth::testutil::GenerateTestKey;
using ::jwtauth::testutil::SignJws;
using ::jwtauth::testutil::TestKey;
using ::testing::ContainsRegex;
using ::testing::HasSubstr;
using ::testing::Not;
using json = nlohmann::json;

constexpr char kIssA[] = "https://a.example";
constexpr char kIssB[] = "https://b.example";
constexpr char kIssC[] = "https://c.example";

std::string Claims(absl::string_view iss) {
  const int64_t now = absl::ToUnixSeconds(absl::Now());
  return json{{"iss", iss},
              {"aud", "api"},
              {"sub", "alice"},
              {"iat", now},
              {"exp", now + 300}}
      .dump();
}

// A public JWK as a single-quoted YAML scalar (JSON has no single quotes).
std::string JwkYaml(const TestKey& k) {
  return absl::StrCat("'", k.key.ToPublicJwk()->dump(), "'");
}

class IssuerBindingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    jwks_server_ = testutil::JwksHttpServer::Start();
    ASSERT_NE(jwks_server_, nullptr);
    json jwks = {{"keys", json::array({*kc_.key.ToPublicJwk(),
                                       *kc_nokid_.key.ToPublicJwk()})}};
    jwks_server_->SetReply("/jwks", {.body = jwks.dump()});
    std::string config = absl::StrReplaceAll(
        R"(providers:
  - name: multi
    issuers: [ISS_A, ISS_B, ISS_C]
    audiences: [api]
    keys:
      - {jwk: JWK_A, issuer: ISS_A}
      - {jwk: JWK_B, issuer: ISS_B}
      - {jwk: JWK_B_NOKID, issuer: ISS_B}
      - {jwk: JWK_U}
    jwks_urls:
      - {url: "JWKS_URL", issuer: ISS_C}
)",
        {{"ISS_A", kIssA},
         {"ISS_B", kIssB},
         {"ISS_C", kIssC},
         {"JWK_A", JwkYaml(ka_)},
         {"JWK_B_NOKID", JwkYaml(kb_nokid_)},
         {"JWK_B", JwkYaml(kb_)},
         {"JWK_U", JwkYaml(ku_)},
         {"JWKS_URL", jwks_server_->Url("/jwks")}});
    auto s = SecurityServer::Start(
        config, {}, SecurityServerOptions{.start_refresher = false});
    ASSERT_TRUE(s.ok()) << s.status();
    server_ = *std::move(s);
    server_->app().RefreshJwksOnce();
  }

  bool Accepted(const TestKey& key, absl::string_view iss,
                absl::string_view provider = "") {
    v1::VerifyResponse r =
        server_->Verify(SignJws(key, Claims(iss)), "", provider);
    return r.valid();
  }

  TestKey ka_ = GenerateTestKey(Algorithm::kEs256, "kA");
  TestKey kb_ = GenerateTestKey(Algorithm::kEs256, "kB");
  TestKey kb_nokid_ = GenerateTestKey(Algorithm::kEdDsa, "");
  TestKey ku_ = GenerateTestKey(Algorithm::kEs256, "kU");
  TestKey kc_ = GenerateTestKey(Algorithm::kEs256, "kC");
  TestKey kc_nokid_ = GenerateTestKey(Algorithm::kEs384, "");
  std::unique_ptr<testutil::JwksHttpServer> jwks_server_;
  std::unique_ptr<SecurityServer> server_;
};

// Issuer binding: B's key must not sign tokens claiming iss A.
TEST_F(IssuerBindingTest, KeyOfIssuerBCannotSignForIssuerA) {
  v1::VerifyResponse r = server_->Verify(SignJws(kb_, Claims(kIssA)));
  EXPECT_FALSE(r.valid());
  EXPECT_EQ(r.reason(), v1::ISSUER_MISMATCH) << r.detail();
  EXPECT_FALSE(Accepted(kb_, kIssA, "multi"));  // provider named explicitly
  EXPECT_FALSE(Accepted(kb_, kIssC));
  EXPECT_FALSE(Accepted(ka_, kIssB));
  // Each key still verifies tokens of its own issuer.
  EXPECT_TRUE(Accepted(kb_, kIssB));
  EXPECT_TRUE(Accepted(kb_, kIssB, "multi"));
  EXPECT_TRUE(Accepted(ka_, kIssA));
}

// Issuer binding: the kid-less candidate loop honours the binding too.
TEST_F(IssuerBindingTest, KidlessKeyOfIssuerBCannotSignForIssuerA) {
  EXPECT_FALSE(Accepted(kb_nokid_, kIssA));
  EXPECT_FALSE(Accepted(kb_nokid_, kIssA, "multi"));
  EXPECT_TRUE(Accepted(kb_nokid_, kIssB));
  EXPECT_TRUE(Accepted(kb_nokid_, kIssB, "multi"));
}

// Issuer binding: keys from a JWKS URL with `issuer:` are bound, also after
// a refresh.
TEST_F(IssuerBindingTest, JwksUrlKeysAreBoundAcrossRefreshes) {
  for (int round = 0; round < 2; ++round) {
    EXPECT_TRUE(Accepted(kc_, kIssC)) << round;
    EXPECT_TRUE(Accepted(kc_nokid_, kIssC)) << round;
    EXPECT_FALSE(Accepted(kc_, kIssA)) << round;
    EXPECT_FALSE(Accepted(kc_nokid_, kIssB, "multi")) << round;
    server_->app().RefreshJwksOnce();
  }
  EXPECT_GE(jwks_server_->RequestCount("/jwks"), 2);
}

// Issuer binding: an unbound key keeps verifying every issuer of its
// provider (backwards compatible), and the operator is warned about it.
TEST_F(IssuerBindingTest, UnboundKeyKeepsWorkingAndIsWarnedAbout) {
  EXPECT_TRUE(Accepted(ku_, kIssA));
  EXPECT_TRUE(Accepted(ku_, kIssB));
  EXPECT_TRUE(Accepted(ku_, kIssC));
  const std::string logs = server_->logs();
  // One JSON line at warn level that names the provider (and nothing else
  // about it).
  EXPECT_THAT(logs,
              HasSubstr(R"("level":"warn","event":"config_warning",)"
                        R"("detail":"provider \"multi\" has several )"
                        R"(issuers and key sources not bound to an issuer)"));
}

// Issuer binding: `issuer:` must name one of the provider's issuers.
TEST(IssuerBindingConfigTest, IssuerOutsideTheProviderIsAConfigError) {
  TestKey k = GenerateTestKey(Algorithm::kEs256, "k");
  auto s = SecurityServer::Start(
      absl::StrCat(R"(providers:
  - name: p
    issuers: [https://a.example]
    audiences: [api]
    keys:
      - {jwk: )",
                   JwkYaml(k), R"(, issuer: "https://evil.example"}
)"));
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(std::string(s.status().message()),
              ContainsRegex(R"(config\.yaml:[0-9]+:[0-9]+: )"
                            R"(providers\[0\]\.keys\[0\]\.issuer: must be one )"
                            R"(of the provider's issuers)"));
}

// Issuer binding: the service's own signing key is bound to signing.issuer,
// even in a provider that lists further issuers.
TEST(IssuerBindingOwnKeyTest, OwnSigningKeyCannotSignForAnotherIssuer) {
  TestKey own = GenerateTestKey(Algorithm::kEs256, "own");
  const std::string config = absl::StrReplaceAll(
      R"(signing:
  issuer: ISS_A
  keys: [{kid: own, alg: ES256, private_key_file: "{dir}/own.pem", state: active}]
providers:
  - name: mixed
    issuers: [ISS_A, ISS_B]
    audiences: [api]
)",
      {{"ISS_A", kIssA}, {"ISS_B", kIssB}});
  auto s = SecurityServer::Start(config,
                                 {{"own.pem", *own.private_key.PrivatePem()}});
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_TRUE((*s)->Verify(SignJws(own, Claims(kIssA))).valid());
  v1::VerifyResponse r = (*s)->Verify(SignJws(own, Claims(kIssB)));
  EXPECT_FALSE(r.valid());
  EXPECT_EQ(r.reason(), v1::ISSUER_MISMATCH) << r.detail();
  // Only bound keys: no warning.
  EXPECT_THAT((*s)->logs(), Not(HasSubstr("not bound to an issuer")));
}

}  // namespace
}  // namespace jwtauth
