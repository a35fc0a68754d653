// The answers of the ext_authz service beyond rules and forwarded claims
// (server/ext_authz_answer.h), end to end over gRPC: token removal,
// forward_payload_header, allow_missing / allow_missing_or_failed, failure
// metadata, decision logs and upstream tokens.
#include "server/ext_authz_answer.h"

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "core/base64url.h"
#include "core/issuer.h"
#include "envoy/service/auth/v3/external_auth.grpc.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/server/ext_authz_test_env.h"

namespace jwtauth::server {
namespace {

namespace authv3 = ::envoy::service::auth::v3;
using ::envoy::config::core::v3::HeaderValueOption;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::UnorderedElementsAre;

constexpr char kPolicy[] = R"(
signing: {ephemeral: true, issuer: "https://jwtauth.test"}
ext_authz:
  log_allowed_sample_rate: 1
  forward_claims: [{claim: sub, header: x-jwt-sub}]
  routes:
    - name: keep
      match: {context_extensions: {r: keep}}
      forward_token: true
    - name: cookie
      match: {context_extensions: {r: cookie}}
      token_sources: [{cookie: session}]
    - name: query
      match: {context_extensions: {r: query}}
      token_sources: [{query: access_token}]
    - name: multi
      match: {context_extensions: {r: multi}}
      token_sources:
        - {header: authorization, prefix: "Bearer "}
        - {query: access_token}
    - name: payload
      match: {context_extensions: {r: payload}}
      forward_payload_header: x-jwt-payload
    - name: optional
      match: {context_extensions: {r: optional}}
      allow_missing: true
    - name: optional_claims
      match: {context_extensions: {r: optional_claims}}
      allow_missing: true
      rules: [{claims: [{claim: scope, contains: read}]}]
    - name: lenient
      match: {context_extensions: {r: lenient}}
      allow_missing_or_failed: true
      forward_payload_header: x-jwt-payload
    - name: quiet
      match: {context_extensions: {r: quiet}}
      log_allowed_sample_rate: 0
    - name: upstream
      match: {context_extensions: {r: upstream}}
      issue_upstream_token:
        header: x-internal-token
        audience: orders-svc
        ttl: 20m
        claims: [sub, scope]
    - name: upstream2
      match: {context_extensions: {r: upstream2}}
      issue_upstream_token: {header: x-internal-token, audience: billing-svc}
)";

class ExtAuthzAnswerTest : public testing::Test {
 protected:
  void SetUp() override {
    auto env = testutil::ExtAuthzTestEnv::Create(kPolicy);
    ASSERT_TRUE(env.ok()) << env.status();
    env_ = *std::move(env);
  }

  static authv3::CheckRequest Request(
      const std::string& route, std::map<std::string, std::string> headers,
      const std::string& path = "/items") {
    authv3::CheckRequest req;
    auto* http = req.mutable_attributes()->mutable_request()->mutable_http();
    http->set_id("http-id-7");
    http->set_method("GET");
    http->set_path(path);
    http->set_host("api.example.com");
    for (auto& [k, v] : headers) (*http->mutable_headers())[k] = v;
    if (!route.empty()) {
      (*req.mutable_attributes()->mutable_context_extensions())["r"] = route;
    }
    return req;
  }

  authv3::CheckResponse Call(const authv3::CheckRequest& req) {
    authv3::CheckResponse resp;
    grpc::Status status = env_->server().Check(req, &resp);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return resp;
  }

  static std::string Header(const authv3::CheckResponse& resp,
                            const std::string& key) {
    for (const HeaderValueOption& h : resp.ok_response().headers()) {
      if (h.header().key() == key) return h.header().value();
    }
    return "<absent>";
  }

  static std::string FailedReason(const authv3::CheckResponse& resp) {
    const auto& md = resp.dynamic_metadata().fields();
    auto it = md.find(std::string(kFailedStatusKey));
    if (it == md.end()) return "<absent>";
    return it->second.struct_value().fields().at("reason").string_value();
  }

  // The JSON payload of a compact JWS.
  static nlohmann::json Payload(const std::string& jws) {
    std::vector<std::string> parts = absl::StrSplit(jws, '.');
    if (parts.size() != 3) return nullptr;
    std::optional<std::string> json = Base64UrlDecode(parts[1]);
    if (!json.has_value()) return nullptr;
    return nlohmann::json::parse(*json, nullptr, false);
  }

  std::unique_ptr<testutil::ExtAuthzTestEnv> env_;
};

TEST_F(ExtAuthzAnswerTest, VerifiedBearerTokenIsRemovedByDefault) {
  const std::string token = env_->Token();
  authv3::CheckResponse resp =
      Call(Request("", {{"authorization", "Bearer " + token}}));
  ASSERT_EQ(resp.status().code(), 0);
  EXPECT_THAT(resp.ok_response().headers_to_remove(),
              ElementsAre("authorization"));
  EXPECT_EQ(Header(resp, "x-jwt-sub"), "alice");
}

TEST_F(ExtAuthzAnswerTest, ForwardTokenTrueKeepsIt) {
  authv3::CheckResponse resp =
      Call(Request("keep", {{"authorization", "Bearer " + env_->Token()}}));
  ASSERT_EQ(resp.status().code(), 0);
  EXPECT_THAT(resp.ok_response().headers_to_remove(), IsEmpty());
}

TEST_F(ExtAuthzAnswerTest, CookieTokenIsCutFromTheCookieHeader) {
  const std::string token = env_->Token();
  for (int i = 0; i < 2; ++i) {  // the second answer comes from the memo
    const std::string other = absl::StrCat("theme=dark", i);
    authv3::CheckResponse resp = Call(Request(
        "cookie",
        {{"cookie", absl::StrCat(other, "; session=", token, "; lang=en")}}));
    ASSERT_EQ(resp.status().code(), 0);
    EXPECT_EQ(Header(resp, "cookie"), absl::StrCat(other, "; lang=en"));
    EXPECT_THAT(resp.SerializeAsString(), Not(HasSubstr(token)));
  }
  // The session cookie alone: the whole header goes.
  authv3::CheckResponse alone =
      Call(Request("cookie", {{"cookie", "session=" + token}}));
  EXPECT_EQ(Header(alone, "cookie"), "<absent>");
  EXPECT_THAT(alone.ok_response().headers_to_remove(), ElementsAre("cookie"));
}

TEST_F(ExtAuthzAnswerTest, QueryTokenIsRemovedAsAQueryParameter) {
  authv3::CheckResponse resp =
      Call(Request("query", {}, "/items?page=2&access_token=" + env_->Token()));
  ASSERT_EQ(resp.status().code(), 0);
  EXPECT_THAT(resp.ok_response().query_parameters_to_remove(),
              ElementsAre("access_token"));
}

// The memo is per (route, source): the same cached token sent in another
// place on the next request is removed from there, not from the first one.
TEST_F(ExtAuthzAnswerTest, RemovalFollowsTheSourceOfEachRequest) {
  const std::string token = env_->Token();
  authv3::CheckResponse header =
      Call(Request("multi", {{"authorization", "Bearer " + token}}));
  EXPECT_THAT(header.ok_response().headers_to_remove(),
              ElementsAre("authorization"));
  authv3::CheckResponse query =
      Call(Request("multi", {}, "/items?access_token=" + token));
  EXPECT_THAT(query.ok_response().headers_to_remove(), IsEmpty());
  EXPECT_THAT(query.ok_response().query_parameters_to_remove(),
              ElementsAre("access_token"));
}

TEST_F(ExtAuthzAnswerTest, PayloadHeaderIsTheTokensPayloadSegment) {
  const std::string token = env_->Token({{"scope", "read"}});
  authv3::CheckResponse resp =
      Call(Request("payload", {{"authorization", "Bearer " + token},
                               {"x-jwt-payload", "forged"}}));
  ASSERT_EQ(resp.status().code(), 0);
  const std::string payload = Header(resp, "x-jwt-payload");
  EXPECT_EQ(payload, std::vector<std::string>(absl::StrSplit(token, '.'))[1]);
  EXPECT_EQ(payload.find('='), std::string::npos);  // unpadded base64url
  std::optional<std::string> json = Base64UrlDecode(payload);
  ASSERT_TRUE(json.has_value());
  EXPECT_EQ(nlohmann::json::parse(*json)["scope"], "read");
  for (const HeaderValueOption& h : resp.ok_response().headers()) {
    EXPECT_EQ(h.append_action(), HeaderValueOption::OVERWRITE_IF_EXISTS_OR_ADD);
  }
}

TEST_F(ExtAuthzAnswerTest, AllowMissingPassesWithoutTokenAndStripsForgeries) {
  authv3::CheckResponse resp =
      Call(Request("optional", {{"x-jwt-sub", "forged"}}));
  EXPECT_EQ(resp.status().code(), 0);
  EXPECT_THAT(resp.ok_response().headers(), IsEmpty());
  EXPECT_THAT(resp.ok_response().headers_to_remove(), ElementsAre("x-jwt-sub"));
  EXPECT_FALSE(resp.dynamic_metadata().fields().contains("claims"));
}

TEST_F(ExtAuthzAnswerTest, AllowMissingStillDeniesAnInvalidToken) {
  for (const std::string& bad :
       {env_->ExpiredToken(), std::string("not.a.token")}) {
    authv3::CheckResponse resp =
        Call(Request("optional", {{"authorization", "Bearer " + bad}}));
    EXPECT_EQ(resp.status().code(), 16) << bad;
    EXPECT_TRUE(resp.has_denied_response());
  }
}

TEST_F(ExtAuthzAnswerTest, AllowMissingDoesNotSatisfyAClaimsRule) {
  authv3::CheckResponse resp = Call(Request("optional_claims", {}));
  EXPECT_EQ(resp.status().code(), 16);
  const std::string token = env_->Token({{"scope", "read"}});
  EXPECT_EQ(
      Call(Request("optional_claims", {{"authorization", "Bearer " + token}}))
          .status()
          .code(),
      0);
}

TEST_F(ExtAuthzAnswerTest, AllowMissingOrFailedNeverDeniesForTheToken) {
  authv3::CheckResponse expired = Call(
      Request("lenient", {{"authorization", "Bearer " + env_->ExpiredToken()},
                          {"x-jwt-payload", "forged"}}));
  EXPECT_EQ(expired.status().code(), 0);
  EXPECT_EQ(FailedReason(expired), "EXPIRED");
  EXPECT_THAT(expired.ok_response().headers_to_remove(),
              UnorderedElementsAre("x-jwt-sub", "x-jwt-payload"));
  EXPECT_EQ(Call(Request("lenient", {})).status().code(), 0);
  authv3::CheckResponse valid =
      Call(Request("lenient", {{"authorization", "Bearer " + env_->Token()}}));
  EXPECT_EQ(valid.status().code(), 0);
  EXPECT_EQ(Header(valid, "x-jwt-sub"), "alice");
  EXPECT_EQ(FailedReason(valid), "<absent>");
}

TEST_F(ExtAuthzAnswerTest, DenialsCarryTheFailedStatus) {
  authv3::CheckResponse resp =
      Call(Request("", {{"authorization", "Bearer " + env_->ExpiredToken()}}));
  const auto& failed = resp.dynamic_metadata()
                           .fields()
                           .at(std::string(kFailedStatusKey))
                           .struct_value()
                           .fields();
  EXPECT_EQ(failed.at("reason").string_value(), "EXPIRED");
  EXPECT_EQ(failed.at("message").string_value(), "token expired");
  EXPECT_EQ(failed.at("code").number_value(), 16);
}

TEST_F(ExtAuthzAnswerTest, DeniedCheckLogsOneLineWithoutTheToken) {
  const std::string token = env_->ExpiredToken({{"sub", "secret-sub"}});
  Call(Request(
      "", {{"authorization", "Bearer " + token}, {"x-request-id", "req-42"}}));
  std::vector<std::string> lines;
  for (absl::string_view l : absl::StrSplit(env_->server().logs(), '\n')) {
    if (absl::StrContains(l, "\"check_denied\"")) lines.emplace_back(l);
  }
  ASSERT_EQ(lines.size(), 1u) << env_->server().logs();
  nlohmann::json line = nlohmann::json::parse(lines[0]);
  EXPECT_EQ(line["level"], "info");
  EXPECT_EQ(line["request_id"], "req-42");
  EXPECT_EQ(line["reason"], "EXPIRED");
  EXPECT_EQ(line["route"], "");
  EXPECT_EQ(line["token"], TokenFingerprint(token));
  for (absl::string_view part : absl::StrSplit(token, '.')) {
    EXPECT_THAT(env_->server().logs(), Not(HasSubstr(part)));
  }
}

TEST_F(ExtAuthzAnswerTest, AllowedChecksAreLoggedAtTheSampleRate) {
  auto count = [&](absl::string_view route) {
    int n = 0;
    for (absl::string_view l : absl::StrSplit(env_->server().logs(), '\n')) {
      n += absl::StrContains(l, "\"check_allowed\"") &&
           absl::StrContains(l, absl::StrCat("\"route\":\"", route, "\""));
    }
    return n;
  };
  const std::string token = env_->Token();
  for (int i = 0; i < 3; ++i) {
    Call(Request("keep", {{"authorization", "Bearer " + token}}));
    Call(Request("quiet", {{"authorization", "Bearer " + token}}));
  }
  EXPECT_EQ(count("keep"), 3);   // rate 1 (inherited)
  EXPECT_EQ(count("quiet"), 0);  // rate 0
  // The request id falls back to attributes.request.http.id.
  EXPECT_THAT(env_->server().logs(), HasSubstr("\"request_id\":\"http-id-7\""));
  EXPECT_THAT(env_->server().logs(), Not(HasSubstr(token)));
}

TEST_F(ExtAuthzAnswerTest, UpstreamTokenCarriesAllowListedClaims) {
  const std::string token = env_->Token(
      {{"sub", "alice"}, {"scope", "orders.read"}, {"email", "a@x.test"}});
  authv3::CheckResponse resp =
      Call(Request("upstream", {{"authorization", "Bearer " + token}}));
  ASSERT_EQ(resp.status().code(), 0);
  const std::string minted = Header(resp, "x-internal-token");
  nlohmann::json claims = Payload(minted);
  ASSERT_TRUE(claims.is_object()) << minted;
  EXPECT_EQ(claims["iss"], "https://jwtauth.test");
  EXPECT_EQ(claims["aud"], "orders-svc");
  EXPECT_EQ(claims["sub"], "alice");
  EXPECT_EQ(claims["scope"], "orders.read");
  EXPECT_FALSE(claims.contains("email"));  // not allow-listed
  EXPECT_EQ(claims["src_iss"], "https://issuer.test");
  EXPECT_EQ(claims["src_sub"], "alice");
  EXPECT_TRUE(claims["jti"].is_string());
  // ttl 20m, but never past the source token (10 min).
  const nlohmann::json source = Payload(token);
  EXPECT_LE(claims["exp"].get<int64_t>(), source["exp"].get<int64_t>());
  // Signed with the service's primary key.
  std::optional<std::string> header =
      Base64UrlDecode(minted.substr(0, minted.find('.')));
  ASSERT_TRUE(header.has_value());
  EXPECT_EQ(nlohmann::json::parse(*header)["kid"],
            env_->state()->issuer->signing_key().kid());
}

TEST_F(ExtAuthzAnswerTest, UpstreamTokenIsCachedPerTokenAndRoute) {
  const std::string token = env_->Token();
  const auto req = Request("upstream", {{"authorization", "Bearer " + token}});
  const std::string first = Header(Call(req), "x-internal-token");
  EXPECT_EQ(Header(Call(req), "x-internal-token"), first);
  const std::string other =
      Header(Call(Request("upstream2", {{"authorization", "Bearer " + token}})),
             "x-internal-token");
  EXPECT_NE(other, first);
  EXPECT_EQ(Payload(other)["aud"], "billing-svc");
  // Another token gets its own.
  EXPECT_NE(Header(Call(Request("upstream",
                                {{"authorization",
                                  "Bearer " + env_->Token({{"sub", "bob"}})}})),
                   "x-internal-token"),
            first);
}

TEST_F(ExtAuthzAnswerTest, ForgedUpstreamTokenIsStrippedWithoutAToken) {
  env_.reset();
  auto env = testutil::ExtAuthzTestEnv::Create(R"(
signing: {ephemeral: true, issuer: "https://jwtauth.test"}
ext_authz:
  allow_missing: true
  issue_upstream_token: {header: x-internal-token, audience: a}
)");
  ASSERT_TRUE(env.ok()) << env.status();
  env_ = *std::move(env);
  authv3::CheckResponse resp =
      Call(Request("", {{"x-internal-token", "forged"}}));
  EXPECT_EQ(resp.status().code(), 0);
  EXPECT_THAT(resp.ok_response().headers_to_remove(),
              ElementsAre("x-internal-token"));
}

TEST(ExtAuthzUpstreamConfigTest, SigningUnavailableOrTtlTooLongIsRejected) {
  auto no_key = testutil::ExtAuthzTestEnv::Create(R"(
ext_authz:
  routes:
    - name: up
      issue_upstream_token: {header: x-t, audience: a}
)");
  ASSERT_FALSE(no_key.ok());
  EXPECT_THAT(no_key.status().message(),
              HasSubstr("ext_authz.routes[0].issue_upstream_token: needs an "
                        "active signing key"));
  auto too_long = testutil::ExtAuthzTestEnv::Create(R"(
signing: {ephemeral: true, issuer: "https://jwtauth.test"}
ext_authz:
  issue_upstream_token: {header: x-t, audience: a, ttl: 31m}
)");
  ASSERT_FALSE(too_long.ok());
  EXPECT_THAT(too_long.status().message(),
              HasSubstr("exceeds issue.exchange.max_ttl 30m"));
}

}  // namespace
}  // namespace jwtauth::server
