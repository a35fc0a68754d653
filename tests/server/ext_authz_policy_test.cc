#include "server/ext_authz_policy.h"

#include <map>
#include <optional>
#include <string>

#include "absl/strings/match.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "server/config.h"
#include "tests/server/config_test_env.h"
#include "tests/testutil/status_matchers.h"
#include "yaml-cpp/yaml.h"

namespace jwtauth::server {
namespace {

using ::jwtauth::testutil::IsOk;
using ::jwtauth::testutil::StatusIs;
using ::testing::HasSubstr;

// A request with owned storage; View() borrows from it.
struct FakeRequest {
  std::string method = "GET";
  std::string host = "api.example.com";
  std::string path = "/";
  std::string query;
  std::map<std::string, std::string> headers;  // lower-case keys
  std::map<std::string, std::string> context_extensions;

  std::optional<absl::string_view> Header(absl::string_view name) const {
    for (const auto& [k, v] : headers) {
      if (absl::EqualsIgnoreCase(k, name)) return absl::string_view(v);
    }
    return std::nullopt;
  }
  std::optional<absl::string_view> Ext(absl::string_view key) const {
    auto it = context_extensions.find(std::string(key));
    if (it == context_extensions.end()) return std::nullopt;
    return absl::string_view(it->second);
  }
};

#define VIEW(req)                                             \
  RequestView {                                               \
    (req).method, (req).host, (req).path, (req).query,        \
        [&](absl::string_view n) { return (req).Header(n); }, \
        [&](absl::string_view k) { return (req).Ext(k); }     \
  }

absl::StatusOr<ExtAuthzPolicy> Parse(const std::string& yaml) {
  YAML::Node root = YAML::Load(yaml);
  return ParseExtAuthzPolicy(root["ext_authz"], "cfg.yaml");
}

TEST(ExtAuthzPolicyTest, MissingSectionGivesBearerAuthenticatedDefaults) {
  absl::StatusOr<ExtAuthzPolicy> p = Parse("server: {}\n");
  ASSERT_THAT(p, IsOk());
  FakeRequest req;
  const ExtAuthzRoute* route = p->SelectRoute(VIEW(req));
  ASSERT_NE(route, nullptr);
  EXPECT_EQ(route, &p->defaults);
  EXPECT_TRUE(route->provider.empty());
  ASSERT_EQ(route->token_sources.size(), 1u);
  EXPECT_EQ(route->token_sources[0].name, "authorization");
  EXPECT_EQ(route->token_sources[0].prefix, "Bearer ");
  const ExtAuthzRule* rule = route->FirstMatchingRule(VIEW(req));
  ASSERT_NE(rule, nullptr);
  EXPECT_EQ(rule->action, ExtAuthzRule::Action::kAuthenticated);
  EXPECT_TRUE(p->dynamic_metadata);
}

TEST(ExtAuthzPolicyTest, BearerPrefixIsCaseInsensitiveAndHeaderNameToo) {
  ExtAuthzPolicy p = DefaultExtAuthzPolicy();
  FakeRequest req;
  req.headers["Authorization"] = "bearer   abc.def.ghi";
  EXPECT_EQ(ExtractToken(p.defaults.token_sources, VIEW(req)), "abc.def.ghi");
  req.headers["Authorization"] = "Basic dXNlcjpwYXNz";
  EXPECT_EQ(ExtractToken(p.defaults.token_sources, VIEW(req)), std::nullopt);
  req.headers["Authorization"] = "Bearer ";
  EXPECT_EQ(ExtractToken(p.defaults.token_sources, VIEW(req)), std::nullopt);
}

TEST(ExtAuthzPolicyTest, TokenSourcesAreTriedInOrder) {
  absl::StatusOr<ExtAuthzPolicy> p = Parse(R"(
ext_authz:
  token_sources:
    - {header: X-Api-Token, prefix: "Token "}
    - {cookie: session}
    - {query: access_token}
)");
  ASSERT_THAT(p, IsOk());
  const auto& sources = p->defaults.token_sources;
  ASSERT_EQ(sources.size(), 3u);
  EXPECT_EQ(sources[0].name, "x-api-token");

  FakeRequest req;
  req.query = "a=1&access_token=q%2Etoken&b=2";
  EXPECT_EQ(ExtractToken(sources, VIEW(req)), "q.token");
  req.headers["cookie"] = "theme=dark; session=c.token; x=y";
  EXPECT_EQ(ExtractToken(sources, VIEW(req)), "c.token");
  req.headers["x-api-token"] = "Token h.token";
  EXPECT_EQ(ExtractToken(sources, VIEW(req)), "h.token");
  // A prefix mismatch falls through to the next source.
  req.headers["x-api-token"] = "Other h.token";
  EXPECT_EQ(ExtractToken(sources, VIEW(req)), "c.token");
  // Cookie names are exact: "xsession" is not "session".
  req.headers["cookie"] = "xsession=nope";
  EXPECT_EQ(ExtractToken(sources, VIEW(req)), "q.token");
}

constexpr char kRoutesYaml[] = R"(
ext_authz:
  provider: default
  forward_claims:
    - {claim: sub, header: X-User}
  routes:
    - name: orders
      match: {context_extensions: {service: orders}}
      provider: orders-idp
      audience: api://orders
      rules:
        - {path_prefix: /orders/health, allow: true}
        - {methods: [get], claims: [{claim: scope, contains: orders.read}]}
        - {methods: [POST], claims: [{claim: scope, contains: orders.write},
                                     {claim: role, in: [admin, clerk]}]}
        - {deny: true}
    - name: admin
      match: {hosts: [admin.example.com], path_prefix: /admin}
      rules: [{claims: [{claim: org.tier, equals: gold}]}]
    - name: by-name-only
)";

TEST(ExtAuthzPolicyTest, RouteSelectionOrder) {
  absl::StatusOr<ExtAuthzPolicy> p = Parse(kRoutesYaml);
  ASSERT_THAT(p, IsOk());
  FakeRequest req;
  // d. nothing matches → defaults.
  EXPECT_EQ(p->SelectRoute(VIEW(req)), &p->defaults);
  // c. host + path fallback, host compared without port and case.
  req.host = "Admin.Example.com:8443";
  req.path = "/admin/users";
  ASSERT_NE(p->SelectRoute(VIEW(req)), nullptr);
  EXPECT_EQ(p->SelectRoute(VIEW(req))->name, "admin");
  // b. context_extensions win over the fallback.
  req.context_extensions["service"] = "orders";
  EXPECT_EQ(p->SelectRoute(VIEW(req))->name, "orders");
  // a. route_key names a route directly.
  req.context_extensions["jwtauth_route"] = "by-name-only";
  EXPECT_EQ(p->SelectRoute(VIEW(req))->name, "by-name-only");
  // ... and an unknown name fails closed.
  req.context_extensions["jwtauth_route"] = "nope";
  EXPECT_EQ(p->SelectRoute(VIEW(req)), nullptr);
}

TEST(ExtAuthzPolicyTest, RoutesInheritTopLevelSettings) {
  absl::StatusOr<ExtAuthzPolicy> p = Parse(kRoutesYaml);
  ASSERT_THAT(p, IsOk());
  ASSERT_EQ(p->routes.size(), 3u);
  const ExtAuthzRoute& orders = p->routes[0];
  EXPECT_EQ(orders.provider, "orders-idp");
  EXPECT_EQ(orders.audience, "api://orders");
  ASSERT_EQ(orders.forward_claims.size(), 1u);
  EXPECT_EQ(orders.forward_claims[0].header, "x-user");
  const ExtAuthzRoute& admin = p->routes[1];
  EXPECT_EQ(admin.provider, "default");
  EXPECT_EQ(admin.token_sources[0].prefix, "Bearer ");
  // Top-level rules default to [authenticated].
  ASSERT_EQ(p->routes[2].rules.size(), 1u);
  EXPECT_EQ(p->routes[2].rules[0].action, ExtAuthzRule::Action::kAuthenticated);
}

TEST(ExtAuthzPolicyTest, FirstMatchingRuleWins) {
  absl::StatusOr<ExtAuthzPolicy> p = Parse(kRoutesYaml);
  ASSERT_THAT(p, IsOk());
  const ExtAuthzRoute& orders = p->routes[0];
  FakeRequest req;
  req.path = "/orders/health";
  req.method = "POST";
  EXPECT_EQ(orders.FirstMatchingRule(VIEW(req))->action,
            ExtAuthzRule::Action::kAllow);
  req.path = "/orders/1";
  EXPECT_EQ(orders.FirstMatchingRule(VIEW(req)), &orders.rules[2]);
  req.method = "GET";  // config said "get": methods are upper-cased
  EXPECT_EQ(orders.FirstMatchingRule(VIEW(req)), &orders.rules[1]);
  req.method = "DELETE";
  EXPECT_EQ(orders.FirstMatchingRule(VIEW(req))->action,
            ExtAuthzRule::Action::kDeny);
}

TEST(ExtAuthzPolicyTest, NoMatchingRuleReturnsNull) {
  absl::StatusOr<ExtAuthzPolicy> p = Parse(R"(
ext_authz:
  rules: [{path_prefix: /api, authenticated: true}]
)");
  ASSERT_THAT(p, IsOk());
  FakeRequest req;
  req.path = "/other";
  EXPECT_EQ(p->defaults.FirstMatchingRule(VIEW(req)), nullptr);
}

TEST(ExtAuthzPolicyTest, ClaimConditions) {
  absl::StatusOr<ExtAuthzPolicy> p = Parse(kRoutesYaml);
  ASSERT_THAT(p, IsOk());
  const ExtAuthzRule& post = p->routes[0].rules[2];
  nlohmann::json claims = {{"scope", "orders.read orders.write"},
                           {"role", "clerk"}};
  EXPECT_EQ(FirstFailedCondition(post, claims), nullptr);
  claims["role"] = nlohmann::json::array({"viewer", "admin"});
  EXPECT_EQ(FirstFailedCondition(post, claims), nullptr);
  claims["role"] = "viewer";
  EXPECT_EQ(FirstFailedCondition(post, claims), &post.claims[1]);
  claims["scope"] = "orders.writer";  // word match, not substring
  EXPECT_EQ(FirstFailedCondition(post, claims), &post.claims[0]);
  claims["scope"] = nlohmann::json::array({"orders.write"});  // scp style
  claims["role"] = "admin";
  EXPECT_EQ(FirstFailedCondition(post, claims), nullptr);
  claims.erase("role");
  EXPECT_EQ(FirstFailedCondition(post, claims), &post.claims[1]);

  const ExtAuthzRule& gold = p->routes[1].rules[0];
  EXPECT_EQ(FirstFailedCondition(gold, {{"org", {{"tier", "gold"}}}}), nullptr);
  EXPECT_NE(FirstFailedCondition(gold, {{"org", {{"tier", "silver"}}}}),
            nullptr);
  EXPECT_NE(FirstFailedCondition(gold, {{"org", "gold"}}), nullptr);
}

TEST(ExtAuthzPolicyTest, ClaimHeaderValues) {
  nlohmann::json claims = {
      {"sub", "alice"},
      {"n", 42},
      {"admin", true},
      {"roles", {"a", "b"}},
      {"org", {{"id", "o-1"}}},
      {"https://example.com/tenant", "t1"},
      {"evil", "x\r\nset-cookie: a=b"},
      {"nothing", nullptr},
  };
  EXPECT_EQ(ClaimHeaderValue(claims, "sub"), "alice");
  EXPECT_EQ(ClaimHeaderValue(claims, "n"), "42");
  EXPECT_EQ(ClaimHeaderValue(claims, "admin"), "true");
  EXPECT_EQ(ClaimHeaderValue(claims, "roles"), R"(["a","b"])");
  EXPECT_EQ(ClaimHeaderValue(claims, "org.id"), "o-1");
  EXPECT_EQ(ClaimHeaderValue(claims, "https://example.com/tenant"), "t1");
  EXPECT_EQ(ClaimHeaderValue(claims, "evil"), std::nullopt);
  EXPECT_EQ(ClaimHeaderValue(claims, "nothing"), std::nullopt);
  EXPECT_EQ(ClaimHeaderValue(claims, "missing"), std::nullopt);
  EXPECT_EQ(ClaimHeaderValue(claims, "org.id.deeper"), std::nullopt);
}

TEST(ExtAuthzPolicyTest, HostWildcard) {
  RequestMatch m;
  m.hosts = {"*.example.com"};
  FakeRequest req;
  req.host = "a.example.com:443";
  EXPECT_TRUE(m.Matches(VIEW(req)));
  req.host = "example.com";
  EXPECT_FALSE(m.Matches(VIEW(req)));
  req.host = "a.example.com.evil.org";
  EXPECT_FALSE(m.Matches(VIEW(req)));
}

TEST(ExtAuthzPolicyTest, HostPortsAreComparedOnlyWhenConfigured) {
  RequestMatch m;
  m.hosts = {"api.example.com:8443", "[::1]"};
  FakeRequest req;
  req.host = "api.example.com:8443";
  EXPECT_TRUE(m.Matches(VIEW(req)));
  req.host = "api.example.com";
  EXPECT_FALSE(m.Matches(VIEW(req)));
  req.host = "[::1]:8080";
  EXPECT_TRUE(m.Matches(VIEW(req)));
}

struct BadConfig {
  const char* yaml;
  const char* error;  // expected substring
};

class ExtAuthzPolicyErrorTest : public testing::TestWithParam<BadConfig> {};

TEST_P(ExtAuthzPolicyErrorTest, RejectedWithLocationAndField) {
  absl::StatusOr<ExtAuthzPolicy> p = Parse(GetParam().yaml);
  EXPECT_THAT(p, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(p.status().message(), HasSubstr(GetParam().error));
}

INSTANTIATE_TEST_SUITE_P(
    Errors, ExtAuthzPolicyErrorTest,
    testing::Values(
        BadConfig{"ext_authz:\n  rulez: []\n",
                  "cfg.yaml:2:3: ext_authz.rulez: unknown key"},
        BadConfig{"ext_authz:\n  rules:\n    - {allow: true, deny: true}\n",
                  "cfg.yaml:3:7: ext_authz.rules[0]: needs exactly one of"},
        BadConfig{"ext_authz:\n  rules: [{allow: false}]\n",
                  "ext_authz.rules[0].allow: must be true"},
        BadConfig{"ext_authz:\n  token_sources: [{cookie: s, prefix: x}]\n",
                  "ext_authz.token_sources[0].prefix: is only allowed with "
                  "header"},
        BadConfig{"ext_authz:\n  token_sources: [{header: \"bad name\"}]\n",
                  "ext_authz.token_sources[0].header: is not a valid HTTP "
                  "header name"},
        BadConfig{"ext_authz:\n  forward_claims: [{claim: sub, header: a},"
                  " {claim: x, header: A}]\n",
                  "ext_authz.forward_claims[1].header: duplicate header"},
        BadConfig{"ext_authz:\n  routes: [{name: a}, {name: a}]\n",
                  "ext_authz.routes[1].name: duplicate route"},
        BadConfig{"ext_authz:\n  routes: [{match: {}}]\n",
                  "ext_authz.routes[0]: needs name"},
        BadConfig{"ext_authz:\n  rules: [{claims: [{claim: role, in: []}]}]\n",
                  "ext_authz.rules[0].claims[0].in: must be a non-empty list"},
        BadConfig{"ext_authz:\n  rules: [{claims: [{claim: r, like: x}]}]\n",
                  "ext_authz.rules[0].claims[0].like: unknown key"},
        BadConfig{"ext_authz:\n  rules: [{path_prefix: api, allow: true}]\n",
                  "ext_authz.rules[0].path_prefix: must start with /"},
        BadConfig{"ext_authz:\n  dynamic_metadata: maybe\n",
                  "cfg.yaml:2:21: ext_authz.dynamic_metadata: expected true "
                  "or false"},
        BadConfig{"ext_authz: [1, 2]\n",
                  "cfg.yaml:1:12: ext_authz: expected a mapping"}));

TEST(ExtAuthzPolicyTest, UnknownProviderRejectedWhenProvidersKnown) {
  YAML::Node root =
      YAML::Load("ext_authz:\n  routes:\n    - {name: r, provider: ghost}\n");
  std::vector<std::string> providers = {"default"};
  absl::StatusOr<ExtAuthzPolicy> p =
      ParseExtAuthzPolicy(root["ext_authz"], "c.yaml", &providers);
  EXPECT_THAT(p, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(p.status().message(),
              HasSubstr("ext_authz.routes[0].provider: unknown provider"));
}

// The section as the server reads it: from the config file, with the same
// document (file name, environment) as every other section.
constexpr char kProviders[] = R"(providers:
  - name: default
    issuers: [https://auth.example.com]
    audiences: [api://orders]
    keys: [{kid: k1, alg: HS256, secret_env: S}]
)";

absl::StatusOr<ExtAuthzPolicy> FromConfigFile(
    absl::string_view ext_authz, std::map<std::string, std::string> env) {
  ConfigLoadOptions o;
  o.getenv = testutil::MapEnv(std::move(env));
  o.apply_env_overrides = false;
  absl::StatusOr<ServerConfig> c =
      ParseServerConfig(absl::StrCat(kProviders, ext_authz),
                        testutil::kConfigFile, "/etc/jwtauth", o);
  if (!c.ok()) return c.status();
  std::vector<std::string> names = {"default"};
  return ParseExtAuthzPolicy(c->ext_authz, &names);
}

TEST(ExtAuthzPolicyTest, EnvironmentInterpolationAsInTheRestOfTheFile) {
  absl::StatusOr<ExtAuthzPolicy> p = FromConfigFile(
      R"(ext_authz:
  audience: ${AUD}
  routes:
    - name: ${ROUTE}
      match: {path_prefix: "${PREFIX}"}
      provider: ${PROVIDER}
      forward_claims: [{claim: sub, header: "x-${HDR}"}]
)",
      {{"AUD", "api://orders"},
       {"ROUTE", "orders"},
       {"PREFIX", "/orders"},
       {"PROVIDER", "default"},
       {"HDR", "user"}});
  ASSERT_THAT(p, IsOk()) << p.status();
  EXPECT_EQ(p->defaults.audience, "api://orders");
  ASSERT_EQ(p->routes.size(), 1u);
  EXPECT_EQ(p->routes[0].name, "orders");
  EXPECT_EQ(p->routes[0].request.path_prefix, "/orders");
  EXPECT_EQ(p->routes[0].provider, "default");
  ASSERT_EQ(p->routes[0].forward_claims.size(), 1u);
  EXPECT_EQ(p->routes[0].forward_claims[0].header, "x-user");
  // Checks apply to the interpolated value.
  p = FromConfigFile("ext_authz:\n  routes: [{name: r, provider: \"${P}\"}]\n",
                     {{"P", "ghost"}});
  EXPECT_THAT(p.status().message(),
              HasSubstr("ext_authz.routes[0].provider: unknown provider "
                        "\"ghost\""));
}

TEST(ExtAuthzPolicyTest, MissingEnvironmentVariableIsLocated) {
  absl::StatusOr<ExtAuthzPolicy> p =
      FromConfigFile("ext_authz:\n  audience: ${NOPE}\n", {});
  EXPECT_THAT(p, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(p.status().message(),
            "/etc/jwtauth/config.yaml:7:13: ext_authz.audience: environment "
            "variable NOPE is not set");
}

TEST(ExtAuthzPolicyTest, ErrorsFromTheConfigFileHaveFileLineColumnAndPath) {
  absl::StatusOr<ExtAuthzPolicy> p = FromConfigFile(
      "ext_authz:\n  rules:\n    - {allow: true}\n    - {deny: true, "
      "methods: [\"G T\"]}\n",
      {});
  EXPECT_EQ(p.status().message(),
            "/etc/jwtauth/config.yaml:9:29: ext_authz.rules[1].methods: "
            "invalid method \"G T\"");
  p = FromConfigFile("ext_authz:\n  route_key: \"\"\n", {});
  EXPECT_EQ(p.status().message(),
            "/etc/jwtauth/config.yaml:7:14: ext_authz.route_key: must not be "
            "empty");
}

// ext_authz and the rest of the file accept exactly the same booleans.
class SharedBooleanTest : public testing::TestWithParam<
                              std::pair<const char*, std::optional<bool>>> {};

TEST_P(SharedBooleanTest, SameSpellingsInExtAuthzAndServerConfig) {
  const auto& [word, expected] = GetParam();
  absl::StatusOr<ExtAuthzPolicy> p = FromConfigFile(
      absl::StrCat("ext_authz:\n  dynamic_metadata: ", word, "\n"), {});
  ConfigLoadOptions o;
  o.apply_env_overrides = false;
  absl::StatusOr<ServerConfig> c = ParseServerConfig(
      absl::StrCat(kProviders, "    require_typ: ", word, "\n"),
      testutil::kConfigFile, "/etc/jwtauth", o);
  if (expected.has_value()) {
    ASSERT_THAT(p, IsOk()) << word;
    ASSERT_THAT(c, IsOk()) << word;
    EXPECT_EQ(p->dynamic_metadata, *expected);
    EXPECT_EQ(c->providers[0].require_typ, *expected);
  } else {
    EXPECT_THAT(p.status().message(),
                HasSubstr("config.yaml:7:21: ext_authz.dynamic_metadata: "
                          "expected true or false"));
    EXPECT_THAT(c.status().message(),
                HasSubstr("config.yaml:6:18: providers[0].require_typ: "
                          "expected true or false"));
  }
}

INSTANTIATE_TEST_SUITE_P(
    Spellings, SharedBooleanTest,
    testing::Values(std::pair{"true", std::optional<bool>(true)},
                    std::pair{"True", std::optional<bool>(true)},
                    std::pair{"TRUE", std::optional<bool>(true)},
                    std::pair{"false", std::optional<bool>(false)},
                    std::pair{"False", std::optional<bool>(false)},
                    std::pair{"FALSE", std::optional<bool>(false)},
                    std::pair{"yes", std::optional<bool>()},
                    std::pair{"no", std::optional<bool>()},
                    std::pair{"on", std::optional<bool>()},
                    std::pair{"off", std::optional<bool>()},
                    std::pair{"1", std::optional<bool>()}));

}  // namespace
}  // namespace jwtauth::server
