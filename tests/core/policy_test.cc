#include "core/policy.h"

#include <string>

#include "core/option_error.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/testutil/status_matchers.h"

// Options structs are filled with designated initializers that leave the
// remaining members at their defaults; g++ -Wextra would flag each one.
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

namespace jwtauth {
namespace {

using ::testing::HasSubstr;
using json = nlohmann::json;

const absl::Time kNow = absl::FromUnixSeconds(1'700'000'000);
constexpr int64_t kNowS = 1'700'000'000;

ProviderOptions Base() {
  ProviderOptions o;
  o.name = "p";
  o.issuers = {"https://iss"};
  o.audiences = {"api://a", "api://b"};
  return o;
}

json Good() {
  return {{"iss", "https://iss"},
          {"aud", "api://a"},
          {"sub", "user:1"},
          {"iat", kNowS},
          {"exp", kNowS + 300}};
}

FailureReason Check(const ProviderOptions& o, const json& c,
                    absl::string_view aud = "", const VerifyContext& ctx = {}) {
  absl::StatusOr<Policy> p = Policy::Create(o);
  EXPECT_THAT(p, testutil::IsOk());
  FailureOr<PolicyResult> tree = p->Check(c, kNow, aud, ctx);
  if (!p->reads_claims_object()) {
    // The verifier's path for such a policy: the registered claims read
    // from the payload text, no tree. It must answer the same.
    RegisteredClaimValues values;
    if (RegisteredClaimValues::Scan(c.dump(), JsonLimits{}, values).ok()) {
      FailureOr<PolicyResult> flat =
          p->CheckRegistered(values.view(), kNow, aud);
      EXPECT_EQ(flat.reason(), tree.reason()) << c.dump();
      if (!flat.ok() && !tree.ok()) {
        EXPECT_EQ(flat.failure().detail, tree.failure().detail);
      }
      if (flat.ok() && tree.ok()) {
        EXPECT_EQ(flat->expires_at, tree->expires_at);
        EXPECT_TRUE(flat->metadata.empty());
      }
    }
  }
  return tree.reason();
}

std::string CreateError(const ProviderOptions& o) {
  absl::StatusOr<Policy> p = Policy::Create(o);
  EXPECT_FALSE(p.ok());
  return std::string(p.status().message());
}

// The config layer points at the YAML value through the typed field, never
// through the message text.
TEST(PolicyTest, CreateErrorsCarryTheFieldAsAnOptionError) {
  ProviderOptions o = Base();
  o.clock_skew = absl::Minutes(11);
  absl::StatusOr<Policy> p = Policy::Create(o);
  ASSERT_FALSE(p.ok());
  std::optional<OptionError> e = GetOptionError(p.status());
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->field, "clock_skew");
  EXPECT_EQ(e->reason, "must be at most 10m");
  o = Base();
  o.allowed_typ = {"JWT", ""};
  e = GetOptionError(Policy::Create(o).status());
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->field, "allowed_typ[1]");
}

TEST(PolicyTest, CreateRejectsContradictionsNamingTheField) {
  ProviderOptions o = Base();
  o.issuers.clear();
  EXPECT_THAT(CreateError(o), HasSubstr("issuers"));
  o = Base();
  o.audiences = {""};
  EXPECT_THAT(CreateError(o), HasSubstr("audiences"));
  o = Base();
  o.clock_skew = absl::Minutes(10) + absl::Seconds(1);
  EXPECT_THAT(CreateError(o), HasSubstr("clock_skew"));
  o.clock_skew = absl::Minutes(10);
  EXPECT_THAT(Policy::Create(o), testutil::IsOk());
  o = Base();
  o.require_exp = false;
  o.max_lifetime = absl::Hours(1);
  EXPECT_THAT(CreateError(o), HasSubstr("max_lifetime"));
  o = Base();
  o.subject.kind = SubjectRule::Kind::kExact;
  EXPECT_THAT(CreateError(o), HasSubstr("subject"));
  o = Base();
  o.claim_rules = {
      {.claim = "x", .op = ClaimRule::Op::kEquals, .values = {"a", "b"}}};
  EXPECT_THAT(CreateError(o), HasSubstr("claim_rules[0]"));
  o.claim_rules = {
      {.claim = "x", .op = ClaimRule::Op::kEquals, .values = {"%"}}};
  EXPECT_THAT(CreateError(o), HasSubstr("claim_rules[0]"));
  o = Base();
  o.metadata = {{.path = "a.id", .field = "", .required = false},
                {.path = "b.id", .field = "", .required = false}};
  EXPECT_THAT(CreateError(o), HasSubstr("duplicate field \"id\""));
  o = Base();
  o.max_keys_without_kid = 0;
  EXPECT_THAT(CreateError(o), HasSubstr("max_keys_without_kid"));
  o.max_keys_without_kid = kMaxKeysWithoutKid + 1;
  EXPECT_THAT(CreateError(o),
              HasSubstr("max_keys_without_kid: must be between 1 and 64"));
  o.max_keys_without_kid = kMaxKeysWithoutKid;
  EXPECT_TRUE(Policy::Create(o).ok());
  o = Base();
  o.name = "";
  EXPECT_THAT(CreateError(o), HasSubstr("name"));
}

TEST(PolicyTest, GoodTokenPassesWithExpiry) {
  absl::StatusOr<Policy> p = Policy::Create(Base());
  ASSERT_THAT(p, testutil::IsOk());
  FailureOr<PolicyResult> r = p->Check(Good(), kNow, "", {});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->expires_at, absl::FromUnixSeconds(kNowS + 300));
}

TEST(PolicyTest, TimeClaimsAtSkewEdges) {
  ProviderOptions o = Base();  // skew 60 s
  json c = Good();
  c["exp"] = kNowS - 60;
  EXPECT_EQ(Check(o, c), FailureReason::kExpired);
  c["exp"] = kNowS - 59;
  EXPECT_EQ(Check(o, c), FailureReason::kUnspecified);
  c["exp"] = kNowS - 59.5;  // fractional NumericDate
  EXPECT_EQ(Check(o, c), FailureReason::kUnspecified);
  c["exp"] = kNowS - 60.5;
  EXPECT_EQ(Check(o, c), FailureReason::kExpired);
  c = Good();
  c["nbf"] = kNowS + 61;
  EXPECT_EQ(Check(o, c), FailureReason::kNotYetValid);
  c["nbf"] = kNowS + 60;
  EXPECT_EQ(Check(o, c), FailureReason::kUnspecified);
  c = Good();
  c["iat"] = kNowS + 61;
  EXPECT_EQ(Check(o, c), FailureReason::kIssuedInFuture);
  c["iat"] = kNowS + 60;
  EXPECT_EQ(Check(o, c), FailureReason::kUnspecified);
}

TEST(PolicyTest, TimeClaimsMustBeNumbersInRange) {
  for (json bad : {json("1700000300"), json(true), json(-1), json(nullptr),
                   json(1e13), json::array({1}), json(253402300800LL)}) {
    json c = Good();
    c["exp"] = bad;
    EXPECT_EQ(Check(Base(), c), FailureReason::kClaimInvalid) << bad.dump();
    c = Good();
    c["nbf"] = bad;
    EXPECT_EQ(Check(Base(), c), FailureReason::kClaimInvalid) << bad.dump();
  }
}

TEST(PolicyTest, ExpRequiredByDefault) {
  json c = Good();
  c.erase("exp");
  EXPECT_EQ(Check(Base(), c), FailureReason::kClaimMissing);
  ProviderOptions o = Base();
  o.require_exp = false;
  EXPECT_EQ(Check(o, c), FailureReason::kUnspecified);
}

TEST(PolicyTest, MaxLifetime) {
  ProviderOptions o = Base();
  o.max_lifetime = absl::Minutes(5);
  json c = Good();
  EXPECT_EQ(Check(o, c), FailureReason::kUnspecified);  // exactly 300 s
  c["exp"] = kNowS + 301;
  EXPECT_EQ(Check(o, c), FailureReason::kLifetimeTooLong);
  c.erase("iat");  // then measured from now
  EXPECT_EQ(Check(o, c), FailureReason::kLifetimeTooLong);
  c["exp"] = kNowS + 300;
  EXPECT_EQ(Check(o, c), FailureReason::kUnspecified);
}

TEST(PolicyTest, IssuerExactMatch) {
  json c = Good();
  for (json iss : {json("https://iss/"), json("HTTPS://ISS"), json("")}) {
    c["iss"] = iss;
    EXPECT_EQ(Check(Base(), c), FailureReason::kIssuerMismatch) << iss;
  }
  c["iss"] = 5;
  EXPECT_EQ(Check(Base(), c), FailureReason::kClaimInvalid);
  c.erase("iss");
  EXPECT_EQ(Check(Base(), c), FailureReason::kIssuerMismatch);
}

TEST(PolicyTest, AudienceStringOrArrayExact) {
  json c = Good();
  c["aud"] = json::array({"x", "api://b"});
  EXPECT_EQ(Check(Base(), c), FailureReason::kUnspecified);
  c["aud"] = json::array();
  EXPECT_EQ(Check(Base(), c), FailureReason::kAudienceMismatch);
  c["aud"] = "api://a/";
  EXPECT_EQ(Check(Base(), c), FailureReason::kAudienceMismatch);
  c["aud"] = json::array({"api://a", 3});
  EXPECT_EQ(Check(Base(), c), FailureReason::kClaimInvalid);
  c["aud"] = json::object();
  EXPECT_EQ(Check(Base(), c), FailureReason::kClaimInvalid);
  c.erase("aud");
  EXPECT_EQ(Check(Base(), c), FailureReason::kAudienceMismatch);
  // A request audience replaces the configured ones.
  c["aud"] = "api://z";
  EXPECT_EQ(Check(Base(), c, "api://z"), FailureReason::kUnspecified);
  c["aud"] = "api://a";
  EXPECT_EQ(Check(Base(), c, "api://z"), FailureReason::kAudienceMismatch);
}

TEST(PolicyTest, SubjectRules) {
  ProviderOptions o = Base();
  o.subject = {SubjectRule::Kind::kExact, {"user:1"}};
  json c = Good();
  EXPECT_EQ(Check(o, c), FailureReason::kUnspecified);
  c["sub"] = "user:10";
  EXPECT_EQ(Check(o, c), FailureReason::kSubjectMismatch);
  o.subject = {SubjectRule::Kind::kPrefix, {"user:"}};
  EXPECT_EQ(Check(o, c), FailureReason::kUnspecified);
  c["sub"] = "admin:1";
  EXPECT_EQ(Check(o, c), FailureReason::kSubjectMismatch);
  c["sub"] = 1;
  EXPECT_EQ(Check(o, c), FailureReason::kClaimInvalid);
  c.erase("sub");
  EXPECT_EQ(Check(o, c), FailureReason::kClaimMissing);
}

TEST(PolicyTest, RequiredClaimsAndNamespace) {
  ProviderOptions o = Base();
  o.required_claims = {"sub", "x-hasura-user-id"};
  o.claims_namespace = "https://hasura.io/jwt/claims";
  json c = Good();
  EXPECT_EQ(Check(o, c), FailureReason::kClaimMissing);
  c["https://hasura.io/jwt/claims"] = {{"x-hasura-user-id", "42"}};
  EXPECT_EQ(Check(o, c), FailureReason::kUnspecified);
  c["https://hasura.io/jwt/claims"] = {{"x-hasura-user-id", nullptr}};
  EXPECT_EQ(Check(o, c), FailureReason::kClaimMissing);
  c["https://hasura.io/jwt/claims"] = "not an object";
  EXPECT_EQ(Check(o, c), FailureReason::kClaimInvalid);
}

TEST(PolicyTest, ClaimRulesWithPlaceholders) {
  ProviderOptions o = Base();
  o.claim_rules = {
      {.claim = "client", .op = ClaimRule::Op::kEquals, .values = {"%c"}},
      {.claim = "topic",
       .op = ClaimRule::Op::kOneOf,
       .values = {"t/%{user}/in", "t/%{user}/out", "100%%"}},
      {.claim = "scope", .op = ClaimRule::Op::kContains, .values = {"read"}},
  };
  VerifyContext ctx = {{"c", "dev-1"}, {"user", "u1"}};
  json c = Good();
  c["client"] = "dev-1";
  c["topic"] = "t/u1/out";
  c["scope"] = "write read";
  EXPECT_EQ(Check(o, c, "", ctx), FailureReason::kUnspecified);
  c["scope"] = json::array({"read", "write"});
  EXPECT_EQ(Check(o, c, "", ctx), FailureReason::kUnspecified);
  c["topic"] = "100%";
  EXPECT_EQ(Check(o, c, "", ctx), FailureReason::kUnspecified);
  c["topic"] = "t/u2/out";
  EXPECT_EQ(Check(o, c, "", ctx), FailureReason::kClaimInvalid);
  c["topic"] = "t/u1/in";
  c["scope"] = "readonly";
  EXPECT_EQ(Check(o, c, "", ctx), FailureReason::kClaimInvalid);
  c["scope"] = "read";
  // A missing placeholder value never matches (not even an empty claim).
  c["client"] = "";
  EXPECT_EQ(Check(o, c, "", {{"user", "u1"}}), FailureReason::kClaimInvalid);
  c.erase("client");
  EXPECT_EQ(Check(o, c, "", ctx), FailureReason::kClaimMissing);
}

TEST(PolicyTest, MetadataMapping) {
  ProviderOptions o = Base();
  o.metadata = {{.path = "org.id", .field = "", .required = true},
                {.path = "org.name", .field = "org_name", .required = false},
                {.path = "roles", .field = "", .required = false}};
  absl::StatusOr<Policy> p = Policy::Create(o);
  ASSERT_THAT(p, testutil::IsOk());
  json c = Good();
  c["org"] = {{"id", 7}};
  c["roles"] = json::array({"a", "b"});
  FailureOr<PolicyResult> r = p->Check(c, kNow, "", {});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->metadata.at("id"), "7");
  EXPECT_FALSE(r->metadata.contains("org_name"));
  EXPECT_EQ(r->metadata.at("roles"), R"(["a","b"])");
  c.erase("org");
  EXPECT_EQ(p->Check(c, kNow, "", {}).reason(), FailureReason::kClaimMissing);
}

}  // namespace
}  // namespace jwtauth

namespace jwtauth {
namespace {

// Registered claim types (RFC 7519 §4.1.1-4.1.3): iss and sub are strings, aud
// a string or an array of strings; a wrong type is CLAIM_INVALID even when no
// rule looks at the claim.
TEST(PolicyTest, RegisteredClaimsOfTheWrongTypeAreClaimInvalid) {
  const ProviderOptions o = Base();  // no subject rule
  for (const json& bad_sub : {json(42), json(true), json::array({"u"}),
                              json::object(), json(nullptr)}) {
    json c = Good();
    c["sub"] = bad_sub;
    EXPECT_EQ(Check(o, c), FailureReason::kClaimInvalid) << bad_sub.dump();
  }
  for (const json& bad_iss : {json(1), json::array({"https://iss"})}) {
    json c = Good();
    c["iss"] = bad_iss;
    EXPECT_EQ(Check(o, c), FailureReason::kClaimInvalid) << bad_iss.dump();
  }
  for (const json& bad_aud : {json(7), json::array({"api://a", 1}),
                              json::object({{"a", "api://a"}})}) {
    json c = Good();
    c["aud"] = bad_aud;
    EXPECT_EQ(Check(o, c), FailureReason::kClaimInvalid) << bad_aud.dump();
  }
  json absent = Good();
  absent.erase("sub");
  EXPECT_EQ(Check(o, absent), FailureReason::kUnspecified);  // sub optional
  EXPECT_EQ(Check(o, Good()), FailureReason::kUnspecified);
}

// RFC 8725 §3.11: explicit typing.
TEST(PolicyTest, AllowedTypDefaultsToJwtAndAccessTokenCaseInsensitive) {
  absl::StatusOr<Policy> p = Policy::Create(Base());
  ASSERT_THAT(p, testutil::IsOk());
  for (const char* ok :
       {"JWT", "jwt", "Jwt", "application/jwt", "APPLICATION/JWT", "at+jwt",
        "AT+JWT", "application/at+jwt"}) {
    EXPECT_TRUE(p->AcceptsTyp(std::string(ok))) << ok;
  }
  EXPECT_TRUE(p->AcceptsTyp(std::nullopt));
  for (const char* bad :
       {"dpop+jwt", "secevent+jwt", "logout+jwt", "", "application/", "JOSE",
        "jwt ", "application/dpop+jwt", "x-jwt", "JWS"}) {
    EXPECT_FALSE(p->AcceptsTyp(std::string(bad))) << bad;
  }
}

TEST(PolicyTest, AllowedTypIsConfigurableAndRequireTypRefusesAbsent) {
  ProviderOptions o = Base();
  o.allowed_typ = {"application/secevent+jwt"};
  o.require_typ = true;
  absl::StatusOr<Policy> p = Policy::Create(o);
  ASSERT_THAT(p, testutil::IsOk());
  EXPECT_TRUE(p->AcceptsTyp(std::string("secevent+jwt")));
  EXPECT_FALSE(p->AcceptsTyp(std::string("JWT")));
  EXPECT_FALSE(p->AcceptsTyp(std::nullopt));
  o.allowed_typ = {};
  o.require_typ = false;
  p = Policy::Create(o);
  ASSERT_THAT(p, testutil::IsOk());
  EXPECT_TRUE(p->AcceptsTyp(std::nullopt));
  EXPECT_FALSE(p->AcceptsTyp(std::string("JWT")));
  o.allowed_typ = {"application/"};
  EXPECT_THAT(CreateError(o), HasSubstr("allowed_typ[0]"));
}

// A policy reads the claims object exactly when a rule looks beyond the
// registered claims; CheckRegistered then refuses (fails closed) rather
// than skip those rules.
TEST(PolicyTest, ReadsClaimsObjectOnlyForRulesBeyondRegisteredClaims) {
  EXPECT_FALSE(Policy::Create(Base())->reads_claims_object());
  ProviderOptions required = Base();
  required.required_claims = {"scope"};
  ProviderOptions rule = Base();
  rule.claim_rules = {
      {.claim = "role", .op = ClaimRule::Op::kEquals, .values = {"admin"}}};
  ProviderOptions metadata = Base();
  metadata.metadata = {{.path = "org.id"}};
  ProviderOptions ns = Base();
  ns.claims_namespace = "https://ns";
  for (const ProviderOptions& o : {required, rule, metadata, ns}) {
    absl::StatusOr<Policy> p = Policy::Create(o);
    ASSERT_THAT(p, testutil::IsOk());
    EXPECT_TRUE(p->reads_claims_object());
    RegisteredClaimValues values;
    ASSERT_TRUE(
        RegisteredClaimValues::Scan(Good().dump(), JsonLimits{}, values).ok());
    EXPECT_EQ(p->CheckRegistered(values.view(), kNow, "").reason(),
              FailureReason::kClaimInvalid);
  }
}

}  // namespace
}  // namespace jwtauth
