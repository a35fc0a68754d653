#include "server/ext_authz_route_options.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/ext_authz_policy.h"
#include "tests/testutil/status_matchers.h"
#include "yaml-cpp/yaml.h"

namespace jwtauth::server {
namespace {

using ::jwtauth::testutil::IsOk;
using ::jwtauth::testutil::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

absl::StatusOr<ExtAuthzPolicy> Parse(const std::string& yaml) {
  YAML::Node root = YAML::Load(yaml);
  return ParseExtAuthzPolicy(root["ext_authz"], "cfg.yaml");
}

TEST(ExtAuthzRouteOptionsTest, DefaultsRemoveTheTokenAndRequireIt) {
  absl::StatusOr<ExtAuthzPolicy> p = Parse("ext_authz: {}\n");
  ASSERT_THAT(p, IsOk());
  const ExtAuthzRouteOptions& o = p->defaults.options;
  EXPECT_FALSE(o.forward_token);
  EXPECT_EQ(o.forward_payload_header, "");
  EXPECT_EQ(o.token_requirement, TokenRequirement::kRequired);
  EXPECT_EQ(o.log_allowed_sample_rate, 0);
  EXPECT_FALSE(o.upstream_token.has_value());
}

TEST(ExtAuthzRouteOptionsTest, RoutesInheritAndOverride) {
  absl::StatusOr<ExtAuthzPolicy> p = Parse(R"(
ext_authz:
  forward_token: true
  forward_payload_header: X-Jwt-Payload
  allow_missing: true
  log_allowed_sample_rate: 0.25
  routes:
    - name: inherits
    - name: overrides
      forward_token: false
      allow_missing_or_failed: true
      log_allowed_sample_rate: 1
      issue_upstream_token:
        header: X-Internal-Token
        audience: orders-svc
        ttl: 2m
        claims: [sub, scope]
    - name: strict
      allow_missing: false
)");
  ASSERT_THAT(p, IsOk());
  const ExtAuthzRouteOptions& inherits = p->routes[0].options;
  EXPECT_TRUE(inherits.forward_token);
  EXPECT_EQ(inherits.forward_payload_header, "x-jwt-payload");
  EXPECT_EQ(inherits.token_requirement, TokenRequirement::kAllowMissing);
  EXPECT_EQ(inherits.log_allowed_sample_rate, 0.25);
  const ExtAuthzRouteOptions& overrides = p->routes[1].options;
  EXPECT_FALSE(overrides.forward_token);
  // One flag set to true on a route replaces the other inherited one.
  EXPECT_EQ(overrides.token_requirement,
            TokenRequirement::kAllowMissingOrFailed);
  EXPECT_EQ(overrides.log_allowed_sample_rate, 1);
  ASSERT_TRUE(overrides.upstream_token.has_value());
  EXPECT_EQ(overrides.upstream_token->header, "x-internal-token");
  EXPECT_EQ(overrides.upstream_token->audience, "orders-svc");
  EXPECT_EQ(overrides.upstream_token->ttl, absl::Minutes(2));
  EXPECT_THAT(overrides.upstream_token->claims, ElementsAre("sub", "scope"));
  EXPECT_EQ(overrides.upstream_token->location.line, 14);
  EXPECT_EQ(p->routes[2].options.token_requirement,
            TokenRequirement::kRequired);
}

TEST(ExtAuthzRouteOptionsTest, BothAllowMissingFlagsAreRejectedWithTheField) {
  absl::StatusOr<ExtAuthzPolicy> p = Parse(R"(
ext_authz:
  routes:
    - name: both
      allow_missing: true
      allow_missing_or_failed: true
)");
  EXPECT_THAT(p, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(p.status().message(),
              HasSubstr("cfg.yaml:6:32: ext_authz.routes[0]."
                        "allow_missing_or_failed: cannot be combined with "
                        "allow_missing"));
}

TEST(ExtAuthzRouteOptionsTest, BadValuesAreRejectedWithTheirPath) {
  struct Case {
    const char* yaml;
    const char* error;
  };
  const Case cases[] = {
      {"ext_authz: {log_allowed_sample_rate: 1.5}",
       "ext_authz.log_allowed_sample_rate: must be a number between 0 and 1"},
      {"ext_authz: {log_allowed_sample_rate: often}",
       "ext_authz.log_allowed_sample_rate: must be a number between 0 and 1"},
      {"ext_authz: {forward_payload_header: 'bad header'}",
       "ext_authz.forward_payload_header: is not a valid HTTP header name"},
      {"ext_authz: {forward_token: yes}",
       "ext_authz.forward_token: expected true or false"},
      {"ext_authz: {issue_upstream_token: {header: x-t}}",
       "ext_authz.issue_upstream_token: needs header and audience"},
      {"ext_authz: {issue_upstream_token: {header: host, audience: a}}",
       "ext_authz.issue_upstream_token.header: must not be host"},
      {"ext_authz: {issue_upstream_token: {header: x-t, audience: a, "
       "ttl: 0s}}",
       "ext_authz.issue_upstream_token.ttl: must be at least 1s"},
      {"ext_authz: {issue_upstream_token: {header: x-t, audience: a, "
       "claims: [sub, exp]}}",
       "ext_authz.issue_upstream_token.claims[1]: \"exp\" is empty or "
       "reserved"},
      {"ext_authz: {issue_upstream_token: {header: x-t, audience: a, "
       "claims: [src_iss]}}",
       "ext_authz.issue_upstream_token.claims[0]: \"src_iss\" is set by the "
       "exchange itself"},
      {"ext_authz: {issue_upstream_token: {header: x-t, audience: a, "
       "lifetime: 1m}}",
       "lifetime"},
      {"ext_authz: {forward_claims: [{claim: sub, header: x-a}], "
       "forward_payload_header: x-a}",
       "ext_authz.forward_payload_header: header \"x-a\" is already set by "
       "this route"},
      {"ext_authz: {forward_payload_header: x-a, issue_upstream_token: "
       "{header: X-A, audience: a}}",
       "ext_authz.issue_upstream_token: header \"x-a\" is already set by "
       "this route"},
  };
  for (const Case& c : cases) {
    absl::StatusOr<ExtAuthzPolicy> p = Parse(c.yaml);
    EXPECT_THAT(p, StatusIs(absl::StatusCode::kInvalidArgument)) << c.yaml;
    EXPECT_THAT(p.status().message(), HasSubstr(c.error)) << c.yaml;
  }
}

TEST(ExtAuthzRouteOptionsTest, HeaderNamesFollowRfc9110) {
  EXPECT_TRUE(IsHttpHeaderName("x-jwt-payload"));
  EXPECT_TRUE(IsHttpHeaderName("X_A.b~1"));
  EXPECT_FALSE(IsHttpHeaderName(""));
  EXPECT_FALSE(IsHttpHeaderName("a b"));
  EXPECT_FALSE(IsHttpHeaderName("a:b"));
}

}  // namespace
}  // namespace jwtauth::server
