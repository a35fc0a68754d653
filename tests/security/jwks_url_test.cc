// Attack suite: keys fetched from JWKS URLs. Whoever controls the content at
// a JWKS URL (or can redirect its fetch) must not get weaker keys, secrets or
// internal-network reads past the rules that apply to configured keys.

#include <memory>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "core/base64url.h"
#include "core/crypto/key_material.h"
#include "core/crypto/signature_verifier.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/core/crypto/fixed_keys.h"
#include "tests/security/security_server.h"
#include "tests/testutil/jwks_http_server.h"
#include "tests/testutil/test_keys.h"

namespace jwtauth::testing {
namespace {

using ::jwtauth::testutil::CachedTestKey;
using ::jwtauth::testutil::HttpReply;
using ::jwtauth::testutil::JwksHttpServer;
using ::jwtauth::testutil::SignJws;
using ::jwtauth::testutil::TestKey;
using ::testing::HasSubstr;

// A StatusOr that failed with `code` whose message contains `text`.
MATCHER_P2(StatusWith, code, text, "") {
  const absl::Status& s = arg.status();
  *result_listener << "status is " << s;
  return s.code() == code && absl::StrContains(s.message(), text);
}

using ::testing::Not;
using json = nlohmann::json;

std::string Payload() {
  return absl::StrCat(
      R"({"iss":"https://iss.test","aud":"api","sub":"alice","exp":)",
      absl::ToUnixSeconds(absl::Now()) + 600, "}");
}

json PublicJwk(const TestKey& k) {
  auto j = k.key.ToPublicJwk();
  EXPECT_TRUE(j.ok()) << j.status();
  return j.ok() ? *j : json::object();
}

// One provider with one JWKS URL entry; `entry_extra` adds fields to it,
// `top_extra` adds top-level sections (limits).
// admin_verbose: the readiness report then carries the refresher's full
// last_error, the text the tests check for leaks (without it the report
// only says "fetch failed").
std::string Config(const std::string& url, const std::string& entry_extra = "",
                   const std::string& top_extra = "") {
  return absl::StrCat(top_extra, R"(
server: {listen: "127.0.0.1:0", admin_listen: "", admin_verbose: true}
providers:
  - name: p
    issuers: [https://iss.test]
    audiences: [api]
    jwks_urls:
      - {url: ")",
                      url, R"(", timeout: 2s)", entry_extra, R"(}
)");
}

absl::StatusOr<std::unique_ptr<SecurityServer>> StartAndFetch(
    const std::string& config) {
  auto s = SecurityServer::Start(config, {}, {.start_refresher = false});
  if (s.ok()) (*s)->app().RefreshJwksOnce();
  return s;
}

// The single JWKS source's readiness entry.
server::SourceReadiness Source(SecurityServer& s) {
  for (const auto& p : s.app().Readiness().providers) {
    for (const auto& src : p.sources) {
      if (absl::StartsWith(src.source_id, "jwks:")) return src;
    }
  }
  ADD_FAILURE() << "no JWKS source";
  return {};
}

class JwksUrlAttack : public ::testing::Test {
 protected:
  void SetUp() override {
    idp_ = JwksHttpServer::Start();
    ASSERT_NE(idp_, nullptr);
  }
  void Serve(const json& keys) {
    idp_->SetReply("/jwks", {.body = json{{"keys", keys}}.dump()});
  }
  std::unique_ptr<JwksHttpServer> idp_;
};

// JWKS key strength: a JWKS key below the configured limits.min_rsa_bits is
// skipped (RFC 8725 §3.5 key strength); the rest of the set still loads.
TEST_F(JwksUrlAttack, RsaKeyBelowConfiguredMinRsaBitsIsNotLoaded) {
  const TestKey& rsa = CachedTestKey(Algorithm::kRs256);  // 2048 bits
  const TestKey& ec = CachedTestKey(Algorithm::kEs256);
  Serve(json::array({PublicJwk(rsa), PublicJwk(ec)}));
  auto s = StartAndFetch(
      Config(idp_->Url("/jwks"), "", "limits: {min_rsa_bits: 3072}\n"));
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_FALSE((*s)->Verify(SignJws(rsa, Payload())).valid());
  EXPECT_TRUE((*s)->Verify(SignJws(ec, Payload())).valid());
  EXPECT_EQ(Source(**s).key_count, 1u);
}

// JWKS key strength (classic weak RSA): a 1024-bit JWKS key never loads.
TEST_F(JwksUrlAttack, Rsa1024JwksKeyIsNotLoaded) {
  crypto::KeyStrengthPolicy lax;
  lax.min_rsa_bits = 1024;
  auto weak = crypto::KeyMaterial::FromPem(testutil::fixed::kRsa1024Spki, lax);
  ASSERT_TRUE(weak.ok()) << weak.status();
  auto c = weak->RsaPublic();
  ASSERT_TRUE(c.ok());
  const TestKey& ec = CachedTestKey(Algorithm::kEs256);
  Serve(json::array({json{{"kty", "RSA"},
                          {"kid", "weak"},
                          {"alg", "RS256"},
                          {"n", Base64UrlEncode(c->n)},
                          {"e", Base64UrlEncode(c->e)}},
                     PublicJwk(ec)}));
  auto s = StartAndFetch(
      Config(idp_->Url("/jwks"), "", "limits: {min_rsa_bits: 2048}\n"));
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(Source(**s).key_count, 1u);
  EXPECT_TRUE((*s)->Verify(SignJws(ec, Payload())).valid());
}

// No oct keys from a URL: a JWKS URL publishes public keys; an oct-only
// document (a secret served over HTTP, or an attacker turning the URL into an
// HMAC key) loads nothing, and a token MACed with that "secret" never verifies.
TEST_F(JwksUrlAttack, OctOnlyJwksLoadsNoSecrets) {
  const TestKey& hs = CachedTestKey(Algorithm::kHs256);
  const std::string secret(32, 's');
  Serve(json::array({json{{"kty", "oct"},
                          {"kid", hs.kid},
                          {"alg", "HS256"},
                          {"k", Base64UrlEncode(secret)}}}));
  auto s = StartAndFetch(Config(idp_->Url("/jwks")));
  ASSERT_TRUE(s.ok()) << s.status();
  auto hmac = crypto::KeyMaterial::FromSecret(secret);
  ASSERT_TRUE(hmac.ok());
  auto signer = crypto::NewSigner(Algorithm::kHs256, *hmac);
  ASSERT_TRUE(signer.ok());
  const std::string forged = testutil::SignJwsWithHeader(
      **signer, absl::StrCat(R"({"alg":"HS256","kid":")", hs.kid, R"("})"),
      Payload());
  EXPECT_FALSE((*s)->Verify(forged).valid());
  const server::SourceReadiness src = Source(**s);
  EXPECT_FALSE(src.loaded);
  EXPECT_EQ(src.key_count, 0u);
  EXPECT_THAT(src.last_error, HasSubstr("no usable keys"));
}

// Through a JWKS URL: a small-order Ed25519 key (the
// identity) in a fetched set is skipped, and the universal forgery R =
// identity, S = 0 does not verify.
TEST_F(JwksUrlAttack, SmallOrderEd25519JwksKeyIsSkippedAndForgeryFails) {
  const std::string identity = std::string(1, '\x01') + std::string(31, '\0');
  const TestKey& ec = CachedTestKey(Algorithm::kEs256);
  Serve(json::array({json{{"kty", "OKP"},
                          {"crv", "Ed25519"},
                          {"kid", "evil"},
                          {"alg", "EdDSA"},
                          {"x", Base64UrlEncode(identity)}},
                     PublicJwk(ec)}));
  auto s = StartAndFetch(Config(idp_->Url("/jwks")));
  ASSERT_TRUE(s.ok()) << s.status();
  const std::string forged =
      absl::StrCat(Base64UrlEncode(R"({"alg":"EdDSA","kid":"evil"})"), ".",
                   Base64UrlEncode(Payload()), ".",
                   Base64UrlEncode(identity + std::string(32, '\0')));
  EXPECT_FALSE((*s)->Verify(forged).valid());
  EXPECT_EQ(Source(**s).key_count, 1u);
  EXPECT_TRUE((*s)->Verify(SignJws(ec, Payload())).valid());
}

// SSRF via redirect: a redirect to another host:port is
// refused by default; the other host is never contacted and the error kept
// for /readyz names neither the target nor the body.
TEST_F(JwksUrlAttack, RedirectToAnotherHostIsRefusedWithoutNamingIt) {
  auto other = JwksHttpServer::Start();
  ASSERT_NE(other, nullptr);
  const TestKey& ec = CachedTestKey(Algorithm::kEs256);
  other->SetReply(
      "/internal-keys",
      {.body = json{{"keys", json::array({PublicJwk(ec)})}}.dump()});
  const std::string target = other->Url("/internal-keys");
  idp_->SetReply("/jwks", {.status = 302,
                           .body = "moved to the secret place",
                           .headers = {{"Location", target}}});
  auto s = StartAndFetch(Config(idp_->Url("/jwks")));
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(other->TotalRequests(), 0);
  EXPECT_FALSE((*s)->Verify(SignJws(ec, Payload())).valid());
  const server::SourceReadiness src = Source(**s);
  EXPECT_FALSE(src.loaded);
  EXPECT_THAT(src.last_error, HasSubstr("redirect to another host refused"));
  EXPECT_THAT(src.last_error, Not(HasSubstr(absl::StrCat(other->port()))));
  EXPECT_THAT(src.last_error, Not(HasSubstr("internal-keys")));
  EXPECT_THAT(src.last_error, Not(HasSubstr("secret place")));
  EXPECT_THAT((*s)->logs(), Not(HasSubstr("internal-keys")));
}

// JWKS redirects: redirect_hosts lets an operator allow a known CDN host.
TEST_F(JwksUrlAttack, RedirectToAnAllowlistedHostIsFollowed) {
  auto cdn = JwksHttpServer::Start();
  ASSERT_NE(cdn, nullptr);
  const TestKey& ec = CachedTestKey(Algorithm::kEs256);
  cdn->SetReply("/jwks",
                {.body = json{{"keys", json::array({PublicJwk(ec)})}}.dump()});
  idp_->SetReply("/jwks",
                 {.status = 302, .headers = {{"Location", cdn->Url("/jwks")}}});
  auto s = StartAndFetch(Config(
      idp_->Url("/jwks"),
      absl::StrCat(", redirect_hosts: [\"127.0.0.1:", cdn->port(), "\"]")));
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_TRUE((*s)->Verify(SignJws(ec, Payload())).valid());
}

// Metadata SSRF: a JWKS URL that points at a cloud metadata / link-local
// address is refused at config load, insecure or not.
TEST(JwksUrlConfigAttack, MetadataAddressUrlIsAConfigError) {
  for (const char* url : {"http://169.254.169.254/latest/meta-data/",
                          "https://169.254.10.20/jwks",
                          "http://metadata.google.internal/computeMetadata/v1/",
                          "http://[fd00:ec2::254]/latest/"}) {
    auto s = SecurityServer::Start(Config(url, ", allow_insecure: true"), {},
                                   {.start_refresher = false});
    EXPECT_THAT(s, StatusWith(absl::StatusCode::kInvalidArgument, ("metadata")))
        << url;
  }
}

// Metadata SSRF: redirect_hosts cannot open the metadata service either.
TEST(JwksUrlConfigAttack, MetadataRedirectHostIsAConfigError) {
  for (const char* host :
       {"169.254.169.254", "metadata.google.internal", "[fd00:ec2::254]:80"}) {
    auto s = SecurityServer::Start(
        Config("https://idp.example.com/jwks",
               absl::StrCat(", redirect_hosts: [\"", host, "\"]")),
        {}, {.start_refresher = false});
    EXPECT_THAT(s, StatusWith(absl::StatusCode::kInvalidArgument,
                              "redirect_hosts: a link-local or cloud metadata "
                              "address is never allowed"))
        << host;
  }
}

}  // namespace
}  // namespace jwtauth::testing
