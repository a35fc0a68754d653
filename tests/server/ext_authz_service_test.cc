#include "server/ext_authz_service.h"

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "envoy/service/auth/v3/external_auth.grpc.pb.h"
#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "server/config.h"
#include "server/grpc_server.h"
#include "server/metrics.h"
#include "tests/server/ext_authz_test_env.h"
#include "tests/testutil/raw_unary_call.h"

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
ext_authz:
  forward_claims:
    - {claim: sub, header: X-Jwt-Sub}
    - {claim: org.id, header: x-org-id}
  routes:
    - name: public
      rules: [{allow: true}]
    - name: orders
      match: {context_extensions: {service: orders}}
      token_sources: [{header: authorization, prefix: "Bearer "}, {cookie: session}]
      rules:
        - {methods: [GET], claims: [{claim: scope, contains: orders.read}]}
        - {methods: [POST], claims: [{claim: role, in: [admin, clerk]}]}
        - {deny: true}
    - name: other
      match: {path_prefix: /other/}
      provider: other
      token_sources: [{query: access_token}]
)";

// Runs on both transports (server.threading async and callback).
class ExtAuthzServiceTest : public testing::TestWithParam<ServerThreading> {
 protected:
  void SetUp() override { Start(kPolicy); }
  void TearDown() override { Stop(); }

  void Start(const char* policy) {
    auto env = testutil::ExtAuthzTestEnv::Create(policy, /*with_cache=*/true,
                                                 GetParam());
    ASSERT_TRUE(env.ok()) << env.status();
    env_ = *std::move(env);
    metrics_ = &env_->server().metrics();
  }

  void Stop() { env_.reset(); }

  // A CheckRequest as Envoy builds it: lower-case header map, path with
  // query, per-route context_extensions.
  static authv3::CheckRequest Request(
      const std::string& method, const std::string& path,
      std::map<std::string, std::string> headers = {},
      std::map<std::string, std::string> context_extensions = {}) {
    authv3::CheckRequest req;
    auto* http = req.mutable_attributes()->mutable_request()->mutable_http();
    http->set_id("req-1");
    http->set_method(method);
    http->set_path(path);
    http->set_host("api.example.com");
    http->set_scheme("https");
    http->set_protocol("HTTP/1.1");
    (*http->mutable_headers())[":authority"] = "api.example.com";
    for (auto& [k, v] : headers) (*http->mutable_headers())[k] = v;
    for (auto& [k, v] : context_extensions) {
      (*req.mutable_attributes()->mutable_context_extensions())[k] = v;
    }
    return req;
  }

  authv3::CheckResponse Call(const authv3::CheckRequest& req,
                             grpc::Status* status_out = nullptr) {
    authv3::CheckResponse resp;  // TestServer sets a 10 s deadline
    grpc::Status status = env_->server().Check(req, &resp);
    if (status_out != nullptr) {
      *status_out = status;
    } else {
      EXPECT_TRUE(status.ok()) << status.error_message();
    }
    return resp;
  }

  static std::string Header(
      const google::protobuf::RepeatedPtrField<HeaderValueOption>& headers,
      const std::string& key) {
    for (const auto& h : headers) {
      if (h.header().key() == key) return h.header().value();
    }
    return "<absent>";
  }

  std::unique_ptr<testutil::ExtAuthzTestEnv> env_;
  Metrics* metrics_ = nullptr;  // the env server's
};

TEST_P(ExtAuthzServiceTest, ValidTokenIsAllowedWithOverwrittenClaimHeaders) {
  const std::string token = env_->Token({{"sub", "alice"}});
  authv3::CheckResponse resp = Call(Request(
      "GET", "/x?y=1",
      {{"authorization", "Bearer " + token}, {"x-jwt-sub", "mallory"}}));
  EXPECT_EQ(resp.status().code(), 0);
  ASSERT_TRUE(resp.has_ok_response());
  const auto& ok = resp.ok_response();
  ASSERT_EQ(ok.headers_size(), 1);
  EXPECT_EQ(ok.headers(0).header().key(), "x-jwt-sub");
  EXPECT_EQ(ok.headers(0).header().value(), "alice");
  EXPECT_EQ(ok.headers(0).append_action(),
            HeaderValueOption::OVERWRITE_IF_EXISTS_OR_ADD);
  ASSERT_TRUE(ok.headers(0).has_append());
  EXPECT_FALSE(ok.headers(0).append().value());
  // x-org-id gets no value (no org claim): only its incoming copies go. A
  // header we set is never also in headers_to_remove (Envoy removes after
  // setting, which would drop our value). The verified token is removed
  // too (forward_token defaults to false, as jwt_authn's forward).
  EXPECT_THAT(ok.headers_to_remove(), ElementsAre("x-org-id", "authorization"));
  // Verified claims for later filters and access logs.
  const auto& md = resp.dynamic_metadata().fields();
  EXPECT_EQ(md.at("provider").string_value(), "default");
  EXPECT_EQ(md.at("kid").string_value(), "k-default");
  EXPECT_EQ(md.at("alg").string_value(), "HS256");
  EXPECT_EQ(md.at("claims").struct_value().fields().at("sub").string_value(),
            "alice");
  EXPECT_EQ(metrics_->RpcCount("Check", "OK"), 1u);
}

// Check over gRPC with `bytes` as the serialized request, as any client can
// send them (CheckRequestView reads them in place; protobuf decides what it
// declines).
grpc::Status RawCheck(testutil::TestServer& server, const std::string& bytes,
                      authv3::CheckResponse* response) {
  testutil::RawReply reply = testutil::RawUnaryCall(
      grpc::CreateChannel("127.0.0.1:" + std::to_string(server.port()),
                          grpc::InsecureChannelCredentials()),
      "/envoy.service.auth.v3.Authorization/Check", bytes);
  if (reply.status.ok()) {
    EXPECT_TRUE(response->ParseFromString(reply.bytes));
  }
  return reply.status;
}

TEST_P(ExtAuthzServiceTest, RequestBytesAreReadInPlaceOrByProtobuf) {
  const std::string token = env_->Token({{"sub", "alice"}});
  const std::string good =
      Request("GET", "/x", {{"authorization", "Bearer " + token}})
          .SerializeAsString();
  authv3::CheckResponse resp;
  ASSERT_TRUE(RawCheck(env_->server(), good, &resp).ok());
  EXPECT_EQ(resp.status().code(), 0);
  EXPECT_EQ(Header(resp.ok_response().headers(), "x-jwt-sub"), "alice");

  // An unknown group field: the in-place reader declines, protobuf skips
  // it, the decision is the same.
  resp.Clear();
  ASSERT_TRUE(
      RawCheck(env_->server(), good + std::string("\xab\x06\xac\x06", 4), &resp)
          .ok());
  EXPECT_EQ(resp.status().code(), 0);
  EXPECT_EQ(Header(resp.ok_response().headers(), "x-jwt-sub"), "alice");

  // A later duplicate of the authorization header wins, as in protobuf's
  // map: here a bad token after the good one.
  resp.Clear();
  const std::string bad_second =
      good + Request("GET", "/x", {{"authorization", "Bearer x.y.z"}})
                 .SerializeAsString();
  ASSERT_TRUE(RawCheck(env_->server(), bad_second, &resp).ok());
  EXPECT_EQ(resp.status().code(), 16);

  // Not a CheckRequest, or invalid UTF-8 in a header: INVALID_ARGUMENT.
  for (const std::string& bytes :
       {std::string("\xff\xff\xff"), good.substr(0, good.size() - 3),
        Request("GET", "/x", {{"authorization", "Bearer \xc3\x28"}})
            .SerializePartialAsString()}) {
    EXPECT_EQ(RawCheck(env_->server(), bytes, &resp).error_code(),
              grpc::StatusCode::INVALID_ARGUMENT);
  }
}

TEST_P(ExtAuthzServiceTest, NestedClaimIsForwarded) {
  const std::string token = env_->Token({{"org", {{"id", "o-42"}}}});
  authv3::CheckResponse resp =
      Call(Request("GET", "/", {{"authorization", "Bearer " + token}}));
  ASSERT_TRUE(resp.has_ok_response());
  EXPECT_EQ(Header(resp.ok_response().headers(), "x-org-id"), "o-42");
  EXPECT_EQ(Header(resp.ok_response().headers(), "x-jwt-sub"), "alice");
  // Only the verified token (forward_token: false by default).
  EXPECT_THAT(resp.ok_response().headers_to_remove(),
              ElementsAre("authorization"));
}

TEST_P(ExtAuthzServiceTest, MissingTokenIs401WithBearerChallenge) {
  authv3::CheckResponse resp = Call(Request("GET", "/"));
  EXPECT_EQ(resp.status().code(), 16);  // UNAUTHENTICATED
  ASSERT_TRUE(resp.has_denied_response());
  const auto& denied = resp.denied_response();
  EXPECT_EQ(denied.status().code(), envoy::type::v3::Unauthorized);
  EXPECT_EQ(
      Header(denied.headers(), "www-authenticate"),
      R"(Bearer error="invalid_token", error_description="missing token")");
  nlohmann::json body = nlohmann::json::parse(denied.body());
  EXPECT_EQ(body["error"], "invalid_token");
  EXPECT_EQ(resp.dynamic_metadata().fields().at("reason").string_value(),
            "TOKEN_MISSING");
  EXPECT_EQ(metrics_->RpcCount("Check", "TOKEN_MISSING"), 1u);
}

TEST_P(ExtAuthzServiceTest, BasicAuthIsNotABearerToken) {
  authv3::CheckResponse resp = Call(
      Request("GET", "/", {{"authorization", "Basic dXNlcjpwYXNzd29yZA=="}}));
  EXPECT_EQ(resp.denied_response().status().code(),
            envoy::type::v3::Unauthorized);
}

TEST_P(ExtAuthzServiceTest, ExpiredTokenIs401WithReasonPhrase) {
  authv3::CheckResponse resp = Call(Request(
      "GET", "/", {{"authorization", "Bearer " + env_->ExpiredToken()}}));
  EXPECT_EQ(resp.status().code(), 16);
  EXPECT_EQ(
      Header(resp.denied_response().headers(), "www-authenticate"),
      R"(Bearer error="invalid_token", error_description="token expired")");
}

TEST_P(ExtAuthzServiceTest, TamperedTokenIs401AndNothingLeaks) {
  std::string token = env_->Token({{"sub", "secret-subject"}});
  // Change a character in the middle of the signature: all 6 of its bits are
  // signature bits (the last character also carries padding bits that must be
  // zero, so changing it could make the token MALFORMED instead).
  char& c = token[token.size() - 10];
  c = c == 'A' ? 'B' : 'A';
  authv3::CheckResponse resp =
      Call(Request("GET", "/", {{"authorization", "Bearer " + token}}));
  EXPECT_EQ(resp.status().code(), 16);
  EXPECT_THAT(Header(resp.denied_response().headers(), "www-authenticate"),
              HasSubstr(R"(error_description="invalid signature")"));
  const std::string wire = resp.SerializeAsString();
  EXPECT_THAT(wire, Not(HasSubstr(token.substr(0, token.find('.')))));
  EXPECT_THAT(wire, Not(HasSubstr("secret-subject")));
}

TEST_P(ExtAuthzServiceTest, HeaderNamesMatchCaseInsensitively) {
  const std::string token = env_->Token();
  authv3::CheckResponse resp =
      Call(Request("GET", "/", {{"Authorization", "bearer " + token}}));
  EXPECT_EQ(resp.status().code(), 0);
}

TEST_P(ExtAuthzServiceTest, RawHeaderMapIsRead) {
  authv3::CheckRequest req = Request("GET", "/");
  auto* http = req.mutable_attributes()->mutable_request()->mutable_http();
  http->clear_headers();
  auto* h = http->mutable_header_map()->add_headers();
  h->set_key("authorization");
  h->set_raw_value("Bearer " + env_->Token());
  EXPECT_EQ(Call(req).status().code(), 0);
}

TEST_P(ExtAuthzServiceTest, ClaimRuleFailureIs403InsufficientScope) {
  const std::string token = env_->Token({{"scope", "orders.write"}});
  authv3::CheckResponse resp =
      Call(Request("GET", "/orders/1", {{"authorization", "Bearer " + token}},
                   {{"service", "orders"}}));
  EXPECT_EQ(resp.status().code(), 7);  // PERMISSION_DENIED
  EXPECT_EQ(resp.denied_response().status().code(), envoy::type::v3::Forbidden);
  EXPECT_EQ(
      Header(resp.denied_response().headers(), "www-authenticate"),
      R"(Bearer error="insufficient_scope", error_description="claim \"scope\" does not satisfy the rule", scope="orders.read")");
  EXPECT_EQ(metrics_->RpcCount("Check", "PERMISSION_DENIED"), 1u);
}

TEST_P(ExtAuthzServiceTest, ClaimRulesPassAndCookieSourceWorks) {
  const std::string reader = env_->Token({{"scope", "a orders.read"}});
  EXPECT_EQ(
      Call(Request("GET", "/orders/1", {{"cookie", "x=1; session=" + reader}},
                   {{"service", "orders"}}))
          .status()
          .code(),
      0);
  const std::string clerk = env_->Token({{"role", "clerk"}});
  EXPECT_EQ(
      Call(Request("POST", "/orders", {{"authorization", "Bearer " + clerk}},
                   {{"service", "orders"}}))
          .status()
          .code(),
      0);
  const std::string viewer = env_->Token({{"role", "viewer"}});
  EXPECT_EQ(
      Call(Request("POST", "/orders", {{"authorization", "Bearer " + viewer}},
                   {{"service", "orders"}}))
          .status()
          .code(),
      7);
}

TEST_P(ExtAuthzServiceTest, DenyRuleIs403WithoutChallenge) {
  const std::string token = env_->Token({{"role", "admin"}});
  authv3::CheckResponse resp = Call(
      Request("DELETE", "/orders/1", {{"authorization", "Bearer " + token}},
              {{"service", "orders"}}));
  EXPECT_EQ(resp.status().code(), 7);
  EXPECT_EQ(resp.denied_response().status().code(), envoy::type::v3::Forbidden);
  EXPECT_EQ(Header(resp.denied_response().headers(), "www-authenticate"),
            "<absent>");
}

TEST_P(ExtAuthzServiceTest, InvalidTokenOnClaimRouteIs401Not403) {
  authv3::CheckResponse resp = Call(
      Request("GET", "/orders/1", {{"authorization", "Bearer not.a.token"}},
              {{"service", "orders"}}));
  EXPECT_EQ(resp.status().code(), 16);
}

TEST_P(ExtAuthzServiceTest, AllowRouteNeedsNoTokenButStripsClaimHeaders) {
  authv3::CheckResponse resp =
      Call(Request("GET", "/healthz", {{"x-jwt-sub", "forged"}},
                   {{"jwtauth_route", "public"}}));
  EXPECT_EQ(resp.status().code(), 0);
  EXPECT_THAT(resp.ok_response().headers(), IsEmpty());
  EXPECT_THAT(resp.ok_response().headers_to_remove(),
              UnorderedElementsAre("x-jwt-sub", "x-org-id"));
}

TEST_P(ExtAuthzServiceTest, UnknownRouteNameFailsClosed) {
  authv3::CheckResponse resp =
      Call(Request("GET", "/", {{"authorization", "Bearer " + env_->Token()}},
                   {{"jwtauth_route", "no-such-route"}}));
  EXPECT_EQ(resp.status().code(), 7);
  EXPECT_EQ(resp.denied_response().status().code(), envoy::type::v3::Forbidden);
}

// Check series carry the route that decided: a configured name, "_default"
// or "_none" — never a value taken from the request.
TEST_P(ExtAuthzServiceTest, CheckMetricsAreLabelledByTheDecidingRoute) {
  const std::string token = env_->Token();
  Call(Request("GET", "/healthz", {}, {{"jwtauth_route", "public"}}));
  Call(Request("DELETE", "/orders/1", {{"authorization", "Bearer " + token}},
               {{"service", "orders"}}));
  Call(Request("GET", "/x", {{"authorization", "Bearer " + token}}));
  Call(Request("GET", "/", {{"authorization", "Bearer " + token}},
               {{"jwtauth_route", "no-such-route"}}));
  EXPECT_EQ(metrics_->RpcCount("Check", "OK", "public"), 1u);
  EXPECT_EQ(metrics_->RpcCount("Check", "PERMISSION_DENIED", "orders"), 1u);
  EXPECT_EQ(metrics_->RpcCount("Check", "OK", "_default"), 1u);
  EXPECT_EQ(metrics_->RpcCount("Check", "PERMISSION_DENIED", "_none"), 1u);
  EXPECT_EQ(metrics_->RpcCount("Check", "PERMISSION_DENIED"), 2u);
  const std::string text = metrics_->RenderPrometheus();
  EXPECT_THAT(text, Not(HasSubstr("no-such-route")));
  EXPECT_THAT(text, HasSubstr("jwtauth_rpc_total{method=\"Check\",result="
                              "\"PERMISSION_DENIED\",route=\"_none\"} 1\n"));
  // The configured routes' series were resolved with the generation.
  const auto state = env_->state();
  ASSERT_EQ(state->check_series.size(), 3u);
  EXPECT_EQ(state->check_series[1], metrics_->Rpc("Check", "orders"));
}

TEST_P(ExtAuthzServiceTest, PathFallbackRouteUsesItsProviderAndQueryToken) {
  const std::string other = env_->Token({}, "other");
  EXPECT_EQ(
      Call(Request("GET", "/other/x?access_token=" + other)).status().code(),
      0);
  // A token of the default provider is not accepted on this route.
  const std::string dflt = env_->Token();
  EXPECT_EQ(
      Call(Request("GET", "/other/x?access_token=" + dflt)).status().code(),
      16);
  // The Authorization header is not a source on this route.
  EXPECT_EQ(
      Call(Request("GET", "/other/x", {{"authorization", "Bearer " + other}}))
          .status()
          .code(),
      16);
}

TEST_P(ExtAuthzServiceTest, CheckSharesTheVerificationCache) {
  const std::string token = env_->Token();
  const auto before = env_->cache_lookups();
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(Call(Request("GET", "/", {{"authorization", "Bearer " + token}}))
                  .status()
                  .code(),
              0);
  }
  const auto after = env_->cache_lookups();
  EXPECT_EQ(after.hits - before.hits, 2u);
  EXPECT_EQ(after.misses - before.misses, 1u);
}

// The allowed answer is memoised per (verified token, route): the same
// cached token on another route gets that route's answer, every time.
TEST_P(ExtAuthzServiceTest, AllowedAnswerIsPerRoute) {
  const std::string token =
      env_->Token({{"sub", "alice"}, {"scope", "orders.read"}});
  const auto dflt = Request("GET", "/", {{"authorization", "Bearer " + token}});
  const auto orders =
      Request("GET", "/orders/1", {{"authorization", "Bearer " + token}},
              {{"service", "orders"}});
  for (int i = 0; i < 2; ++i) {
    authv3::CheckResponse a = Call(dflt);
    EXPECT_EQ(a.status().code(), 0);
    EXPECT_FALSE(a.dynamic_metadata().fields().contains("route"));
    EXPECT_EQ(Header(a.ok_response().headers(), "x-jwt-sub"), "alice");
    authv3::CheckResponse b = Call(orders);
    EXPECT_EQ(b.status().code(), 0);
    EXPECT_EQ(b.dynamic_metadata().fields().at("route").string_value(),
              "orders");
  }
}

// More routes than a token's memo holds: the rest are answered right too.
TEST_P(ExtAuthzServiceTest, ManyRoutesForOneTokenAllAnswerTheirRoute) {
  Stop();
  std::string policy = "\next_authz:\n  routes:\n";
  for (int r = 0; r < 7; ++r) {
    absl::StrAppend(&policy, "    - name: r", r,
                    "\n      match: {context_extensions: {r: \"", r, "\"}}\n");
  }
  Start(policy.c_str());
  const std::string token = env_->Token();
  for (int round = 0; round < 2; ++round) {
    for (int r = 0; r < 7; ++r) {
      authv3::CheckResponse resp =
          Call(Request("GET", "/", {{"authorization", "Bearer " + token}},
                       {{"r", std::to_string(r)}}));
      EXPECT_EQ(resp.status().code(), 0);
      EXPECT_EQ(resp.dynamic_metadata().fields().at("route").string_value(),
                absl::StrCat("r", r));
    }
  }
}

TEST_P(ExtAuthzServiceTest, NoServingStateIsUnavailable) {
  ServingStateHolder empty;
  ServerSection section;
  section.listen = "127.0.0.1:0";
  section.threading = GetParam();
  auto server = GrpcServer::Start(section, grpc::InsecureServerCredentials(),
                                  ServiceContext{.state = &empty});
  ASSERT_TRUE(server.ok()) << server.status();
  auto stub = authv3::Authorization::NewStub(
      grpc::CreateChannel("127.0.0.1:" + std::to_string((*server)->port()),
                          grpc::InsecureChannelCredentials()));
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  authv3::CheckResponse resp;
  grpc::Status status = stub->Check(&ctx, Request("GET", "/"), &resp);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE);
}

class ExtAuthzDefaultPolicyTest : public ExtAuthzServiceTest {
 protected:
  void SetUp() override { Start(""); }
};

TEST_P(ExtAuthzDefaultPolicyTest, AnyProviderBearerTokenIsEnough) {
  EXPECT_EQ(
      Call(Request("GET", "/a", {{"authorization", "Bearer " + env_->Token()}}))
          .status()
          .code(),
      0);
  authv3::CheckResponse resp = Call(Request(
      "POST", "/b", {{"authorization", "Bearer " + env_->Token({}, "other")}}));
  EXPECT_EQ(resp.status().code(), 0);
  EXPECT_THAT(resp.ok_response().headers(), IsEmpty());
  EXPECT_EQ(resp.dynamic_metadata().fields().at("provider").string_value(),
            "other");
  EXPECT_EQ(Call(Request("GET", "/", {{"cookie", "session=" + env_->Token()}}))
                .status()
                .code(),
            16);
}

std::string ThreadingName(const testing::TestParamInfo<ServerThreading>& p) {
  return p.param == ServerThreading::kAsync ? "Async" : "Callback";
}

INSTANTIATE_TEST_SUITE_P(Threading, ExtAuthzServiceTest,
                         testing::Values(ServerThreading::kAsync,
                                         ServerThreading::kCallback),
                         ThreadingName);
INSTANTIATE_TEST_SUITE_P(Threading, ExtAuthzDefaultPolicyTest,
                         testing::Values(ServerThreading::kAsync,
                                         ServerThreading::kCallback),
                         ThreadingName);

TEST(BearerChallengeTest, QuotesAreEscapedAndControlCharsDropped) {
  EXPECT_EQ(BearerChallenge("invalid_token", "a \"b\" \\c\r\n"),
            R"(Bearer error="invalid_token", error_description="a \"b\" \\c")");
  EXPECT_EQ(BearerChallenge("insufficient_scope", "", "s1"),
            R"(Bearer error="insufficient_scope", scope="s1")");
}

}  // namespace
}  // namespace jwtauth::server
