// Attack suite: ext_authz path matching on segments. An `allow` rule
// for one path must not open its siblings, and whatever a request path looks
// like (query, fragment, dot segments, doubled slashes, percent-encoded
// unreserved characters) the rule that decides is the one for the path the
// upstream will serve. Every case goes through Check() on the real gRPC
// server the SecurityServer harness starts from YAML.

#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "envoy/service/auth/v3/external_auth.grpc.pb.h"
#include "gtest/gtest.h"
#include "tests/security/security_server.h"

namespace jwtauth::testing {
namespace {

namespace authv3 = ::envoy::service::auth::v3;

constexpr char kProviders[] = R"(
providers:
  - {name: p, issuers: [https://iss.test], audiences: [api],
     keys: [{kid: k1, alg: HS256, secret_file: "{dir}/hs.txt"}]}
)";

// Prefix rules only (valid on the code before the fix too).
constexpr char kPrefixRules[] = R"(
ext_authz:
  rules:
    - {path_prefix: /orders/health, allow: true}
    - {path_prefix: /public/, allow: true}
    - {path_prefix: /admin, deny: true}
    - {authenticated: true}
)";

constexpr char kExactAndRegexRules[] = R"(
ext_authz:
  rules:
    - {path_exact: /status, allow: true}
    - {path_regex: "/docs/v[0-9]+/index\\.html", allow: true}
    - {authenticated: true}
)";

constexpr char kNoPathRules[] = R"(
ext_authz:
  rules:
    - {hosts: [public.example.com], allow: true}
    - {authenticated: true}
)";

class ExtAuthzPathAttack : public ::testing::Test {
 protected:
  void SetUp() override { Start(kPrefixRules); }

  void Start(const char* rules) {
    auto s =
        SecurityServer::Start(absl::StrCat(kProviders, rules),
                              {{"hs.txt", "0123456789abcdef0123456789abcdef"}},
                              {.start_refresher = false});
    ASSERT_TRUE(s.ok()) << s.status();
    server_ = *std::move(s);
  }

  // Check() for a token-less GET of `path` (as Envoy sends it: path with
  // query); true when the request is let through.
  bool AllowedWithoutToken(const std::string& path) {
    authv3::CheckRequest req;
    auto* http = req.mutable_attributes()->mutable_request()->mutable_http();
    http->set_method("GET");
    http->set_path(path);
    http->set_host("api.example.com");
    (*http->mutable_headers())[":authority"] = "api.example.com";
    authv3::CheckResponse resp;
    grpc::Status status = server_->Check(req, &resp);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return resp.status().code() == 0 && resp.has_ok_response();
  }

  std::unique_ptr<SecurityServer> server_;
};

// Path matching: `path_prefix: /orders/health` must not allow a sibling
// path that merely starts with the same characters.
TEST_F(ExtAuthzPathAttack, PathPrefixDoesNotAllowSiblingWithSameCharacters) {
  EXPECT_FALSE(AllowedWithoutToken("/orders/health-internal"));
  EXPECT_FALSE(AllowedWithoutToken("/orders/healthz"));
  EXPECT_FALSE(AllowedWithoutToken("/orders/health.json"));
  EXPECT_FALSE(AllowedWithoutToken("/orders/health-internal?x=/orders/health"));
}

// Path matching: the prefix still covers the path itself and its subtree.
TEST_F(ExtAuthzPathAttack, PathPrefixMatchesWholeSegmentsAndSubtree) {
  EXPECT_TRUE(AllowedWithoutToken("/orders/health"));
  EXPECT_TRUE(AllowedWithoutToken("/orders/health/"));
  EXPECT_TRUE(AllowedWithoutToken("/orders/health/live"));
  EXPECT_TRUE(AllowedWithoutToken("/orders/health?verbose=1"));
  EXPECT_TRUE(AllowedWithoutToken("/orders/health#top"));
  // A prefix ending in "/" is a subtree: not the bare parent.
  EXPECT_TRUE(AllowedWithoutToken("/public/a.css"));
  EXPECT_FALSE(AllowedWithoutToken("/public"));
  EXPECT_FALSE(AllowedWithoutToken("/publicity"));
}

// Path matching: a query string or fragment is not part of the path, so it
// cannot make a protected path look like an allowed one.
TEST_F(ExtAuthzPathAttack, QueryOrFragmentCannotSpoofAnAllowedPath) {
  EXPECT_FALSE(AllowedWithoutToken("/orders?/health"));
  EXPECT_FALSE(AllowedWithoutToken("/orders#/health"));
  EXPECT_FALSE(AllowedWithoutToken("/admin#/public/x"));
  EXPECT_FALSE(AllowedWithoutToken("/admin?/public/x"));
}

// Path matching (defence in depth behind Envoy's normalize_path /
// merge_slashes): dot segments, doubled slashes and percent-encoded
// unreserved characters are resolved before matching, so they neither escape
// an allowed prefix nor slip past a deny rule.
TEST_F(ExtAuthzPathAttack, DotSegmentsAndEncodingsAreResolvedBeforeMatching) {
  EXPECT_FALSE(AllowedWithoutToken("/orders/health/../secret"));
  EXPECT_FALSE(AllowedWithoutToken("/orders/health/%2e%2e/secret"));
  EXPECT_FALSE(AllowedWithoutToken("/public/../admin"));
  EXPECT_FALSE(AllowedWithoutToken("/public/./../admin/x"));
  EXPECT_FALSE(AllowedWithoutToken("/orders/health%2Dinternal"));
  EXPECT_TRUE(AllowedWithoutToken("/orders//health"));
  EXPECT_TRUE(AllowedWithoutToken("/orders/%68ealth"));
  EXPECT_TRUE(AllowedWithoutToken("/x/../orders/health"));
}

// Path matching: path_exact matches one path only; path_regex is a full
// match (RE2), not a search.
TEST_F(ExtAuthzPathAttack, ExactAndRegexRulesMatchTheWholePath) {
  ASSERT_NO_FATAL_FAILURE(Start(kExactAndRegexRules));
  EXPECT_TRUE(AllowedWithoutToken("/status?x=1"));
  EXPECT_FALSE(AllowedWithoutToken("/statusx?/status"));
  EXPECT_TRUE(AllowedWithoutToken("/status"));
  EXPECT_FALSE(AllowedWithoutToken("/status/"));
  EXPECT_FALSE(AllowedWithoutToken("/status/private"));
  EXPECT_FALSE(AllowedWithoutToken("/statusx"));
  EXPECT_TRUE(AllowedWithoutToken("/docs/v2/index.html"));
  EXPECT_FALSE(AllowedWithoutToken("/docs/v2/index.html/../../admin"));
  EXPECT_FALSE(AllowedWithoutToken("/x/docs/v2/index.html"));
  EXPECT_FALSE(AllowedWithoutToken("/docs/v2/index.html.bak"));
  EXPECT_FALSE(AllowedWithoutToken("/docs/v2/indexXhtml"));
}

// Path matching: a rule matching on the path is reported at startup (warn)
// so operators check Envoy's path normalization.
TEST_F(ExtAuthzPathAttack, PathPrefixRuleIsWarnedAboutAtStartup) {
  std::string logs = server_->logs();
  EXPECT_NE(logs.find("path_prefix"), std::string::npos) << logs;
  EXPECT_NE(logs.find("normalize_path"), std::string::npos) << logs;
  // No warning when no rule matches on the path.
  ASSERT_NO_FATAL_FAILURE(Start(kNoPathRules));
  logs = server_->logs();
  EXPECT_EQ(logs.find("normalize_path"), std::string::npos) << logs;
}

}  // namespace
}  // namespace jwtauth::testing
