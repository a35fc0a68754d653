#include "core/issuer.h"

#include <set>
#include <string>

#include "absl/strings/match.h"
#include "core/base64url.h"
#include "core/jws.h"
#include "core/key_store.h"
#include "core/option_error.h"
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

// Status with `code` whose message contains `text`.
MATCHER_P2(StatusHas, code, text, "") {
  const absl::Status& s = testutil::internal::GetStatus(arg);
  *result_listener << "status is " << s;
  return s.code() == code && absl::StrContains(s.message(), text);
}

constexpr char kIss[] = "https://auth.example";
constexpr char kPartnerIss[] = "https://partner.example";

IssuerOptions Options() {
  IssuerOptions o;
  o.issuer = kIss;
  o.exchange.allowed_providers = {"default"};
  o.exchange.allowed_audiences = {"api://a", "api://b"};
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
  // Provider "default" (kIss, the issuer's own keys) and "partner"
  // (kPartnerIss, partner_'s key; same audiences).
  std::unique_ptr<TokenVerifier> MakeVerifier() {
    ProviderOptions p;
    p.name = "default";
    p.issuers = {kIss};
    p.audiences = {"api://a", "api://b"};
    ProviderOptions partner = p;
    partner.name = "partner";
    partner.issuers = {kPartnerIss};
    store_.SetSourceKeys("partner", "inline:partner", {partner_.key});
    auto v = TokenVerifier::Create(
        {.providers = {p, partner}, .key_store = &store_, .clock = &clock_});
    EXPECT_THAT(v, IsOk());
    return *std::move(v);
  }
  std::string PartnerToken(absl::string_view sub) {
    const int64_t now = absl::ToUnixSeconds(clock_.Now());
    return testutil::SignJws(partner_, json{{"iss", kPartnerIss},
                                            {"sub", sub},
                                            {"aud", "api://a"},
                                            {"iat", now},
                                            {"exp", now + 600}}
                                           .dump());
  }
  FakeClock clock_;
  KeyStore store_;
  testutil::TestKey partner_ =
      testutil::GenerateTestKey(Algorithm::kEs256, "partner-1");
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

// One check of the issuer limits, shared by TokenIssuer::Create and the
// config layer; each error names its field.
TEST_F(IssuerTest, ValidateIssuerOptionsNamesTheField) {
  EXPECT_THAT(ValidateIssuerOptions(Options()), IsOk());
  auto field_of = [](const IssuerOptions& o) {
    std::optional<OptionError> e = GetOptionError(ValidateIssuerOptions(o));
    return e.has_value() ? e->field : "<none>";
  };
  IssuerOptions o = Options();
  o.issuer = "";
  EXPECT_EQ(field_of(o), "issuer");
  o = Options();
  o.default_ttl = absl::Milliseconds(500);
  EXPECT_EQ(field_of(o), "default_ttl");
  o = Options();
  o.default_ttl = o.max_ttl + absl::Seconds(1);
  EXPECT_EQ(field_of(o), "default_ttl");
  o = Options();
  o.exchange.max_ttl = absl::ZeroDuration();
  EXPECT_EQ(field_of(o), "exchange.max_ttl");
  o = Options();
  o.exchange.claim_allowlist = {"sub", "iat"};
  EXPECT_EQ(field_of(o), "exchange.claim_allowlist[1]");
  o = Options();
  o.exchange.allowed_providers = {""};
  EXPECT_EQ(field_of(o), "exchange.allowed_providers");
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
  // Claims the exchange sets itself cannot be copied from the subject token.
  for (const char* set_by_exchange : {"aud", "src_iss", "src_sub"}) {
    o = Options();
    o.exchange.claim_allowlist = {"sub", set_by_exchange};
    EXPECT_THAT(TokenIssuer::Create(o, *key, &clock_),
                StatusHas(absl::StatusCode::kInvalidArgument, set_by_exchange));
  }
  o = Options();
  o.exchange.allowed_audiences = {"api://a", ""};
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
  EXPECT_FALSE(
      SigningKey::Create(Algorithm::kEs256, "k", es.key.material()).ok());
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
  auto ex =
      issuer->Exchange(subject->token, {}, *v,
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
  EXPECT_NE(r->claims()["jti"],
            json::parse(ParsedJws::Parse(subject->token)->payload())["jti"]);
  // Provenance of the exchanged token.
  EXPECT_EQ(r->claims()["src_iss"], kIss);
  EXPECT_EQ(r->claims()["src_sub"], "alice");

  // ttl above exchange max_ttl (30 min).
  EXPECT_THAT(
      issuer->Exchange(subject->token, {}, *v, {.ttl = absl::Minutes(31)}),
      StatusIs(absl::StatusCode::kInvalidArgument));
  // A subject token that does not verify: the inner failure.
  std::string bad = subject->token;
  bad[bad.size() - 2] = bad[bad.size() - 2] == 'A' ? 'B' : 'A';
  auto rejected = issuer->Exchange(bad, {}, *v, {.audiences = {"api://a"}});
  ASSERT_THAT(rejected, IsOk());
  EXPECT_EQ(rejected->reason(), FailureReason::kSignatureInvalid);
}

TEST_F(IssuerTest, ExchangeBeyondSubjectExpiryOnlyWhenConfigured) {
  IssuerOptions o = Options();
  o.exchange.allow_beyond_subject_expiry = true;
  auto issuer = MakeIssuer(Algorithm::kHs512, o);
  auto v = MakeVerifier();
  auto subject = issuer->Issue(
      {.subject = "bob", .audiences = {"api://a"}, .ttl = absl::Minutes(1)});
  ASSERT_THAT(subject, IsOk());
  auto ex =
      issuer->Exchange(subject->token, {}, *v,
                       {.audiences = {"api://a"}, .ttl = absl::Minutes(20)});
  ASSERT_THAT(ex, IsOk());
  ASSERT_TRUE(ex->ok());
  EXPECT_EQ((*ex)->expires_at, clock_.Now() + absl::Minutes(20));
}

// ExchangeVerified (ext_authz upstream tokens): the exchange's minting step
// on an already verified token; always capped at the subject's expiry, any
// audience the caller names.
TEST_F(IssuerTest, ExchangeVerifiedMintsLikeTheExchange) {
  IssuerOptions o = Options();
  o.exchange.allow_beyond_subject_expiry = true;  // not for this path
  auto issuer = MakeIssuer(Algorithm::kEs256, o);
  auto v = MakeVerifier();
  auto subject = issuer->Issue({.claims = {{"scope", "read"}, {"admin", true}},
                                .subject = "alice",
                                .audiences = {"api://a"},
                                .ttl = absl::Minutes(5)});
  ASSERT_THAT(subject, IsOk());
  VerifyResult verified = v->Verify(subject->token);
  ASSERT_TRUE(verified.ok());
  auto minted = issuer->ExchangeVerified(
      *verified, {.audiences = {"orders-svc"}, .ttl = absl::Minutes(20)},
      {"sub", "scope"});
  ASSERT_THAT(minted, IsOk());
  EXPECT_EQ(minted->expires_at, subject->expires_at);
  auto payload = json::parse(ParsedJws::Parse(minted->token)->payload());
  EXPECT_EQ(payload["aud"], "orders-svc");
  EXPECT_EQ(payload["sub"], "alice");
  EXPECT_EQ(payload["scope"], "read");
  EXPECT_FALSE(payload.contains("admin"));
  EXPECT_EQ(payload["iss"], kIss);
  EXPECT_EQ(payload["src_iss"], kIss);
  EXPECT_EQ(payload["src_sub"], "alice");
  EXPECT_EQ(payload["jti"], minted->jti);

  EXPECT_THAT(
      issuer->ExchangeVerified(*verified, {.ttl = absl::Minutes(1)}, {"sub"}),
      StatusIs(absl::StatusCode::kInvalidArgument));  // no audience
  EXPECT_THAT(
      issuer->ExchangeVerified(
          *verified, {.audiences = {"x"}, .ttl = absl::Minutes(31)}, {"sub"}),
      StatusIs(absl::StatusCode::kInvalidArgument));  // > max_ttl
  EXPECT_THAT(
      issuer->ExchangeVerified(*verified, {.audiences = {"x"}}, {"sub", "exp"}),
      StatusIs(absl::StatusCode::kInvalidArgument));  // reserved
  clock_.Advance(absl::Minutes(5));
  EXPECT_THAT(
      issuer->ExchangeVerified(*verified, {.audiences = {"x"}}, {"sub"}),
      StatusIs(absl::StatusCode::kFailedPrecondition));
}

// Token exchange policy: only subject tokens of allowed providers are
// exchanged.
TEST_F(IssuerTest, ExchangeAcceptsOnlyAllowedProviders) {
  auto issuer = MakeIssuer(Algorithm::kEs256);  // allowed: "default"
  auto v = MakeVerifier();
  const std::string partner = PartnerToken("p-user");
  ASSERT_TRUE(v->Verify(partner).ok());  // valid for Verify...
  auto ex = issuer->Exchange(partner, {}, *v, {.audiences = {"api://a"}});
  ASSERT_THAT(ex, IsOk());
  EXPECT_FALSE(ex->ok());  // ...but not exchangeable
  EXPECT_EQ(ex->reason(), FailureReason::kKeyNotFound);
  // A provider in verify_options does not widen the allow-list.
  ex = issuer->Exchange(partner, {.provider = "partner"}, *v,
                        {.audiences = {"api://a"}});
  ASSERT_THAT(ex, IsOk());
  EXPECT_FALSE(ex->ok());

  IssuerOptions o = Options();
  o.exchange.allowed_providers = {"default", "partner"};
  auto both = MakeIssuer(Algorithm::kEs256, o);
  ex = both->Exchange(partner, {}, *v, {.audiences = {"api://a"}});
  ASSERT_THAT(ex, IsOk());
  ASSERT_TRUE(ex->ok()) << ex->failure().detail;
  VerifyResult r = v->Verify((*ex)->token);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->claims()["src_iss"], kPartnerIss);
  EXPECT_EQ(r->claims()["src_sub"], "p-user");

  o.exchange.allowed_providers = {};  // nothing allowed
  auto none = MakeIssuer(Algorithm::kEs256, o);
  ex = none->Exchange(partner, {}, *v, {.audiences = {"api://a"}});
  ASSERT_THAT(ex, IsOk());
  EXPECT_FALSE(ex->ok());
}

// Token exchange policy: every audience must be allowed; none at all is
// refused.
TEST_F(IssuerTest, ExchangeAudiencesMustBeAllowed) {
  auto issuer = MakeIssuer(Algorithm::kEs256);
  auto v = MakeVerifier();
  auto subject = issuer->Issue({.subject = "alice", .audiences = {"api://a"}});
  ASSERT_THAT(subject, IsOk());
  EXPECT_THAT(issuer->Exchange(subject->token, {}, *v, {}),
              StatusHas(absl::StatusCode::kInvalidArgument, "audience"));
  EXPECT_THAT(issuer->Exchange(subject->token, {}, *v,
                               {.audiences = {"api://a", "api://admin"}}),
              StatusHas(absl::StatusCode::kPermissionDenied, "api://admin"));
  auto ok = issuer->Exchange(subject->token, {}, *v,
                             {.audiences = {"api://a", "api://b"}});
  ASSERT_THAT(ok, IsOk());
  ASSERT_TRUE(ok->ok());
  VerifyResult r = v->Verify((*ok)->token);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->claims()["aud"], json({"api://a", "api://b"}));
}

// Token exchange policy: provenance claims come only from an exchange; a direct
// caller cannot forge them.
TEST_F(IssuerTest, DirectIssueCannotSetProvenanceClaims) {
  auto issuer = MakeIssuer(Algorithm::kEs256);
  for (const char* name : {"src_iss", "src_sub"}) {
    EXPECT_THAT(issuer->Issue({.claims = {{name, "https://idp.example"}}}),
                StatusHas(absl::StatusCode::kInvalidArgument, name));
  }
}

// Token exchange policy: `subject` must be empty or equal the verified "sub".
TEST_F(IssuerTest, ExchangeSubjectMustMatch) {
  auto issuer = MakeIssuer(Algorithm::kEs256);
  auto v = MakeVerifier();
  auto subject = issuer->Issue({.subject = "alice", .audiences = {"api://a"}});
  ASSERT_THAT(subject, IsOk());
  EXPECT_THAT(issuer->Exchange(subject->token, {}, *v,
                               {.subject = "admin", .audiences = {"api://a"}}),
              StatusHas(absl::StatusCode::kInvalidArgument, "subject"));
  auto no_sub = issuer->Issue({.audiences = {"api://a"}});
  ASSERT_THAT(no_sub, IsOk());
  EXPECT_THAT(issuer->Exchange(no_sub->token, {}, *v,
                               {.subject = "alice", .audiences = {"api://a"}}),
              StatusIs(absl::StatusCode::kInvalidArgument));
  auto same = issuer->Exchange(subject->token, {}, *v,
                               {.subject = "alice", .audiences = {"api://a"}});
  ASSERT_THAT(same, IsOk());
  ASSERT_TRUE(same->ok());
}

}  // namespace
}  // namespace jwtauth
