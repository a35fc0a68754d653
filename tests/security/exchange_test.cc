// Attack suite: token exchange (IssueToken with subject_token). Exchange is a
// policy in the RFC 8693 spirit: off unless enabled, subject tokens only from
// allow-listed providers, audiences only from an allow-list, `subject` bound to
// the subject token's "sub", the new token records its origin, and the caller
// may be required to authenticate. Everything goes through the production
// wiring (SecurityServer).

#include <map>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "core/base64url.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/security/security_server.h"
#include "tests/testutil/test_keys.h"

namespace jwtauth::testing {
namespace {

using ::testing::HasSubstr;

constexpr char kOwnIssuer[] = "https://auth.test";

// Providers: "own" (the service's issuer), "idp" (a trusted identity
// provider whose tokens may be exchanged) and "partner" (a partner whose
// tokens this service accepts for Verify only).
struct Keys {
  testutil::TestKey idp = testutil::GenerateTestKey(Algorithm::kEs256, "idp-1");
  testutil::TestKey partner =
      testutil::GenerateTestKey(Algorithm::kEs256, "partner-1");
};

std::string Providers() {
  return absl::StrCat(R"(
signing: {ephemeral: true, ephemeral_alg: ES256, ephemeral_kid: own-1, issuer: )",
                      kOwnIssuer, R"(}
providers:
  - {name: own, issuers: [https://auth.test], audiences: [api://gateway]}
  - {name: idp, issuers: [https://idp.test], audiences: [api://gateway],
     keys: [{kid: idp-1, alg: ES256, public_key_file: "{dir}/idp.pem"}]}
  - {name: partner, issuers: [https://partner.test], audiences: [api://gateway],
     keys: [{kid: partner-1, alg: ES256, public_key_file: "{dir}/partner.pem"}]}
)");
}

std::map<std::string, std::string> Files(const Keys& k) {
  return {{"idp.pem", *k.idp.private_key.PublicPem()},
          {"partner.pem", *k.partner.private_key.PublicPem()}};
}

std::string Token(const testutil::TestKey& key, absl::string_view iss,
                  absl::string_view sub) {
  const int64_t now = absl::ToUnixSeconds(absl::Now());
  nlohmann::json claims = {
      {"iss", iss}, {"sub", sub},       {"aud", "api://gateway"},
      {"iat", now}, {"exp", now + 600}, {"scope", "orders.read"}};
  return testutil::SignJws(key, claims.dump(), {{"typ", "JWT"}});
}

constexpr char kPolicy[] = R"(
issue:
  exchange:
    enabled: true
    allowed_providers: [idp]
    allowed_audiences: [api://orders, api://billing]
)";

std::unique_ptr<SecurityServer> StartOrDie(const std::string& config,
                                           const Keys& keys) {
  auto s = SecurityServer::Start(config, Files(keys));
  EXPECT_TRUE(s.ok()) << s.status();
  return s.ok() ? *std::move(s) : nullptr;
}

v1::IssueTokenRequest Exchange(const std::string& subject_token,
                               std::initializer_list<const char*> audiences) {
  v1::IssueTokenRequest req;
  req.set_subject_token(subject_token);
  for (const char* a : audiences) req.add_audiences(a);
  return req;
}

nlohmann::json Payload(const std::string& token) {
  size_t a = token.find('.');
  size_t b = token.find('.', a + 1);
  auto text = Base64UrlDecode(token.substr(a + 1, b - a - 1));
  return nlohmann::json::parse(text.value_or(""), nullptr, false);
}

// Exchange policy: a config without `issue.exchange` must not mint tokens
// from a partner token (exchange was on by default).
TEST(ExchangeAttack, PartnerTokenExchangeUnderDefaultConfigIsRefused) {
  Keys keys;
  auto s = StartOrDie(Providers(), keys);
  ASSERT_NE(s, nullptr);
  // The partner token itself is valid for Verify...
  ASSERT_TRUE(
      s->Verify(Token(keys.partner, "https://partner.test", "p-user")).valid());
  // ...but it does not become a first-party token for any audience.
  v1::IssueTokenResponse resp;
  grpc::Status st = s->IssueToken(
      Exchange(Token(keys.partner, "https://partner.test", "p-user"),
               {"api://admin"}),
      &resp);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::PERMISSION_DENIED)
      << "issued: " << resp.token();
  EXPECT_THAT(st.error_message(), HasSubstr("exchange is disabled"));
  EXPECT_TRUE(resp.token().empty());
}

// Exchange policy: a token of a provider not in allowed_providers is
// refused, even for an allowed audience.
TEST(ExchangeAttack, PartnerTokenOfProviderNotAllowedIsRefused) {
  Keys keys;
  auto s = StartOrDie(Providers() + kPolicy, keys);
  ASSERT_NE(s, nullptr);
  v1::IssueTokenResponse resp;
  grpc::Status st = s->IssueToken(
      Exchange(Token(keys.partner, "https://partner.test", "p-user"),
               {"api://orders"}),
      &resp);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::PERMISSION_DENIED)
      << "issued: " << resp.token();
  EXPECT_TRUE(resp.token().empty());
  // A partner key presenting itself under the idp's issuer is refused too.
  st = s->IssueToken(Exchange(Token(keys.partner, "https://idp.test", "p-user"),
                              {"api://orders"}),
                     &resp);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::PERMISSION_DENIED);
}

// Exchange policy: the requested audiences must all be allow-listed.
TEST(ExchangeAttack, AudienceNotAllowedIsRefused) {
  Keys keys;
  auto s = StartOrDie(Providers() + kPolicy, keys);
  ASSERT_NE(s, nullptr);
  const std::string idp = Token(keys.idp, "https://idp.test", "alice");
  v1::IssueTokenResponse resp;
  grpc::Status st = s->IssueToken(Exchange(idp, {"api://admin"}), &resp);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::PERMISSION_DENIED)
      << "issued: " << resp.token();
  EXPECT_THAT(st.error_message(), HasSubstr("api://admin"));
  // One allowed and one not: still refused (every audience must be allowed).
  st = s->IssueToken(Exchange(idp, {"api://orders", "api://admin"}), &resp);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  // No audience at all would be an unrestricted token: refused.
  st = s->IssueToken(Exchange(idp, {}), &resp);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(st.error_message(), HasSubstr("audience"));
  EXPECT_TRUE(resp.token().empty());
}

// Exchange policy: `subject` must be empty or equal the subject token's sub.
TEST(ExchangeAttack, SubjectMismatchIsInvalidArgument) {
  Keys keys;
  auto s = StartOrDie(Providers() + kPolicy, keys);
  ASSERT_NE(s, nullptr);
  v1::IssueTokenRequest req =
      Exchange(Token(keys.idp, "https://idp.test", "alice"), {"api://orders"});
  req.set_subject("admin");
  v1::IssueTokenResponse resp;
  grpc::Status st = s->IssueToken(req, &resp);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
      << "issued: " << resp.token();
  EXPECT_TRUE(resp.token().empty());
  req.set_subject("alice");  // equal: fine
  st = s->IssueToken(req, &resp);
  ASSERT_TRUE(st.ok()) << st.error_message();
  EXPECT_EQ(Payload(resp.token())["sub"], "alice");
}

// Exchange policy: an allowed exchange works, verifies as a first-party
// token and records where it came from (src_iss / src_sub).
TEST(ExchangeAttack, AllowedExchangeRecordsOrigin) {
  Keys keys;
  auto s = StartOrDie(Providers() + kPolicy, keys);
  ASSERT_NE(s, nullptr);
  v1::IssueTokenResponse resp;
  grpc::Status st = s->IssueToken(
      Exchange(Token(keys.idp, "https://idp.test", "alice"), {"api://orders"}),
      &resp);
  ASSERT_TRUE(st.ok()) << st.error_message();
  EXPECT_EQ(resp.mode(), "exchange");
  nlohmann::json claims = Payload(resp.token());
  EXPECT_EQ(claims["iss"], kOwnIssuer);
  EXPECT_EQ(claims["aud"], "api://orders");
  EXPECT_EQ(claims["sub"], "alice");
  EXPECT_EQ(claims["src_iss"], "https://idp.test");
  EXPECT_EQ(claims["src_sub"], "alice");
  v1::VerifyResponse v = s->Verify(resp.token(), "api://orders");
  EXPECT_TRUE(v.valid()) << v.detail();
  EXPECT_EQ(v.provider(), "own");
  // The new token is from provider "own", not allowed: no chained exchange.
  v1::IssueTokenResponse again;
  st = s->IssueToken(Exchange(resp.token(), {"api://orders"}), &again);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::PERMISSION_DENIED);
}

// Exchange policy: with require_caller, an anonymous caller cannot exchange;
// a caller token with the required scope can (same check as direct mode).
TEST(ExchangeAttack, RequireCallerRefusesAnonymousCallers) {
  Keys keys;
  auto s = StartOrDie(Providers() + R"(
issue:
  exchange:
    enabled: true
    allowed_providers: [idp]
    allowed_audiences: [api://orders]
    require_caller: true
    required_scope: gateway.exchange
    caller_providers: [partner]
)",
                      keys);
  ASSERT_NE(s, nullptr);
  v1::IssueTokenRequest req =
      Exchange(Token(keys.idp, "https://idp.test", "alice"), {"api://orders"});
  v1::IssueTokenResponse resp;
  grpc::Status st = s->IssueToken(req, &resp);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::PERMISSION_DENIED)
      << "issued: " << resp.token();
  // A caller token without the scope (scope: orders.read) is refused.
  std::string weak = Token(keys.partner, "https://partner.test", "svc");
  st = s->IssueToken(req, &resp, {{"authorization", "Bearer " + weak}});
  EXPECT_EQ(st.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(st.error_message(), HasSubstr("gateway.exchange"));
  // A caller token carrying the scope is accepted.
  const int64_t now = absl::ToUnixSeconds(absl::Now());
  std::string caller =
      testutil::SignJws(keys.partner,
                        nlohmann::json{{"iss", "https://partner.test"},
                                       {"sub", "gateway"},
                                       {"aud", "api://gateway"},
                                       {"iat", now},
                                       {"exp", now + 600},
                                       {"scope", "gateway.exchange"}}
                            .dump(),
                        {{"typ", "JWT"}});
  st = s->IssueToken(req, &resp, {{"authorization", "Bearer " + caller}});
  ASSERT_TRUE(st.ok()) << st.error_message();
  EXPECT_EQ(Payload(resp.token())["src_iss"], "https://idp.test");
}

// Exchange policy: an exchange policy that names an unknown provider, or
// lacks the allow-lists, is a config error naming the field.
TEST(ExchangeAttack, IncompletePolicyIsAConfigError) {
  Keys keys;
  auto s = SecurityServer::Start(
      Providers() + "issue: {exchange: {enabled: true}}\n", Files(keys));
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(s.status().message(),
              HasSubstr("issue.exchange.allowed_providers"));
  s = SecurityServer::Start(Providers() + R"(
issue:
  exchange: {enabled: true, allowed_providers: [nobody],
             allowed_audiences: [api://orders]}
)",
                            Files(keys));
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(s.status().message(),
              HasSubstr("issue.exchange.allowed_providers[0]"));
  EXPECT_THAT(s.status().message(), HasSubstr("nobody"));
}

// Who may call IssueToken (same class as exchange): a direct-mode caller token
// was accepted from ANY provider, so a partner IdP able to put "jwtauth.issue"
// into its own tokens could mint first-party tokens for any subject and
// audience. Caller tokens now count only from issue.direct.caller_providers
// (none by default: mTLS only).
TEST(IssueCallerAttack, PartnerCallerTokenCannotAuthorizeDirectIssuing) {
  Keys keys;
  const std::string direct = R"(
issue:
  direct: {enabled: true, required_scope: jwtauth.issue}
)";
  auto s = StartOrDie(Providers() + direct, keys);
  ASSERT_NE(s, nullptr);
  const int64_t now = absl::ToUnixSeconds(absl::Now());
  auto caller = [&](const testutil::TestKey& key, absl::string_view iss) {
    return testutil::SignJws(key, nlohmann::json{{"iss", iss},
                                                 {"sub", "svc"},
                                                 {"aud", "api://gateway"},
                                                 {"iat", now},
                                                 {"exp", now + 600},
                                                 {"scope", "jwtauth.issue"}}
                                      .dump());
  };
  v1::IssueTokenRequest req;
  req.set_subject("admin");
  req.add_audiences("api://admin");
  v1::IssueTokenResponse resp;
  const std::string partner = caller(keys.partner, "https://partner.test");
  grpc::Status st =
      s->IssueToken(req, &resp, {{"authorization", "Bearer " + partner}});
  EXPECT_EQ(st.error_code(), grpc::StatusCode::PERMISSION_DENIED)
      << "issued: " << resp.token();
  EXPECT_THAT(st.error_message(), HasSubstr("caller_providers"));

  // Listing the IdP admits its callers, and still not the partner's.
  auto listed = StartOrDie(Providers() + R"(
issue:
  direct: {enabled: true, required_scope: jwtauth.issue, caller_providers: [idp]}
)",
                           keys);
  ASSERT_NE(listed, nullptr);
  st = listed->IssueToken(req, &resp, {{"authorization", "Bearer " + partner}});
  EXPECT_EQ(st.error_code(), grpc::StatusCode::PERMISSION_DENIED)
      << "issued: " << resp.token();
  const std::string idp = caller(keys.idp, "https://idp.test");
  st = listed->IssueToken(req, &resp, {{"authorization", "Bearer " + idp}});
  ASSERT_TRUE(st.ok()) << st.error_message();
  EXPECT_EQ(Payload(resp.token())["sub"], "admin");
}

// issue.*.caller_providers must name configured providers.
TEST(IssueCallerAttack, UnknownCallerProviderIsAConfigError) {
  Keys keys;
  auto s = SecurityServer::Start(Providers() + R"(
issue:
  direct: {enabled: true, caller_providers: [idp, nobody]}
)",
                                 Files(keys));
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(std::string(s.status().message()),
              HasSubstr("issue.direct.caller_providers[1]: unknown provider "
                        "\"nobody\""));
}

}  // namespace
}  // namespace jwtauth::testing
