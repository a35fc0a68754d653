#include "server/ext_authz_rule.h"

#include <optional>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/ext_authz_policy.h"
#include "tests/testutil/claim_match_cases.h"
#include "tests/testutil/status_matchers.h"
#include "yaml-cpp/yaml.h"

namespace jwtauth::server {
namespace {

using ::jwtauth::testutil::ClaimMatchCase;
using ::jwtauth::testutil::ClaimMatchCases;
using ::jwtauth::testutil::IsOk;
using ::jwtauth::testutil::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

absl::StatusOr<ExtAuthzPolicy> Parse(const std::string& yaml) {
  YAML::Node root = YAML::Load(yaml);
  return ParseExtAuthzPolicy(root["ext_authz"], "cfg.yaml");
}

// Whether the first top-level rule of `policy` matches a GET of `path`.
bool FirstRuleMatches(const ExtAuthzPolicy& policy, const std::string& path) {
  auto none = [](absl::string_view) -> std::optional<absl::string_view> {
    return std::nullopt;
  };
  const RequestView view{"GET", "api.example.com", path, "", none, none};
  return policy.defaults.rules.front().match.Matches(view);
}

TEST(CanonicalRequestPathTest, CutsQueryAndFragment) {
  EXPECT_EQ(CanonicalRequestPath("/a/b?x=/c"), "/a/b");
  EXPECT_EQ(CanonicalRequestPath("/a/b#/c"), "/a/b");
  EXPECT_EQ(CanonicalRequestPath("/a#x?y"), "/a");
  EXPECT_EQ(CanonicalRequestPath(""), "/");
  EXPECT_EQ(CanonicalRequestPath("?x"), "/");
}

TEST(CanonicalRequestPathTest, MergesSlashesAndRemovesDotSegments) {
  EXPECT_EQ(CanonicalRequestPath("//a///b"), "/a/b");
  EXPECT_EQ(CanonicalRequestPath("/a/./b"), "/a/b");
  EXPECT_EQ(CanonicalRequestPath("/a/b/../c"), "/a/c");
  EXPECT_EQ(CanonicalRequestPath("/a/b/.."), "/a/");
  EXPECT_EQ(CanonicalRequestPath("/a/b/."), "/a/b/");
  EXPECT_EQ(CanonicalRequestPath("/../../a"), "/a");  // never above the root
  EXPECT_EQ(CanonicalRequestPath("/.."), "/");
  EXPECT_EQ(CanonicalRequestPath("/a/"), "/a/");
  EXPECT_EQ(CanonicalRequestPath("/a..b/.c"), "/a..b/.c");  // not dot segments
}

TEST(CanonicalRequestPathTest, DecodesOnlyUnreservedEscapes) {
  EXPECT_EQ(CanonicalRequestPath("/%61%62%2D%2e%5F%7e"), "/ab-._~");
  EXPECT_EQ(CanonicalRequestPath("/a/%2e%2E/b"),
            "/b");  // decoded, then resolved
  EXPECT_EQ(CanonicalRequestPath("/a%2fb"), "/a%2Fb");  // reserved: kept, upper
  EXPECT_EQ(CanonicalRequestPath("/%c3%a9"), "/%C3%A9");
  EXPECT_EQ(CanonicalRequestPath("/bad%zz%4"), "/bad%zz%4");
  EXPECT_EQ(CanonicalRequestPath("/%2561"), "/%2561");  // decoded once only
}

TEST(CanonicalRequestPathTest, IsIdempotent) {
  for (const char* p : {"/a//b/../c?q", "/%2e%2e/x/%2F", "/x/./y/", "/%41/"}) {
    const std::string once = CanonicalRequestPath(p);
    EXPECT_EQ(CanonicalRequestPath(once), once) << p;
  }
}

// Found by the ext_authz fuzzer: the rest of a Cookie header went upstream
// with a control character in it.
TEST(CookieHeaderWithoutTest, DropsTheTokenCookieAndPairsWithControlBytes) {
  EXPECT_EQ(CookieHeaderWithout("a=1; session=tok; b=2", "session"),
            "a=1; b=2");
  EXPECT_EQ(CookieHeaderWithout("a=\x11; session=tok;dHRw", "session"), "dHRw");
  EXPECT_EQ(CookieHeaderWithout("a=x\x7fy, c=3", "session"), "c=3");
  EXPECT_EQ(CookieHeaderWithout("session=tok", "session"), "");
}

TEST(PathPrefixMatchesTest, WholeSegmentsOnly) {
  EXPECT_TRUE(PathPrefixMatches("/a/b", "/a/b"));
  EXPECT_TRUE(PathPrefixMatches("/a/b", "/a/b/"));
  EXPECT_TRUE(PathPrefixMatches("/a/b", "/a/b/c"));
  EXPECT_FALSE(PathPrefixMatches("/a/b", "/a/bc"));
  EXPECT_FALSE(PathPrefixMatches("/a/b", "/a/b-c"));
  EXPECT_FALSE(PathPrefixMatches("/a/b", "/a"));
  EXPECT_TRUE(PathPrefixMatches("/a/", "/a/x"));
  EXPECT_TRUE(PathPrefixMatches("/a/", "/a/"));
  EXPECT_FALSE(PathPrefixMatches("/a/", "/a"));
  EXPECT_TRUE(PathPrefixMatches("/", "/anything"));
  EXPECT_FALSE(PathPrefixMatches("", "/a"));
}

TEST(RequestMatchTest, PathPrefixMatchesCanonicalRequestPath) {
  auto p = Parse(
      "ext_authz:\n  rules: [{path_prefix: /orders/health, allow: true}]\n");
  ASSERT_THAT(p, IsOk());
  EXPECT_TRUE(FirstRuleMatches(*p, "/orders/health"));
  EXPECT_TRUE(FirstRuleMatches(*p, "/orders/health?x=1"));
  EXPECT_TRUE(FirstRuleMatches(*p, "/orders//health/live"));
  EXPECT_TRUE(FirstRuleMatches(*p, "/orders/%68ealth"));
  EXPECT_FALSE(FirstRuleMatches(*p, "/orders/healthz"));
  EXPECT_FALSE(FirstRuleMatches(*p, "/orders/health-internal"));
  EXPECT_FALSE(FirstRuleMatches(*p, "/orders/health/../admin"));
}

TEST(RequestMatchTest, PathExactAndRegex) {
  auto exact =
      Parse("ext_authz:\n  rules: [{path_exact: /status, allow: true}]\n");
  ASSERT_THAT(exact, IsOk());
  EXPECT_TRUE(FirstRuleMatches(*exact, "/status"));
  EXPECT_TRUE(FirstRuleMatches(*exact, "/x/../status?y"));
  EXPECT_FALSE(FirstRuleMatches(*exact, "/status/"));
  EXPECT_FALSE(FirstRuleMatches(*exact, "/statusz"));

  auto regex = Parse(
      "ext_authz:\n  rules: [{path_regex: \"/v[0-9]+/items/[^/]+\", "
      "allow: true}]\n");
  ASSERT_THAT(regex, IsOk());
  EXPECT_TRUE(FirstRuleMatches(*regex, "/v1/items/42"));
  EXPECT_FALSE(FirstRuleMatches(*regex, "/v1/items/42/delete"));  // full match
  EXPECT_FALSE(FirstRuleMatches(*regex, "/x/v1/items/42"));
  EXPECT_FALSE(FirstRuleMatches(*regex, "/v1/items/"));
}

TEST(RequestMatchTest, RouteMatchSupportsPathMatchers) {
  auto p = Parse(R"(
ext_authz:
  routes:
    - {name: a, match: {path_exact: /a}}
    - {name: b, match: {path_regex: "/b/.*"}}
)");
  ASSERT_THAT(p, IsOk());
  auto none = [](absl::string_view) -> std::optional<absl::string_view> {
    return std::nullopt;
  };
  EXPECT_EQ(p->SelectRoute({"GET", "h", "/a", "", none, none})->name, "a");
  EXPECT_EQ(p->SelectRoute({"GET", "h", "/b/x", "", none, none})->name, "b");
  EXPECT_EQ(p->SelectRoute({"GET", "h", "/ab", "", none, none})->name, "");
}

// The InvalidArgument message for `yaml`, or "" when it parses.
std::string ErrorOf(const std::string& yaml) {
  absl::StatusOr<ExtAuthzPolicy> p = Parse(yaml);
  if (p.ok()) return "";
  EXPECT_THAT(p, StatusIs(absl::StatusCode::kInvalidArgument));
  return std::string(p.status().message());
}

TEST(RequestMatchTest, BadPathMatchersAreConfigErrors) {
  EXPECT_THAT(
      ErrorOf("ext_authz:\n  rules: [{path_prefix: /a/../b, allow: true}]\n"),
      HasSubstr("cfg.yaml:2:25: ext_authz.rules[0].path_prefix: "
                "must be a normalized path, e.g. \"/b\""));
  EXPECT_THAT(
      ErrorOf("ext_authz:\n  rules: [{path_exact: \"/a?x\", allow: true}]\n"),
      HasSubstr("path_exact: must be a normalized path"));
  EXPECT_THAT(
      ErrorOf("ext_authz:\n  rules: [{path_prefix: /a//b, allow: true}]\n"),
      HasSubstr("path_prefix: must be a normalized path"));
  EXPECT_THAT(ErrorOf("ext_authz:\n  rules: [{path_exact: a, allow: true}]\n"),
              HasSubstr("path_exact: must start with /"));
  EXPECT_THAT(
      ErrorOf("ext_authz:\n  rules: [{path_regex: \"(\", allow: true}]\n"),
      HasSubstr("path_regex: invalid RE2 regex"));
  EXPECT_THAT(ErrorOf("ext_authz:\n  rules: [{path_prefix: /a, path_exact: /a, "
                      "allow: true}]\n"),
              HasSubstr("at most one of path_prefix, path_exact, path_regex"));
  EXPECT_EQ(
      ErrorOf("ext_authz:\n  rules: [{path_prefix: /a/%2F, allow: true}]\n"),
      "");
}

TEST(PathMatcherLocationsTest, ListsRulesAndRoutesUsingPaths) {
  auto p = Parse(R"(
ext_authz:
  rules:
    - {path_prefix: /a, allow: true}
    - {authenticated: true}
  routes:
    - {name: r, match: {path_exact: /r}}
    - name: s
      match: {hosts: [x]}
      rules: [{path_regex: "/s.*", allow: true}, {deny: true}]
)");
  ASSERT_THAT(p, IsOk());
  // The top-level rule (4:7), inherited by route r, is listed once.
  EXPECT_THAT(PathMatcherLocations(*p),
              ElementsAre("cfg.yaml:4:7", "cfg.yaml:7:7", "cfg.yaml:10:15"));
  auto none = Parse("ext_authz:\n  rules: [{methods: [GET], allow: true}]\n");
  ASSERT_THAT(none, IsOk());
  EXPECT_TRUE(PathMatcherLocations(*none).empty());
}

// ext_authz claim conditions are decided by the claim-matching engine: every
// row of the shared table gives the answer the engine and provider policies
// give (tests/core/claim_matcher_test.cc).
TEST(FirstFailedConditionTest, EveryClaimMatchCaseAgreesWithTheEngine) {
  for (const ClaimMatchCase& c : ClaimMatchCases()) {
    ExtAuthzRule rule;
    rule.action = ExtAuthzRule::Action::kClaims;
    rule.claims = {ClaimCondition{c.path, c.op, c.values}};
    EXPECT_EQ(FirstFailedCondition(rule, c.claims) == nullptr, c.match)
        << c.name;
  }
}

// Forwarded claims resolve paths like conditions do (longest member name
// first), so a header carries the value a condition checked.
TEST(ClaimHeaderValueTest, ResolvesPathsLikeConditions) {
  const nlohmann::json claims = {{"a.b", "outer"},
                                 {"a", {{"b", "inner"}}},
                                 {"org", {{"x.y", {{"id", 7}}}}}};
  EXPECT_EQ(ClaimHeaderValue(claims, "a.b"), "outer");
  EXPECT_EQ(ClaimHeaderValue(claims, "org.x.y.id"), "7");
  ExtAuthzRule rule;
  rule.action = ExtAuthzRule::Action::kClaims;
  rule.claims = {
      ClaimCondition{"org.x.y.id", ClaimCondition::Op::kEquals, {"7"}}};
  EXPECT_EQ(FirstFailedCondition(rule, claims), nullptr);
}

}  // namespace
}  // namespace jwtauth::server
