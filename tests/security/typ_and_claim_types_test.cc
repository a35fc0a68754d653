// Registered claim types and explicit typing, through the production path
// (gRPC Verify):
//  - RFC 7519 §4.1.1-4.1.3: iss and sub are strings, aud a string or an
//    array of strings; any other type is CLAIM_INVALID, never accepted.
//  - RFC 8725 §3.11 (explicit typing): a provider accepts only the "typ"
//    values in allowed_typ (default JWT and at+jwt, case-insensitive, with
//    or without "application/") or no typ; a DPoP proof, a security event
//    or a logout token signed by the same key is not an access token.

#include <memory>
#include <string>

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
using json = nlohmann::json;

class TypAndClaimTypesTest : public ::testing::Test {
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
  - name: events
    issuers: [https://events.test]
    audiences: [api]
    allowed_typ: [secevent+jwt]
    require_typ: true
    keys: [{kid: k1, alg: ES256, public_key_file: "{dir}/k1.pem"}]
)",
                                   {{"k1.pem", *pem}});
    ASSERT_TRUE(s.ok()) << s.status();
    server_ = *std::move(s);
  }
  json Claims(const char* iss = "https://iss.test") const {
    const int64_t now = absl::ToUnixSeconds(absl::Now());
    return {{"iss", iss}, {"sub", "alice"}, {"aud", "api"}, {"exp", now + 600}};
  }
  v1::VerifyResponse VerifyTyp(const json& typ,
                               const char* iss = "https://iss.test") {
    json header = json::object();
    if (!typ.is_null()) header["typ"] = typ;
    return server_->Verify(SignJws(key_, Claims(iss).dump(), header));
  }
  v1::VerifyResponse VerifyClaim(const char* name, const json& value) {
    json c = Claims();
    c[name] = value;
    return server_->Verify(SignJws(key_, c.dump()));
  }

  TestKey key_ = GenerateTestKey(Algorithm::kEs256, "k1");
  std::unique_ptr<SecurityServer> server_;
};

// RFC 8725 §3.11: a DPoP proof (RFC 9449) is not an access token.
TEST_F(TypAndClaimTypesTest, DpopProofIsHeaderRejected) {
  v1::VerifyResponse r = VerifyTyp("dpop+jwt");
  EXPECT_FALSE(r.valid());
  EXPECT_EQ(r.reason(), v1::HEADER_REJECTED) << r.detail();
}

// RFC 8725 §3.11 / RFC 8417: a security event token is not an access token.
TEST_F(TypAndClaimTypesTest, SecurityEventTokenIsHeaderRejected) {
  EXPECT_EQ(VerifyTyp("secevent+jwt").reason(), v1::HEADER_REJECTED);
  EXPECT_EQ(VerifyTyp("application/secevent+jwt").reason(),
            v1::HEADER_REJECTED);
}

// RFC 8725 §3.11 / OIDC back-channel logout: a logout token is not an access
// token.
TEST_F(TypAndClaimTypesTest, LogoutTokenIsHeaderRejected) {
  EXPECT_EQ(VerifyTyp("logout+jwt").reason(), v1::HEADER_REJECTED);
}

// RFC 8725 §3.11: an empty or unknown typ is refused, not ignored.
TEST_F(TypAndClaimTypesTest, EmptyAndUnknownTypAreHeaderRejected) {
  EXPECT_EQ(VerifyTyp("").reason(), v1::HEADER_REJECTED);
  EXPECT_EQ(VerifyTyp("id_token+jwt").reason(), v1::HEADER_REJECTED);
  EXPECT_EQ(VerifyTyp("JWS").reason(), v1::HEADER_REJECTED);
}

// RFC 7515 §4.1.9: typ is case-insensitive and "application/" may be
// omitted; JWT and at+jwt (RFC 9068) are accepted by default, as is no typ.
TEST_F(TypAndClaimTypesTest, AccessTokenTypesAreAcceptedInEveryForm) {
  for (const json& typ :
       {json(nullptr), json("JWT"), json("jwt"), json("application/JWT"),
        json("at+jwt"), json("application/AT+JWT")}) {
    v1::VerifyResponse r = VerifyTyp(typ);
    EXPECT_TRUE(r.valid()) << typ.dump() << ": " << r.detail();
  }
}

// allowed_typ is per provider: a provider for security events accepts
// exactly its type, and require_typ refuses tokens without one.
TEST_F(TypAndClaimTypesTest, PerProviderAllowedTypAndRequireTyp) {
  EXPECT_TRUE(VerifyTyp("secevent+jwt", "https://events.test").valid());
  EXPECT_EQ(VerifyTyp("JWT", "https://events.test").reason(),
            v1::HEADER_REJECTED);
  EXPECT_EQ(VerifyTyp(nullptr, "https://events.test").reason(),
            v1::HEADER_REJECTED);
}

// RFC 7519 §4.1.2: sub is a StringOrURI. A numeric/array/object/null sub
// must not be accepted (a service comparing sub as text would be fooled).
TEST_F(TypAndClaimTypesTest, NonStringSubIsClaimInvalid) {
  for (const json& v :
       {json(12345), json(json::array({"alice"})),
        json(json::object({{"id", "alice"}})), json(nullptr), json(true)}) {
    v1::VerifyResponse r = VerifyClaim("sub", v);
    EXPECT_FALSE(r.valid()) << v.dump();
    EXPECT_EQ(r.reason(), v1::CLAIM_INVALID) << v.dump() << ": " << r.detail();
  }
}

// RFC 7519 §4.1.1: iss is a StringOrURI.
TEST_F(TypAndClaimTypesTest, NonStringIssIsClaimInvalid) {
  for (const json& v : {json(1), json(json::array({"https://iss.test"}))}) {
    v1::VerifyResponse r = VerifyClaim("iss", v);
    EXPECT_FALSE(r.valid()) << v.dump();
    EXPECT_EQ(r.reason(), v1::CLAIM_INVALID) << v.dump();
  }
}

// RFC 7519 §4.1.3: aud is a string or an array of strings.
TEST_F(TypAndClaimTypesTest, AudOfWrongTypeIsClaimInvalid) {
  for (const json& v : {json(7), json(json::array({"api", 7})),
                        json(json::object({{"aud", "api"}})), json(true)}) {
    v1::VerifyResponse r = VerifyClaim("aud", v);
    EXPECT_FALSE(r.valid()) << v.dump();
    EXPECT_EQ(r.reason(), v1::CLAIM_INVALID) << v.dump();
  }
  EXPECT_TRUE(VerifyClaim("aud", json::array({"other", "api"})).valid());
}

}  // namespace
}  // namespace jwtauth::testing
