#include "core/claim_matcher.h"

#include <optional>
#include <string>
#include <vector>

#include "core/claims.h"
#include "core/policy.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/testutil/claim_match_cases.h"
#include "tests/testutil/status_matchers.h"

namespace jwtauth {
namespace {

using ::jwtauth::testutil::ClaimMatchCase;
using ::jwtauth::testutil::ClaimMatchCases;
using ::jwtauth::testutil::IsOk;
using ::testing::HasSubstr;
using json = nlohmann::json;

const absl::Time kNow = absl::FromUnixSeconds(1'700'000'000);

ClaimMatch Evaluate(const ClaimMatchCase& c, const VerifyContext& ctx = {}) {
  absl::StatusOr<ClaimMatcher> m = ClaimMatcher::Create(c.path, c.op, c.values);
  EXPECT_THAT(m, IsOk()) << c.name;
  if (!m.ok()) return ClaimMatch::kMismatch;
  return m->Evaluate(Claims(c.claims), ctx);
}

// The same case as a provider policy: exists is a required claim, the other
// matchers are claim rules. Providers have no `in` (ext_authz only):
// nullopt for those rows.
std::optional<FailureReason> PolicyReason(const ClaimMatchCase& c) {
  ProviderOptions o;
  o.name = "p";
  o.issuers = {"https://iss"};
  o.audiences = {"api://a"};
  switch (c.op) {
    case ClaimMatchOp::kExists:
      o.required_claims = {c.path};
      break;
    case ClaimMatchOp::kEquals:
      o.claim_rules = {{c.path, ClaimRule::Op::kEquals, c.values}};
      break;
    case ClaimMatchOp::kIn:
      return std::nullopt;
    case ClaimMatchOp::kOneOf:
      o.claim_rules = {{c.path, ClaimRule::Op::kOneOf, c.values}};
      break;
    case ClaimMatchOp::kContains:
      o.claim_rules = {{c.path, ClaimRule::Op::kContains, c.values}};
      break;
  }
  absl::StatusOr<Policy> p = Policy::Create(o);
  EXPECT_THAT(p, IsOk()) << c.name;
  if (!p.ok()) return FailureReason::kUnspecified;
  json claims = {{"iss", "https://iss"},
                 {"aud", "api://a"},
                 {"exp", absl::ToUnixSeconds(kNow) + 60}};
  for (const auto& [k, v] : c.claims.items()) claims[k] = v;
  return p->Check(claims, kNow, "", {}).reason();
}

TEST(ClaimMatcherTest, EveryCaseGivesTheSameAnswerToEngineAndPolicy) {
  for (const ClaimMatchCase& c : ClaimMatchCases()) {
    EXPECT_EQ(ClaimValueMatches(Claims(c.claims).Find(c.path), c.op, c.values),
              c.match)
        << c.name;
    EXPECT_EQ(Evaluate(c) == ClaimMatch::kMatch, c.match) << c.name;
    const std::optional<FailureReason> reason = PolicyReason(c);
    if (!reason.has_value()) continue;
    if (c.match) {
      EXPECT_EQ(reason, FailureReason::kUnspecified) << c.name;
    } else {
      EXPECT_THAT(reason, ::testing::AnyOf(FailureReason::kClaimMissing,
                                           FailureReason::kClaimInvalid))
          << c.name;
    }
  }
}

TEST(ClaimMatcherTest, MissingOrNullIsMissingAndAPresentMismatchIsMismatch) {
  for (const ClaimMatchCase& c : ClaimMatchCases()) {
    const json* v = Claims(c.claims).Find(c.path);
    const ClaimMatch got = Evaluate(c);
    if (v == nullptr || v->is_null()) {
      EXPECT_EQ(got, ClaimMatch::kMissing) << c.name;
      if (c.op != ClaimMatchOp::kIn) {
        EXPECT_EQ(PolicyReason(c), FailureReason::kClaimMissing) << c.name;
      }
    } else if (!c.match) {
      EXPECT_EQ(got, ClaimMatch::kMismatch) << c.name;
      if (c.op != ClaimMatchOp::kIn) {
        EXPECT_EQ(PolicyReason(c), FailureReason::kClaimInvalid) << c.name;
      }
    }
  }
}

// Was the IssueToken scope check's own helper; the rule is now the engine's
// contains (string or array form, exact words, never an empty scope).
TEST(ClaimMatcherTest, ScopeContainsStringAndArrayForms) {
  auto has = [](const json& scope, const std::string& want) {
    const json claims = {{"scope", scope}};
    return ClaimValueMatches(Claims(claims).Find("scope"),
                             ClaimMatchOp::kContains, {want});
  };
  EXPECT_TRUE(has("read jwtauth.issue", "jwtauth.issue"));
  EXPECT_FALSE(has("jwtauth.issuer", "jwtauth.issue"));
  EXPECT_TRUE(has(json::array({"a", "jwtauth.issue"}), "jwtauth.issue"));
  EXPECT_FALSE(has(json::array({"a b"}), "a"));
  EXPECT_FALSE(has(42, "42"));
  EXPECT_FALSE(has("", ""));
}

// A provider's one_of restricts the claim's value, so an array claim is
// refused even when it holds a listed value next to an unlisted one
// (`tier: [gold, evil]` must not pass `one_of: [gold]`). ext_authz `in` asks
// "does the token carry one of these", so an array with a listed element
// passes there.
TEST(ClaimMatcherTest, PolicyOneOfRefusesAnArrayClaimExtAuthzInAcceptsIt) {
  ClaimMatchCase c{"",
                   {{"tier", json::array({"evil", "gold"})}},
                   "tier",
                   ClaimMatchOp::kOneOf,
                   {"gold", "silver"},
                   false};
  EXPECT_EQ(PolicyReason(c), FailureReason::kClaimInvalid);
  c.claims = {{"tier", "gold"}};
  EXPECT_EQ(PolicyReason(c), FailureReason::kUnspecified);
  const json array_claims = {{"tier", json::array({"evil", "gold"})}};
  EXPECT_TRUE(ClaimValueMatches(Claims(array_claims).Find("tier"),
                                ClaimMatchOp::kIn, {"gold"}));
  EXPECT_FALSE(ClaimValueMatches(Claims(array_claims).Find("tier"),
                                 ClaimMatchOp::kOneOf, {"gold"}));
}

// Provider contains used to compare numbers and booleans in arrays as text;
// ext_authz and the scope check compared strings only. Strings only now.
TEST(ClaimMatcherTest, PolicyContainsMatchesStringElementsOnlyLikeScope) {
  ClaimMatchCase c{"",       {{"groups", json::array({7, true})}},
                   "groups", ClaimMatchOp::kContains,
                   {"7"},    false};
  EXPECT_EQ(PolicyReason(c), FailureReason::kClaimInvalid);
  c.values = {"true"};
  EXPECT_EQ(PolicyReason(c), FailureReason::kClaimInvalid);
  c.claims = {{"groups", json::array({"7"})}};
  c.values = {"7"};
  EXPECT_EQ(PolicyReason(c), FailureReason::kUnspecified);
}

// Provider contains and ext_authz contains used to find "" in [""]; the
// scope check never matched an empty scope. Never now.
TEST(ClaimMatcherTest, EmptyValueIsNeverContainedForAnyUser) {
  ClaimMatchCase c{"",      {{"roles", json::array({""})}},
                   "roles", ClaimMatchOp::kContains,
                   {""},    false};
  EXPECT_EQ(Evaluate(c), ClaimMatch::kMismatch);
  EXPECT_EQ(PolicyReason(c), FailureReason::kClaimInvalid);
}

TEST(ClaimMatcherTest, CreateValidatesPathAndValueCount) {
  EXPECT_THAT(ClaimMatcher::Create("", ClaimMatchOp::kExists, {}).status(),
              testutil::StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ClaimMatcher::Create("a", ClaimMatchOp::kExists, {"x"}).status(),
              testutil::StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ClaimMatcher::Create("a", ClaimMatchOp::kEquals, {}).status(),
              testutil::StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(
      ClaimMatcher::Create("a", ClaimMatchOp::kEquals, {"x", "y"}).status(),
      testutil::StatusIs(absl::StatusCode::kInvalidArgument));
  for (ClaimMatchOp op : {ClaimMatchOp::kIn, ClaimMatchOp::kContains}) {
    EXPECT_THAT(ClaimMatcher::Create("a", op, {}).status(),
                testutil::StatusIs(absl::StatusCode::kInvalidArgument));
    EXPECT_THAT(ClaimMatcher::Create("a", op, {"x", "y"}), IsOk());
  }
  absl::StatusOr<ClaimMatcher> m =
      ClaimMatcher::Create("org.id", ClaimMatchOp::kIn, {"a"});
  ASSERT_THAT(m, IsOk());
  EXPECT_EQ(m->path(), "org.id");
  EXPECT_EQ(m->op(), ClaimMatchOp::kIn);
}

TEST(ClaimMatcherTest, EmptyExpectedListNeverMatches) {
  const json claims = {{"a", "x"}};
  const json* v = Claims(claims).Find("a");
  for (ClaimMatchOp op :
       {ClaimMatchOp::kEquals, ClaimMatchOp::kIn, ClaimMatchOp::kContains}) {
    EXPECT_FALSE(ClaimValueMatches(v, op, {}));
  }
  EXPECT_TRUE(ClaimValueMatches(v, ClaimMatchOp::kExists, {}));
}

TEST(ClaimTemplateTest, ParseRejectsBadPlaceholders) {
  for (const char* bad : {"%", "a%", "%{", "%{}", "%{x", "%1", "%-", "x%{}y"}) {
    EXPECT_THAT(ClaimTemplate::Parse(bad).status(),
                testutil::StatusIs(absl::StatusCode::kInvalidArgument))
        << bad;
  }
  EXPECT_THAT(std::string(ClaimTemplate::Parse("%").status().message()),
              HasSubstr("end of value"));
}

TEST(ClaimTemplateTest, ExpandsPlaceholdersFromTheContext) {
  const VerifyContext ctx = {{"c", "dev-1"}, {"user", "u1"}, {"e", ""}};
  auto expand = [&](absl::string_view text) {
    absl::StatusOr<ClaimTemplate> t = ClaimTemplate::Parse(text);
    EXPECT_THAT(t, IsOk()) << text;
    return t.ok() ? t->Expand(ctx) : std::nullopt;
  };
  EXPECT_EQ(expand("t/%{user}/in"), "t/u1/in");
  EXPECT_EQ(expand("%c"), "dev-1");
  EXPECT_EQ(expand("%c:%{user}"), "dev-1:u1");
  EXPECT_EQ(expand("100%%"), "100%");
  EXPECT_EQ(expand(""), "");
  EXPECT_EQ(expand("plain"), "plain");
  // An absent or empty context value never expands (to "").
  EXPECT_EQ(expand("%{missing}"), std::nullopt);
  EXPECT_EQ(expand("x%{e}"), std::nullopt);
  EXPECT_EQ(ClaimTemplate::Literal("%{user}").Expand(ctx), "%{user}");
}

TEST(ClaimTemplateTest, MatcherWithoutAContextValueIsNoContextValue) {
  absl::StatusOr<ClaimMatcher> m =
      ClaimMatcher::Create("client", ClaimMatchOp::kEquals, {"%c"});
  ASSERT_THAT(m, IsOk());
  const json claims = {{"client", ""}};
  EXPECT_EQ(m->Evaluate(Claims(claims), {}), ClaimMatch::kNoContextValue);
  EXPECT_EQ(m->Evaluate(Claims(claims), {{"c", "x"}}), ClaimMatch::kMismatch);
  const json dev = {{"client", "x"}};
  EXPECT_EQ(m->Evaluate(Claims(dev), {{"c", "x"}}), ClaimMatch::kMatch);
  // A missing claim is reported before a missing context value.
  EXPECT_EQ(m->Evaluate(Claims(json::object()), {}), ClaimMatch::kMissing);
  EXPECT_EQ(m->EvaluateValue(nullptr, {{"c", "x"}}), ClaimMatch::kMissing);
}

}  // namespace
}  // namespace jwtauth
