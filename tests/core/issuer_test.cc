#include "core/issuer.h"

#include <set>
#include <string>

#include "core/base64url.h"
#include "core/jws.h"
#include "core/key_store.h"
#include "core/verifier.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/testutil/fake_clock.h"
#include "tests/testutil/status_matchers.h"
#include "tests/testutil/test_keys.h"

// Options structs are filled with designated initializers that leave the
// remaining members at their defaults; g++ -Wextra would flag each one.
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

namespace jwtauth {
namespace {

using ::jwtauth::testutil::CachedTestKey;
using ::jwtauth::testutil::FakeClock;
using ::jwtauth::testutil::IsOk;
using ::jwtauth::testutil::StatusIs;
using ::testing::HasSubstr;
using json = nlohmann::json;

constexpr char kIss[] = "https://auth.example";

IssuerOptions Options() {
  IssuerOptions o;
  o.issuer = kIss;
  return o;
}

class IssuerTest : public ::testing::Test {
 protected:
  std::unique_ptr<TokenIssuer> MakeIssuer(Algorithm alg,
                                          IssuerOptions o = Options()) {
    const auto& tk = CachedTestKey(alg);
    auto key = SigningKey::Create(alg, "primary-" + tk.kid, tk.private_key);
    EXPECT_THAT(key, IsOk());
    auto vk = key->VerificationKey(clock_.Now());
    EXPECT_THAT(vk, IsOk());
    store_.SetSourceKeys("default", key->source_id(), {*vk});
    auto issuer = TokenIssuer::Create(std::move(o), *key, &clock_);
    EXPECT_THAT(issuer, IsOk());
    return *std::move(issuer);
  }
  std::unique_ptr<TokenVerifier> MakeVerifier() {
    ProviderOptions p;
    p.name = "default";
    p.issuers = {kIss};
    p.audiences = {"api://a", "api://b"};
    auto v = TokenVerifier::Create(
        {.providers = {p}, .key_store = &store_, .clock = &clock_});
    EXPECT_THAT(v, IsOk());
    return *std::move(v);
  }
  FakeClock clock_;
  KeyStore store_;
};

class IssuerAlgTest : public IssuerTest,
                      public ::testing::WithParamInterface<Algorithm> {};

TEST_P(IssuerAlgTest, IssuedTokenVerifiesWithPublishedKey) {
  auto issuer = MakeIssuer(GetParam());
  auto t = issuer->Issue({.claims = {{"scope", "read"}},
                          .subject = "alice",
                          .audiences = {"api://a"},
                          .ttl = absl::Minutes(5)});
  ASSERT_THAT(t, IsOk());
  EXPECT_EQ(t->alg, GetParam());
  EXPECT_EQ(t->expires_at, clock_.Now() + absl::Minutes(5));
  VerifyResult r = MakeVerifier()->Verify(t->token);
  ASSERT_TRUE(r.ok()) << r.failure().detail;
  EXPECT_EQ(r->kid(), t->kid);
  EXPECT_EQ(r->claims()["iss"], kIss);
  EXPECT_EQ(r->claims()["sub"], "alice");
  EXPECT_EQ(r->claims()["scope"], "read");
  EXPECT_EQ(r->claims()["jti"], t->jti);
  EXPECT_EQ(r->claims()["iat"], absl::ToUnixSeconds(clock_.Now()));
  FailureOr<ParsedJws> jws = ParsedJws::Parse(t->token);
  ASSERT_TRUE(jws.ok());
  EXPECT_EQ(jws->header()["typ"], "JWT");
  EXPECT_EQ(jws->header()["kid"], t->kid);
}

INSTANTIATE_TEST_SUITE_P(AllAlgorithms, IssuerAlgTest,
                         ::testing::ValuesIn(kAllAlgorithms),
                         [](const auto& info) {
                           return std::string(AlgorithmName(info.param));
                         });

TEST_F(IssuerTest, JtiIsRandom128BitBase64Url) {
  auto issuer = MakeIssuer(Algorithm::kHs256);
  std::set<std::string> seen;
  for (int i = 0; i < 50; ++i) {
    auto t = issuer->Issue({});
    ASSERT_THAT(t, IsOk());
    std::optional<std::string> raw = Base64UrlDecode(t->jti);
    ASSERT_TRUE(raw.has_value());
    EXPECT_EQ(raw->size(), 16u);
    EXPECT_TRUE(seen.insert(t->jti).second);
  }
}

TEST_F(IssuerTest, TtlAndReservedClaimRules) {
  auto issuer = MakeIssuer(Algorithm::kEs256);
  EXPECT_THAT(issuer->Issue({.ttl = absl::Hours(1) + absl::Seconds(1)}),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(issuer->Issue({.ttl = absl::Hours(1)}), IsOk());
  auto def = issuer->Issue({});
  ASSERT_THAT(def, IsOk());
  EXPECT_EQ(def->expires_at, clock_.Now() + absl::Minutes(15));
  for (const char* r : {"iss", "iat", "exp", "nbf", "jti"}) {
    auto t = issuer->Issue({.claims = {{r, 1}}});
    EXPECT_THAT(t, StatusIs(absl::StatusCode::kInvalidArgument)) << r;
    EXPECT_THAT(std::string(t.status().message()), HasSubstr(r));
  }
  EXPECT_THAT(issuer->Issue({.claims = json::array()}),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(issuer->Issue({.claims = {{"sub", "x"}}, .subject = "y"}),
              StatusIs(absl::StatusCode::kInvalidArgument));
  IssuerOptions o = Options();
  o.allow_reserved_claim_override = true;
  auto lenient = MakeIssuer(Algorithm::kEs256, o);
  auto t = lenient->Issue({.claims = {{"nbf", 5}}});
  ASSERT_THAT(t, IsOk());
  FailureOr<ParsedJws> jws = ParsedJws::Parse(t->token);
  EXPECT_EQ(json::parse(jws->payload())["nbf"], 5);
}

TEST_F(IssuerTest, CreateValidates) {
  const auto& hs = CachedTestKey(Algorithm::kHs256);
  auto key = SigningKey::Create(Algorithm::kHs256, "k", hs.private_key);
  ASSERT_THAT(key, IsOk());
  IssuerOptions o = Options();
  o.issuer = "";
  EXPECT_THAT(TokenIssuer::Create(o, *key, &clock_),
              StatusIs(absl::StatusCode::kInvalidArgument));
  o = Options();
  o.max_ttl = absl::Minutes(1);
  EXPECT_THAT(TokenIssuer::Create(o, *key, &clock_),
              StatusIs(absl::StatusCode::kInvalidArgument));
  o = Options();
  o.exchange.claim_allowlist = {"exp"};
  EXPECT_THAT(TokenIssuer::Create(o, *key, &clock_),
              StatusIs(absl::StatusCode::kInvalidArgument));
  auto retiring = SigningKey::Create(Algorithm::kHs256, "k", hs.private_key,
                                     KeyState::kRetiring);
  ASSERT_THAT(retiring, IsOk());
  EXPECT_THAT(TokenIssuer::Create(Options(), *retiring, &clock_),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_F(IssuerTest, SigningKeyRules) {
  // HS384 with a 32-byte secret: below the digest size (RFC 7518 3.2).
  const auto& hs256 = CachedTestKey(Algorithm::kHs256);
  EXPECT_THAT(SigningKey::Create(Algorithm::kHs384, "k", hs256.private_key),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(SigningKey::Create(Algorithm::kHs256, "", hs256.private_key),
              StatusIs(absl::StatusCode::kInvalidArgument));
  // Public-only material cannot sign; a P-256 key cannot do ES384.
  const auto& es = CachedTestKey(Algorithm::kEs256);
  EXPECT_FALSE(SigningKey::Create(Algorithm::kEs256, "k", es.key.material()).ok());
  EXPECT_FALSE(SigningKey::Create(Algorithm::kEs384, "k", es.private_key).ok());
  // The verification half of an asymmetric key holds no private material.
  auto sk = SigningKey::Create(Algorithm::kEs256, "k", es.private_key);
  ASSERT_THAT(sk, IsOk());
  auto vk = sk->VerificationKey();
  ASSERT_THAT(vk, IsOk());
  EXPECT_FALSE(vk->material().has_private());
  EXPECT_EQ(vk->source(), "signing:k");
}

TEST_F(IssuerTest, RotationKeepsOldKeyVerifying) {
  auto old_issuer = MakeIssuer(Algorithm::kEs256);
  auto old_token = old_issuer->Issue({.audiences = {"api://a"}});
  ASSERT_THAT(old_token, IsOk());
  auto new_issuer = MakeIssuer(Algorithm::kEdDsa);  // adds a second source
  auto new_token = new_issuer->Issue({.audiences = {"api://a"}});
  ASSERT_THAT(new_token, IsOk());
  auto v = MakeVerifier();
  EXPECT_TRUE(v->Verify(old_token->token).ok());
  EXPECT_TRUE(v->Verify(new_token->token).ok());
  store_.RemoveSource("default", old_issuer->signing_key().source_id());
  EXPECT_EQ(v->Verify(old_token->token).reason(), FailureReason::kKeyNotFound);
}

TEST_F(IssuerTest, ExchangeUsesOnlyAllowListedVerifiedClaims) {
  IssuerOptions o = Options();
  o.exchange.claim_allowlist = {"sub", "scope"};
  auto issuer = MakeIssuer(Algorithm::kEs256, o);
  auto v = MakeVerifier();
  auto subject = issuer->Issue({.claims = {{"scope", "read"}, {"admin", true}},
                                .subject = "alice",
                                .audiences = {"api://a"},
                                .ttl = absl::Minutes(10)});
  ASSERT_THAT(subject, IsOk());
  auto ex = issuer->Exchange(subject->token, {}, *v,
                             {.audiences = {"api://b"}, .ttl = absl::Minutes(30)});
  ASSERT_THAT(ex, IsOk());
  ASSERT_TRUE(ex->ok());
  // Clamped to the subject token's expiry.
  EXPECT_EQ((*ex)->expires_at, subject->expires_at);
  VerifyResult r = v->Verify((**ex).token);
  ASSERT_TRUE(r.ok()) << r.failure().detail;
  EXPECT_EQ(r->claims()["sub"], "alice");
  EXPECT_EQ(r->claims()["scope"], "read");
  EXPECT_EQ(r->claims()["aud"], "api://b");
  EXPECT_FALSE(r->claims().contains("admin"));
  EXPECT_NE(r->claims()["jti"], json::parse(
      ParsedJws::Parse(subject->token)->payload())["jti"]);

  // ttl above exchange max_ttl (30 min).
  EXPECT_THAT(issuer->Exchange(subject->token, {}, *v,
                               {.ttl = absl::Minutes(31)}),
              StatusIs(absl::StatusCode::kInvalidArgument));
  // A subject token that does not verify: the inner failure.
  std::string bad = subject->token;
  bad[bad.size() - 2] = bad[bad.size() - 2] == 'A' ? 'B' : 'A';
  auto rejected = issuer->Exchange(bad, {}, *v, {});
  ASSERT_THAT(rejected, IsOk());
  EXPECT_EQ(rejected->reason(), FailureReason::kSignatureInvalid);
}

TEST_F(IssuerTest, ExchangeBeyondSubjectExpiryOnlyWhenConfigured) {
  IssuerOptions o = Options();
  o.exchange.allow_beyond_subject_expiry = true;
  auto issuer = MakeIssuer(Algorithm::kHs512, o);
  auto v = MakeVerifier();
  auto subject = issuer->Issue({.subject = "bob", .audiences = {"api://a"},
                                .ttl = absl::Minutes(1)});
  ASSERT_THAT(subject, IsOk());
  auto ex = issuer->Exchange(subject->token, {}, *v,
                             {.audiences = {"api://a"}, .ttl = absl::Minutes(20)});
  ASSERT_THAT(ex, IsOk());
  ASSERT_TRUE(ex->ok());
  EXPECT_EQ((*ex)->expires_at, clock_.Now() + absl::Minutes(20));
}

}  // namespace
}  // namespace jwtauth
