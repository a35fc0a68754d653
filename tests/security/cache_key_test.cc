// Attack suite: verification-cache key collision (CWE-436). The cache key was
// the raw request framed as `token NUL len(provider) provider len(audience)
// audience`, with the bare token for empty options, looked up before the token
// was parsed: a caller sending `T\0<framing>api://other` with empty options got
// the cached result of Verify(T, audience=api://other). Reachable through
// Verify.token, IssueToken.subject_token and an ext_authz query token source
// (%00 decoded). Fixed by refusing every token byte outside the compact-JWS
// alphabet before the lookup and a length-prefixed key
// (core/verification_cache.cc KeyFor).

#include <cctype>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/security/security_server.h"
#include "tests/testutil/test_keys.h"

namespace jwtauth::testing {
namespace {

using ::jwtauth::testutil::GenerateTestKey;
using ::jwtauth::testutil::SignJws;
using ::jwtauth::testutil::TestKey;

class CacheKeyAttackTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto pem = key_.private_key.PublicPem();
    ASSERT_TRUE(pem.ok()) << pem.status();
    auto s = SecurityServer::Start(R"(
providers:
  - name: p
    issuers: [https://iss.test]
    audiences: [api]
    keys: [{kid: k1, alg: ES256, public_key_file: "{dir}/k1.pem"}]
ext_authz:
  token_sources: [{query: access_token}]
)",
                                   {{"k1.pem", *pem}});
    ASSERT_TRUE(s.ok()) << s.status();
    server_ = *std::move(s);
    const int64_t now = absl::ToUnixSeconds(absl::Now());
    // A token for ANOTHER audience: Verify(token) must refuse it, only
    // Verify(token, audience=api://other) accepts it.
    token_ = SignJws(key_, nlohmann::json{{"iss", "https://iss.test"},
                                          {"sub", "alice"},
                                          {"aud", "api://other"},
                                          {"exp", now + 600}}
                               .dump());
  }

  // The pre-fix framing of VerifyOptions{audience} after the token.
  static std::string OldFraming(const std::string& audience) {
    std::string f(1, '\0');  // NUL after the token
    f.append(4, '\0');       // len(provider) = 0
    f.push_back(static_cast<char>(audience.size()));
    f.append(3, '\0');  // len(audience), little-endian
    return f + audience;
  }

  TestKey key_ = GenerateTestKey(Algorithm::kEs256, "k1");
  std::unique_ptr<SecurityServer> server_;
  std::string token_;
};

// CWE-436: the cache-key collision exploit through
// jwtauth.v1.AuthService/Verify.
TEST_F(CacheKeyAttackTest, VerifyFramedTokenDoesNotHitAnotherRequestsEntry) {
  ASSERT_FALSE(server_->Verify(token_).valid());  // aud is not "api"
  v1::VerifyResponse good = server_->Verify(token_, "api://other");
  ASSERT_TRUE(good.valid()) << good.detail();  // now cached
  v1::VerifyResponse attack =
      server_->Verify(token_ + OldFraming("api://other"));
  EXPECT_FALSE(attack.valid());
  EXPECT_EQ(attack.reason(), v1::MALFORMED) << attack.detail();
}

// The cache-key collision through the ext_authz query token source: %00 is
// decoded.
TEST_F(CacheKeyAttackTest, ExtAuthzQueryTokenWithEncodedFramingIsRefused) {
  ASSERT_TRUE(server_->Verify(token_, "api://other").valid());  // cached
  std::string encoded;
  for (unsigned char c : OldFraming("api://other")) {
    if (std::isalnum(c)) {
      encoded.push_back(static_cast<char>(c));
    } else {
      absl::StrAppend(&encoded, "%", absl::Hex(c, absl::kZeroPad2));
    }
  }
  envoy::service::auth::v3::CheckRequest req;
  auto* http = req.mutable_attributes()->mutable_request()->mutable_http();
  http->set_method("GET");
  http->set_host("svc.test");
  http->set_path(absl::StrCat("/x?access_token=", token_, encoded));
  envoy::service::auth::v3::CheckResponse resp;
  ASSERT_TRUE(server_->Check(req, &resp).ok());
  EXPECT_NE(resp.status().code(), 0) << "framed query token was allowed";
  EXPECT_TRUE(resp.has_denied_response());
}

// Every non-alphabet byte is refused as MALFORMED before any lookup, also
// after `Bearer `.
TEST_F(CacheKeyAttackTest, EveryByteOutsideTheCompactJwsAlphabetIsMalformed) {
  ASSERT_TRUE(server_->Verify(token_, "api://other").valid());
  int checked = 0;
  for (int c = 1; c < 128; ++c) {  // ASCII: proto3 strings are UTF-8
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.') continue;
    for (const std::string& t :
         {token_ + static_cast<char>(c),
          std::string(1, static_cast<char>(c)) + token_,
          absl::StrCat("Bearer ", token_,
                       std::string(1, static_cast<char>(c)))}) {
      if (t.back() == ' ') continue;  // "…T " is trailing whitespace only
      v1::VerifyResponse r = server_->Verify(t, "api://other");
      EXPECT_FALSE(r.valid()) << "byte " << c;
      ++checked;
    }
  }
  v1::VerifyResponse nul =
      server_->Verify(token_ + std::string(1, '\0'), "api://other");
  EXPECT_EQ(nul.reason(), v1::MALFORMED);
  EXPECT_GT(checked, 150);
  // Control: the clean token with Bearer still verifies.
  EXPECT_TRUE(server_->Verify("Bearer " + token_, "api://other").valid());
}

// CWE-436, IssueToken.subject_token: with exchange enabled, a subject token
// carrying the framing of an earlier cached Verify must not be taken from
// the cache (exchange verifies with VerifyOptions.provider set, so the old
// framing to collide with is that of {provider}).
TEST(CacheKeyExchangeAttack, FramedSubjectTokenIsMalformedNotCached) {
  TestKey key = GenerateTestKey(Algorithm::kEs256, "k1");
  auto pem = key.private_key.PublicPem();
  ASSERT_TRUE(pem.ok()) << pem.status();
  auto s = SecurityServer::Start(R"(
signing: {ephemeral: true, ephemeral_alg: ES256, ephemeral_kid: own-1, issuer: https://auth.test}
providers:
  - name: own
    issuers: [https://auth.test]
    audiences: [api://gateway]
  - name: p
    issuers: [https://iss.test]
    audiences: [api]
    keys: [{kid: k1, alg: ES256, public_key_file: "{dir}/k1.pem"}]
issue:
  exchange: {enabled: true, allowed_providers: [p], allowed_audiences: [api://orders]}
)",
                                 {{"k1.pem", *pem}});
  ASSERT_TRUE(s.ok()) << s.status();
  const int64_t now = absl::ToUnixSeconds(absl::Now());
  const std::string token =
      SignJws(key, nlohmann::json{{"iss", "https://iss.test"},
                                  {"sub", "alice"},
                                  {"aud", "api"},
                                  {"exp", now + 600}}
                       .dump());
  // Fill the cache with the provider-scoped entry exchange itself uses.
  ASSERT_TRUE((*s)->Verify(token, "", "p").valid());
  std::string framed = token + std::string(1, '\0');
  framed.push_back(1);  // len("p") = 1, little-endian
  framed.append(3, '\0');
  framed += "p";
  framed.append(4, '\0');  // len(audience) = 0
  v1::IssueTokenRequest req;
  req.set_subject_token(framed);
  req.add_audiences("api://orders");
  v1::IssueTokenResponse resp;
  grpc::Status st = (*s)->IssueToken(req, &resp);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::PERMISSION_DENIED)
      << "issued: " << resp.token();
  EXPECT_NE(st.error_message().find("MALFORMED"), std::string::npos)
      << st.error_message();
  // Control: the clean subject token is exchanged.
  req.set_subject_token(token);
  st = (*s)->IssueToken(req, &resp);
  EXPECT_TRUE(st.ok()) << st.error_message();
}

}  // namespace
}  // namespace jwtauth::testing
