// AuthService through the generated stubs against an in-process gRPC server
// on 127.0.0.1:0, with real core components (KeyStore, TokenVerifier,
// TokenIssuer, OpenSSL keys), a FakeClock, real Metrics and a capturing
// Logger. The mTLS tests use a CA, server and client certificates made in
// memory at test time (tests/testutil/test_ca.h).

#include "server/auth_service.h"

#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "core/base64url.h"
#include "core/issuer.h"
#include "core/key_store.h"
#include "core/verifier.h"
#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "jwtauth/v1/auth.grpc.pb.h"
#include "server/config.h"
#include "server/grpc_server.h"
#include "server/logging.h"
#include "server/metrics.h"
#include "server/proto_json.h"
#include "tests/testutil/claim_match_cases.h"
#include "tests/testutil/fake_clock.h"
#include "tests/testutil/test_ca.h"
#include "tests/testutil/test_keys.h"

namespace jwtauth::server {
namespace {

using ::jwtauth::testutil::CertifiedKey;
using ::jwtauth::testutil::ClaimMatchCase;
using ::jwtauth::testutil::ClaimMatchCases;
using ::jwtauth::testutil::ClientCert;
using ::jwtauth::testutil::FakeClock;
using ::jwtauth::testutil::GenerateTestKey;
using ::jwtauth::testutil::LeafOptions;
using ::jwtauth::testutil::ServerCert;
using ::jwtauth::testutil::SignJws;
using ::jwtauth::testutil::SignJwsWithHeader;
using ::jwtauth::testutil::TestCa;
using ::jwtauth::testutil::TestKey;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kIssuer[] = "https://issuer.test";
constexpr char kStrictIssuer[] = "https://strict.test";
constexpr char kAudience[] = "api://orders";
// A known HMAC secret, to prove its bytes never leave ListKeys.
constexpr char kKnownSecret[] = "known-hmac-secret-0123456789-abcdefgh";

// (ExtractBearerOrRawToken: tests/core/bearer_token_test.cc.)

// ---- In-process server fixture --------------------------------------------

// CA + server cert (SAN DNS:localhost, IP:127.0.0.1) + three client certs,
// all in memory (tests/testutil/test_ca.h).
struct MtlsCerts {
  std::string ca, server_cert, server_key;
  std::string allowed_cert,
      allowed_key;                    // SAN URI spiffe://jwtauth.test/issuer
  std::string dns_cert, dns_key;      // SAN DNS issuer.client.test
  std::string other_cert, other_key;  // SAN URI spiffe://jwtauth.test/other

  static MtlsCerts Create() {
    MtlsCerts certs;
    auto ca = TestCa::Create();
    if (!ca.ok()) {
      ADD_FAILURE() << ca.status();
      return certs;
    }
    auto issue = [&](const LeafOptions& options, std::string& cert,
                     std::string& key) {
      absl::StatusOr<CertifiedKey> leaf = (*ca)->Issue(options);
      if (!leaf.ok()) {
        ADD_FAILURE() << leaf.status();
        return;
      }
      cert = leaf->cert_pem;
      key = leaf->key_pem;
    };
    certs.ca = (*ca)->cert_pem();
    issue(ServerCert("server"), certs.server_cert, certs.server_key);
    issue(ClientCert("allowed", {.uris = {"spiffe://jwtauth.test/issuer"}}),
          certs.allowed_cert, certs.allowed_key);
    issue(ClientCert("dns", {.dns = {"issuer.client.test"}}), certs.dns_cert,
          certs.dns_key);
    issue(ClientCert("other", {.uris = {"spiffe://jwtauth.test/other"}}),
          certs.other_cert, certs.other_key);
    return certs;
  }
};

// Runs on both transports (server.threading async and callback).
class AuthServiceTest : public ::testing::TestWithParam<ServerThreading> {
 protected:
  AuthServiceTest()
      : logger_(LogLevel::kDebug, [this](absl::string_view line) {
          absl::MutexLock lock(&log_mu_);
          log_ += std::string(line);
        }) {}

  void SetUp() override {
    now_ = clock_.Now();
    absl::StatusOr<SigningKey> signing = SigningKey::Create(
        Algorithm::kEs256, "sign-1", signing_tk_.private_key);
    ASSERT_TRUE(signing.ok()) << signing.status();
    signing_key_ = std::make_unique<SigningKey>(*signing);

    absl::StatusOr<Key> sign_verify = signing_key_->VerificationKey(now_);
    ASSERT_TRUE(sign_verify.ok()) << sign_verify.status();
    store_.SetSourceKeys("default", signing_key_->source_id(), {*sign_verify});
    store_.SetSourceKeys("default", "inline:es-1", {es_.key});
    store_.SetSourceKeys("strict", "inline:hs-1", {hs_.key});
    auto secret = crypto::KeyMaterial::FromSecret(kKnownSecret);
    ASSERT_TRUE(secret.ok()) << secret.status();
    KeyOptions known_opts;
    known_opts.kid = "hs-known";
    known_opts.alg = Algorithm::kHs256;
    known_opts.source = "inline";
    auto known = Key::Create(known_opts, *secret);
    ASSERT_TRUE(known.ok()) << known.status();
    store_.SetSourceKeys("strict", "inline:hs-known", {*known});
    store_.MarkSourcePending("pending", "jwks:https://idp.pending.test/keys");

    ProviderOptions def;
    def.name = "default";
    def.issuers = {kIssuer};
    def.audiences = {kAudience};
    def.max_lifetime = absl::Hours(24);
    def.required_claims = {"sub"};
    def.metadata = {MetadataMapping{"org.id", "org_id", false}};
    ProviderOptions strict;
    strict.name = "strict";
    strict.issuers = {kStrictIssuer};
    strict.audiences = {kAudience};
    strict.subject = SubjectRule{SubjectRule::Kind::kPrefix, {"user-"}};
    strict.claim_rules = {
        ClaimRule{"tier", ClaimRule::Op::kOneOf, {"gold", "silver"}}};
    ProviderOptions pending;
    pending.name = "pending";
    pending.issuers = {"https://pending.test"};
    pending.audiences = {kAudience};

    VerifierConfig vc;
    vc.providers = {def, strict, pending};
    vc.key_store = &store_;
    vc.clock = &clock_;
    auto verifier = TokenVerifier::Create(std::move(vc));
    ASSERT_TRUE(verifier.ok()) << verifier.status();
    verifier_ = std::shared_ptr<const TokenVerifier>(std::move(*verifier));

    IssuerOptions io;
    io.issuer = kIssuer;
    io.default_ttl = absl::Minutes(15);
    io.max_ttl = absl::Hours(1);
    io.exchange.max_ttl = absl::Minutes(30);
    io.exchange.claim_allowlist = {"sub", "scope"};
    io.exchange.allowed_providers = {"default"};
    io.exchange.allowed_audiences = {kAudience, "api://billing"};
    auto issuer = TokenIssuer::Create(io, *signing_key_, &clock_);
    ASSERT_TRUE(issuer.ok()) << issuer.status();
    issuer_ = std::shared_ptr<const TokenIssuer>(std::move(*issuer));

    Publish(IssuePolicy{}, /*with_issuer=*/true);
  }

  void TearDown() override {
    server_.reset();
    // No log line may contain a token we handed to the service.
    absl::MutexLock lock(&log_mu_);
    for (const std::string& t : tokens_used_) {
      if (t.size() > 20) {
        EXPECT_THAT(log_, Not(HasSubstr(t.substr(t.rfind('.') + 1))));
      }
    }
  }

  void Publish(IssuePolicy policy, bool with_issuer) {
    auto state = std::make_shared<ServingState>();
    state->generation = ++generation_;
    state->verifier = verifier_;
    state->issuer = with_issuer ? issuer_ : nullptr;
    state->issue_policy = std::move(policy);
    holder_.Publish(state);
  }

  // Exchange of provider "default" tokens to kAudience / api://billing
  // (issue.exchange), on top of `base`.
  IssuePolicy ExchangePolicy(IssuePolicy base = {}) {
    base.exchange_enabled = true;
    base.exchange_allowed_providers = {"default"};
    base.exchange_allowed_audiences = {kAudience, "api://billing"};
    return base;
  }

  IssuePolicy DirectPolicy() {
    IssuePolicy p;
    p.direct_enabled = true;
    p.allowed_identities = {"spiffe://jwtauth.test/issuer",
                            "issuer.client.test"};
    p.required_scope = "jwtauth.issue";
    p.caller_providers = {"default"};
    return p;
  }

  void StartServer(std::shared_ptr<grpc::ServerCredentials> creds =
                       grpc::InsecureServerCredentials()) {
    server_ = Serve(context_, std::move(creds));
    ASSERT_NE(server_, nullptr);
    port_ = server_->port();
  }

  // The production listener on 127.0.0.1:0 with this test's transport.
  std::unique_ptr<GrpcServer> Serve(
      ServiceContext context, std::shared_ptr<grpc::ServerCredentials> creds =
                                  grpc::InsecureServerCredentials()) {
    ServerSection section;
    section.listen = "127.0.0.1:0";
    section.threading = GetParam();
    auto server = GrpcServer::Start(section, std::move(creds), context);
    EXPECT_TRUE(server.ok()) << server.status();
    return server.ok() ? *std::move(server) : nullptr;
  }

  std::unique_ptr<v1::AuthService::Stub> InsecureStub() {
    if (server_ == nullptr) StartServer();
    return v1::AuthService::NewStub(grpc::CreateChannel(
        absl::StrCat("127.0.0.1:", port_), grpc::InsecureChannelCredentials()));
  }

  // Claims with sane defaults; `overrides` replaces/adds members (null
  // removes).
  nlohmann::json Claims(
      const nlohmann::json& overrides = nlohmann::json::object(),
      const char* iss = kIssuer) {
    const int64_t now = absl::ToUnixSeconds(now_);
    nlohmann::json c = {{"iss", iss},       {"sub", "user-1"},
                        {"aud", kAudience}, {"iat", now},
                        {"exp", now + 600}, {"org", {{"id", "o-7"}}}};
    for (const auto& [k, v] : overrides.items()) {
      if (v.is_null()) {
        c.erase(k);
      } else {
        c[k] = v;
      }
    }
    return c;
  }
  std::string Token(const nlohmann::json& claims,
                    const TestKey* key = nullptr) {
    std::string t = SignJws(key != nullptr ? *key : es_, claims.dump());
    tokens_used_.push_back(t);
    return t;
  }

  grpc::Status CallVerify(v1::AuthService::Stub& stub, const std::string& token,
                          v1::VerifyResponse* resp,
                          const std::string& provider = "",
                          const std::string& audience = "") {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() +
                     std::chrono::seconds(10));
    v1::VerifyRequest req;
    req.set_token(token);
    req.set_provider(provider);
    req.set_audience(audience);
    return stub.Verify(&ctx, req, resp);
  }

  grpc::Status CallIssue(v1::AuthService::Stub& stub,
                         const v1::IssueTokenRequest& req,
                         v1::IssueTokenResponse* resp,
                         const std::string& caller_token = "") {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() +
                     std::chrono::seconds(10));
    if (!caller_token.empty()) {
      ctx.AddMetadata("authorization", "Bearer " + caller_token);
    }
    return stub.IssueToken(&ctx, req, resp);
  }

  std::string Log() {
    absl::MutexLock lock(&log_mu_);
    return log_;
  }

  FakeClock clock_;
  absl::Time now_;
  KeyStore store_{&clock_};
  TestKey es_ = GenerateTestKey(Algorithm::kEs256, "es-1");
  TestKey hs_ = GenerateTestKey(Algorithm::kHs256, "hs-1");
  TestKey signing_tk_ = GenerateTestKey(Algorithm::kEs256, "sign-1");
  std::unique_ptr<SigningKey> signing_key_;
  std::shared_ptr<const TokenVerifier> verifier_;
  std::shared_ptr<const TokenIssuer> issuer_;
  ServingStateHolder holder_;
  uint64_t generation_ = 0;
  Metrics metrics_{BuildInfo{"test", "test"}, &clock_};
  absl::Mutex log_mu_;
  std::string log_ ABSL_GUARDED_BY(log_mu_);
  Logger logger_;
  ServiceContext context_{&holder_, &store_, &metrics_, &logger_};
  std::unique_ptr<GrpcServer> server_;
  int port_ = 0;
  std::vector<std::string> tokens_used_;
};

// ---- Verify ---------------------------------------------------------------

TEST_P(AuthServiceTest, VerifyValidTokenReturnsClaimsAndKeyInfo) {
  auto stub = InsecureStub();
  v1::VerifyResponse r;
  ASSERT_TRUE(CallVerify(*stub, Token(Claims()), &r).ok());
  EXPECT_TRUE(r.valid()) << r.detail();
  EXPECT_EQ(r.reason(), v1::FAILURE_REASON_UNSPECIFIED);
  EXPECT_EQ(r.detail(), "");
  EXPECT_EQ(r.provider(), "default");
  EXPECT_EQ(r.kid(), "es-1");
  EXPECT_EQ(r.alg(), "ES256");
  EXPECT_EQ(r.claims().fields().at("sub").string_value(), "user-1");
  EXPECT_EQ(nlohmann::json::parse(r.claims_json()), Claims());
  EXPECT_EQ(r.expires_at().seconds(), absl::ToUnixSeconds(now_) + 600);
  EXPECT_EQ(r.metadata().at("org_id"), "o-7");
  EXPECT_EQ(metrics_.RpcCount("Verify", "OK"), 1u);
}

TEST_P(AuthServiceTest, VerifyAcceptsBearerFormWithAnySchemeCase) {
  auto stub = InsecureStub();
  const std::string t = Token(Claims());
  for (const std::string& v :
       {"Bearer " + t, "bearer " + t, "BEARER " + t, "Bearer  " + t}) {
    v1::VerifyResponse r;
    ASSERT_TRUE(CallVerify(*stub, v, &r).ok());
    EXPECT_TRUE(r.valid()) << v.substr(0, 10) << ": " << r.detail();
  }
  v1::VerifyResponse r;
  ASSERT_TRUE(CallVerify(*stub, "Bearer", &r).ok());
  EXPECT_EQ(r.reason(), v1::TOKEN_MISSING);
  ASSERT_TRUE(CallVerify(*stub, "Bearer" + t, &r).ok());
  EXPECT_FALSE(r.valid());
}

TEST_P(AuthServiceTest, VerifyProviderRestrictsProvidersTried) {
  auto stub = InsecureStub();
  const std::string t = Token(Claims());
  v1::VerifyResponse r;
  ASSERT_TRUE(CallVerify(*stub, t, &r, "default").ok());
  EXPECT_TRUE(r.valid()) << r.detail();
  r.Clear();
  ASSERT_TRUE(CallVerify(*stub, t, &r, "strict").ok());
  EXPECT_FALSE(r.valid());
  EXPECT_NE(r.reason(), v1::FAILURE_REASON_UNSPECIFIED);
}

TEST_P(AuthServiceTest, VerifyUnknownProviderIsInvalidArgument) {
  auto stub = InsecureStub();
  v1::VerifyResponse r;
  grpc::Status s = CallVerify(*stub, Token(Claims()), &r, "no-such-provider");
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(s.error_message(), "unknown provider");
  EXPECT_EQ(metrics_.RpcCount("Verify", "INVALID_ARGUMENT"), 1u);
}

TEST_P(AuthServiceTest, VerifyAudienceNarrowsTheExpectedAudience) {
  auto stub = InsecureStub();
  const std::string t =
      Token(Claims({{"aud", {"api://orders", "api://billing"}}}));
  v1::VerifyResponse r;
  ASSERT_TRUE(CallVerify(*stub, t, &r, "", "api://billing").ok());
  EXPECT_TRUE(r.valid()) << r.detail();
  r.Clear();
  ASSERT_TRUE(CallVerify(*stub, t, &r, "", "api://payments").ok());
  EXPECT_FALSE(r.valid());
  EXPECT_EQ(r.reason(), v1::AUDIENCE_MISMATCH);
}

TEST_P(AuthServiceTest, EveryFailureReasonIsReachableThroughVerify) {
  auto stub = InsecureStub();
  const int64_t now = absl::ToUnixSeconds(now_);
  const std::string good = Token(Claims());
  std::string flipped = good;
  flipped[flipped.rfind('.') + 3] =
      flipped[flipped.rfind('.') + 3] == 'A' ? 'B' : 'A';
  const std::string strict_base =
      Token(Claims({{"sub", "user-9"}, {"tier", "gold"}}, kStrictIssuer), &hs_);

  struct Case {
    v1::FailureReason want;
    std::string token;
    std::string provider;
  };
  std::vector<Case> cases = {
      {v1::TOKEN_MISSING, "", ""},
      {v1::TOKEN_TOO_LARGE, Token(Claims({{"pad", std::string(9000, 'x')}})),
       ""},
      {v1::MALFORMED, "not-a-jwt", ""},
      {v1::UNSUPPORTED_ALGORITHM,
       absl::StrCat(Base64UrlEncode(R"({"alg":"none"})"), ".",
                    Base64UrlEncode(Claims().dump()), ".c2lnbmF0dXJl"),
       ""},
      {v1::HEADER_REJECTED,
       SignJws(es_, Claims().dump(),
               {{"crit", {"x-unknown"}}, {"x-unknown", 1}}),
       ""},
      {v1::KEY_NOT_FOUND, SignJws(es_, Claims().dump(), {{"kid", "nope"}}), ""},
      {v1::SIGNATURE_INVALID, flipped, ""},
      {v1::EXPIRED, Token(Claims({{"exp", now - 3600}, {"iat", now - 7200}})),
       ""},
      {v1::NOT_YET_VALID, Token(Claims({{"nbf", now + 3600}})), ""},
      {v1::ISSUED_IN_FUTURE,
       Token(Claims({{"iat", now + 3600}, {"exp", now + 7200}})), ""},
      {v1::LIFETIME_TOO_LONG, Token(Claims({{"exp", now + 48 * 3600}})), ""},
      {v1::ISSUER_MISMATCH, Token(Claims({{"iss", "https://evil.test"}})),
       "default"},
      {v1::AUDIENCE_MISMATCH, Token(Claims({{"aud", "api://other"}})), ""},
      {v1::SUBJECT_MISMATCH,
       Token(Claims({{"sub", "admin-1"}, {"tier", "gold"}}, kStrictIssuer),
             &hs_),
       ""},
      {v1::CLAIM_MISSING, Token(Claims({{"sub", nullptr}})), ""},
      {v1::CLAIM_INVALID,
       Token(Claims({{"sub", "user-9"}, {"tier", "bronze"}}, kStrictIssuer),
             &hs_),
       ""},
      {v1::KEYS_UNAVAILABLE, Token(Claims({{"iss", "https://pending.test"}})),
       ""},
  };
  std::set<int> covered;
  for (const Case& c : cases) {
    SCOPED_TRACE(v1::FailureReason_Name(c.want));
    v1::VerifyResponse r;
    grpc::Status s = CallVerify(*stub, c.token, &r, c.provider);
    ASSERT_TRUE(s.ok()) << s.error_message();
    EXPECT_FALSE(r.valid());
    EXPECT_EQ(v1::FailureReason_Name(r.reason()),
              v1::FailureReason_Name(c.want))
        << "detail: " << r.detail();
    EXPECT_FALSE(r.detail().empty());
    EXPECT_FALSE(r.has_claims());
    EXPECT_EQ(r.claims_json(), "");
    if (c.token.size() > 16) {
      EXPECT_THAT(r.detail(),
                  Not(HasSubstr(c.token.substr(c.token.size() - 16))));
    }
    EXPECT_EQ(metrics_.RpcCount("Verify", v1::FailureReason_Name(c.want)), 1u);
    covered.insert(c.want);
  }
  // Sanity: the strict provider accepts a token that follows its rules.
  v1::VerifyResponse ok;
  ASSERT_TRUE(CallVerify(*stub, strict_base, &ok).ok());
  EXPECT_TRUE(ok.valid()) << ok.detail();
  EXPECT_EQ(covered.size(), static_cast<size_t>(kMaxFailureReason));
}

TEST_P(AuthServiceTest, NoPublishedStateIsUnavailable) {
  ServingStateHolder empty;
  auto server = Serve(ServiceContext{&empty, nullptr, nullptr, nullptr});
  ASSERT_NE(server, nullptr);
  auto stub = v1::AuthService::NewStub(
      grpc::CreateChannel(absl::StrCat("127.0.0.1:", server->port()),
                          grpc::InsecureChannelCredentials()));
  v1::VerifyResponse r;
  EXPECT_EQ(CallVerify(*stub, "x", &r).error_code(),
            grpc::StatusCode::UNAVAILABLE);
}

// ---- IssueToken -------------------------------------------------------------

TEST_P(AuthServiceTest, DirectIssuingIsDisabledByDefault) {
  auto stub = InsecureStub();
  v1::IssueTokenRequest req;
  req.set_subject("user-1");
  v1::IssueTokenResponse resp;
  // Even a caller token with the right scope does not help.
  const std::string caller = Token(Claims({{"scope", "jwtauth.issue"}}));
  grpc::Status s = CallIssue(*stub, req, &resp, caller);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(s.error_message(), "direct issuing is disabled");
  EXPECT_EQ(resp.token(), "");
  EXPECT_EQ(metrics_.RpcCount("IssueToken", "PERMISSION_DENIED"), 1u);
}

TEST_P(AuthServiceTest, DirectIssuingWithoutCredentialsIsDenied) {
  Publish(DirectPolicy(), true);
  auto stub = InsecureStub();
  v1::IssueTokenRequest req;
  req.set_subject("user-1");
  v1::IssueTokenResponse resp;
  EXPECT_EQ(CallIssue(*stub, req, &resp).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
}

TEST_P(AuthServiceTest,
       DirectIssuingWithScopedCallerTokenIssuesAVerifiableToken) {
  Publish(DirectPolicy(), true);
  auto stub = InsecureStub();
  v1::IssueTokenRequest req;
  req.set_subject("user-42");
  req.add_audiences(kAudience);
  *req.mutable_ttl() = ToProtoDuration(absl::Minutes(5));
  auto claims = JsonToStruct({{"role", "reader"}, {"n", 3}});
  ASSERT_TRUE(claims.ok());
  *req.mutable_claims() = *claims;

  for (const nlohmann::json& scope :
       {nlohmann::json("read jwtauth.issue"),
        nlohmann::json::array({"jwtauth.issue"})}) {
    SCOPED_TRACE(scope.dump());
    v1::IssueTokenResponse resp;
    grpc::Status s =
        CallIssue(*stub, req, &resp, Token(Claims({{"scope", scope}})));
    ASSERT_TRUE(s.ok()) << s.error_message();
    tokens_used_.push_back(resp.token());
    EXPECT_EQ(resp.kid(), "sign-1");
    EXPECT_EQ(resp.alg(), "ES256");
    EXPECT_EQ(resp.mode(), "direct");
    EXPECT_EQ(resp.issuer(), kIssuer);
    EXPECT_FALSE(resp.jti().empty());
    EXPECT_EQ(resp.expires_at().seconds(),
              absl::ToUnixSeconds(now_ + absl::Minutes(5)));
    EXPECT_EQ(resp.issued_at().seconds(), absl::ToUnixSeconds(now_));

    v1::VerifyResponse v;
    ASSERT_TRUE(CallVerify(*stub, resp.token(), &v).ok());
    ASSERT_TRUE(v.valid()) << v.detail();
    EXPECT_EQ(v.kid(), "sign-1");
    nlohmann::json got = nlohmann::json::parse(v.claims_json());
    EXPECT_EQ(got["sub"], "user-42");
    EXPECT_EQ(got["role"], "reader");
    EXPECT_EQ(got["n"], 3);
    EXPECT_EQ(got["iss"], kIssuer);
  }
  EXPECT_THAT(Log(), HasSubstr("token_issued"));
}

TEST_P(AuthServiceTest, DirectIssuingCallerTokenWithoutScopeOrInvalidIsDenied) {
  Publish(DirectPolicy(), true);
  auto stub = InsecureStub();
  const int64_t now = absl::ToUnixSeconds(now_);
  v1::IssueTokenRequest req;
  req.set_subject("user-1");
  struct Case {
    std::string caller;
    std::string message_part;
  };
  for (const Case& c : std::vector<Case>{
           {Token(Claims({{"scope", "read write"}})), "lacks scope"},
           {Token(Claims({{"scope", "jwtauth.issuer"}})), "lacks scope"},
           {Token(Claims()), "lacks scope"},
           {Token(Claims({{"scope", "jwtauth.issue"},
                          {"exp", now - 3600},
                          {"iat", now - 7200}})),
            "EXPIRED"},
           {"garbage", "MALFORMED"}}) {
    v1::IssueTokenResponse resp;
    grpc::Status s = CallIssue(*stub, req, &resp, c.caller);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED);
    EXPECT_THAT(s.error_message(), HasSubstr(c.message_part));
    EXPECT_EQ(resp.token(), "");
  }
}

// The caller-scope check is the claim-matching engine's contains on "scope":
// every one-value "scope" row of the shared table (tests/testutil/
// claim_match_cases.h) gives the answer the engine, provider policies and
// ext_authz conditions give.
TEST_P(AuthServiceTest, CallerScopeCheckAgreesWithTheClaimMatcher) {
  auto stub = InsecureStub();
  v1::IssueTokenRequest req;
  req.set_subject("user-1");
  int rows = 0;
  for (const ClaimMatchCase& c : ClaimMatchCases()) {
    if (c.path != "scope" || c.op != ClaimMatchOp::kContains ||
        c.values.size() != 1) {
      continue;
    }
    SCOPED_TRACE(c.name);
    ++rows;
    IssuePolicy policy = DirectPolicy();
    policy.required_scope = c.values.front();
    Publish(policy, true);
    v1::IssueTokenResponse resp;
    grpc::Status s = CallIssue(*stub, req, &resp, Token(Claims(c.claims)));
    EXPECT_EQ(s.ok(), c.match) << s.error_message();
    if (s.ok()) {
      tokens_used_.push_back(resp.token());
    } else {
      EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED);
    }
  }
  EXPECT_GE(rows, 10);
}

TEST_P(AuthServiceTest, DirectIssuingRequestShapeErrorsAreInvalidArgument) {
  Publish(DirectPolicy(), true);
  auto stub = InsecureStub();
  const std::string caller = Token(Claims({{"scope", "jwtauth.issue"}}));
  v1::IssueTokenResponse resp;

  v1::IssueTokenRequest reserved;
  auto claims = JsonToStruct({{"exp", 1}});
  ASSERT_TRUE(claims.ok());
  *reserved.mutable_claims() = *claims;
  EXPECT_EQ(CallIssue(*stub, reserved, &resp, caller).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);

  v1::IssueTokenRequest too_long;
  *too_long.mutable_ttl() = ToProtoDuration(absl::Hours(2));
  EXPECT_EQ(CallIssue(*stub, too_long, &resp, caller).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);

  v1::IssueTokenRequest negative;
  negative.mutable_ttl()->set_seconds(-5);
  EXPECT_EQ(CallIssue(*stub, negative, &resp, caller).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_P(AuthServiceTest, NoSigningKeyIsFailedPrecondition) {
  Publish(ExchangePolicy(DirectPolicy()), /*with_issuer=*/false);
  auto stub = InsecureStub();
  v1::IssueTokenRequest req;
  req.set_subject("user-1");
  v1::IssueTokenResponse resp;
  grpc::Status s =
      CallIssue(*stub, req, &resp, Token(Claims({{"scope", "jwtauth.issue"}})));
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);

  v1::IssueTokenRequest exchange;
  exchange.set_subject_token(Token(Claims()));
  exchange.add_audiences(kAudience);
  s = CallIssue(*stub, exchange, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
}

TEST_P(AuthServiceTest, ExchangeBuildsTheNewTokenOnlyFromVerifiedClaims) {
  Publish(ExchangePolicy(), true);
  auto stub = InsecureStub();
  const int64_t now = absl::ToUnixSeconds(now_);
  const std::string subject = Token(
      Claims({{"scope", "orders.read"}, {"admin", true}, {"exp", now + 300}}));
  v1::IssueTokenRequest req;
  req.set_subject_token(subject);
  req.add_audiences("api://billing");
  *req.mutable_ttl() = ToProtoDuration(absl::Minutes(20));
  auto sneaky = JsonToStruct({{"admin", true}});
  ASSERT_TRUE(sneaky.ok());
  *req.mutable_claims() = *sneaky;  // ignored in exchange mode
  v1::IssueTokenResponse resp;
  grpc::Status s = CallIssue(*stub, req, &resp);
  ASSERT_TRUE(s.ok()) << s.error_message();
  tokens_used_.push_back(resp.token());
  EXPECT_EQ(resp.mode(), "exchange");
  // exp clamped to the subject token's exp.
  EXPECT_EQ(resp.expires_at().seconds(), now + 300);

  v1::VerifyResponse v;
  ASSERT_TRUE(CallVerify(*stub, resp.token(), &v, "", "api://billing").ok());
  ASSERT_TRUE(v.valid()) << v.detail();
  nlohmann::json got = nlohmann::json::parse(v.claims_json());
  EXPECT_EQ(got["sub"], "user-1");
  EXPECT_EQ(got["scope"], "orders.read");
  EXPECT_FALSE(got.contains("admin"));
  EXPECT_FALSE(got.contains("org"));
  EXPECT_EQ(got["src_iss"], kIssuer);  // provenance
  EXPECT_EQ(got["src_sub"], "user-1");
}

TEST_P(AuthServiceTest, ExchangeRejectsBadSubjectTokensAndLongTtl) {
  Publish(ExchangePolicy(), true);
  auto stub = InsecureStub();
  std::string forged = Token(Claims());
  forged[forged.rfind('.') + 2] =
      forged[forged.rfind('.') + 2] == 'A' ? 'B' : 'A';
  v1::IssueTokenRequest req;
  req.set_subject_token(forged);
  req.add_audiences(kAudience);
  v1::IssueTokenResponse resp;
  grpc::Status s = CallIssue(*stub, req, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(s.error_message(), HasSubstr("SIGNATURE_INVALID"));

  v1::IssueTokenRequest too_long;
  too_long.set_subject_token(Token(Claims()));
  *too_long.mutable_ttl() = ToProtoDuration(absl::Minutes(31));
  EXPECT_EQ(CallIssue(*stub, too_long, &resp).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
}

// Token exchange policy: exchange is off unless the policy enables it.
TEST_P(AuthServiceTest, ExchangeIsOffByDefault) {
  Publish(IssuePolicy{}, true);
  auto stub = InsecureStub();
  v1::IssueTokenRequest req;
  req.set_subject_token(Token(Claims()));
  req.add_audiences(kAudience);
  v1::IssueTokenResponse resp;
  grpc::Status s = CallIssue(*stub, req, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(s.error_message(), "token exchange is disabled");
  EXPECT_TRUE(resp.token().empty());
}

// Token exchange policy: provider and audience allow-lists, subject binding.
TEST_P(AuthServiceTest, ExchangeEnforcesProvidersAudiencesAndSubject) {
  Publish(ExchangePolicy(), true);
  auto stub = InsecureStub();
  v1::IssueTokenResponse resp;
  // A valid token of provider "strict" (not allowed).
  v1::IssueTokenRequest other;
  other.set_subject_token(Token(
      Claims({{"sub", "user-9"}, {"tier", "gold"}}, kStrictIssuer), &hs_));
  other.add_audiences(kAudience);
  grpc::Status s = CallIssue(*stub, other, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(s.error_message(), HasSubstr("subject token rejected"));

  v1::IssueTokenRequest req;
  req.set_subject_token(Token(Claims()));
  req.add_audiences("api://admin");  // not allowed
  s = CallIssue(*stub, req, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(s.error_message(), HasSubstr("\"api://admin\" is not allowed"));

  req.clear_audiences();  // none: never an audience-less token
  s = CallIssue(*stub, req, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);

  req.add_audiences(kAudience);
  req.set_subject("user-2");  // the subject token's sub is user-1
  s = CallIssue(*stub, req, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_TRUE(resp.token().empty());
  req.set_subject("user-1");
  s = CallIssue(*stub, req, &resp);
  ASSERT_TRUE(s.ok()) << s.error_message();
  tokens_used_.push_back(resp.token());
}

// Token exchange policy: require_caller uses direct mode's caller check.
TEST_P(AuthServiceTest, ExchangeRequireCallerNeedsTheScope) {
  IssuePolicy p = ExchangePolicy();
  p.exchange_require_caller = true;
  p.exchange_required_scope = "jwtauth.exchange";
  p.exchange_caller_providers = {"default"};
  Publish(p, true);
  auto stub = InsecureStub();
  v1::IssueTokenRequest req;
  req.set_subject_token(Token(Claims()));
  req.add_audiences(kAudience);
  v1::IssueTokenResponse resp;
  grpc::Status s = CallIssue(*stub, req, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(s.error_message(), HasSubstr("token exchange requires"));
  s = CallIssue(*stub, req, &resp, Token(Claims({{"scope", "jwtauth.issue"}})));
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(s.error_message(), HasSubstr("jwtauth.exchange"));
  s = CallIssue(*stub, req, &resp,
                Token(Claims({{"scope", "orders.read jwtauth.exchange"}})));
  ASSERT_TRUE(s.ok()) << s.error_message();
  tokens_used_.push_back(resp.token());
  EXPECT_EQ(resp.mode(), "exchange");
}

// Real mTLS handshakes: the caller's identity comes from its verified
// certificate's SAN, never from anything the caller says.
TEST_P(AuthServiceTest, DirectIssuingByAllowedMtlsIdentity) {
  MtlsCerts pki = MtlsCerts::Create();
  ASSERT_FALSE(pki.ca.empty());
  ASSERT_FALSE(pki.allowed_key.empty());
  Publish(DirectPolicy(), true);
  // The production credentials: files, watched for renewal
  // (server/tls_credentials.h).
  testutil::TempDir dir("mtls");
  ServerSection section;
  section.tls = TlsConfig{.cert_file = dir.Write("server.pem", pki.server_cert),
                          .key_file = dir.Write("server.key", pki.server_key),
                          .client_ca_file = dir.Write("ca.pem", pki.ca),
                          .require_client_cert = true,
                          .location = {}};
  auto creds = GrpcServer::Credentials(section);
  ASSERT_TRUE(creds.ok()) << creds.status();
  StartServer(*creds);

  auto stub_for = [&](const std::string& key, const std::string& cert) {
    grpc::SslCredentialsOptions copts;
    copts.pem_root_certs = pki.ca;
    copts.pem_private_key = key;
    copts.pem_cert_chain = cert;
    grpc::ChannelArguments args;
    args.SetSslTargetNameOverride("localhost");
    return v1::AuthService::NewStub(grpc::CreateCustomChannel(
        absl::StrCat("127.0.0.1:", port_), grpc::SslCredentials(copts), args));
  };
  v1::IssueTokenRequest req;
  req.set_subject("svc-a");
  req.add_audiences(kAudience);

  {  // SAN URI in allowed_identities.
    auto stub = stub_for(pki.allowed_key, pki.allowed_cert);
    v1::IssueTokenResponse resp;
    grpc::Status s = CallIssue(*stub, req, &resp);
    ASSERT_TRUE(s.ok()) << s.error_message();
    tokens_used_.push_back(resp.token());
    EXPECT_EQ(resp.mode(), "direct");
    v1::VerifyResponse v;
    ASSERT_TRUE(CallVerify(*stub, resp.token(), &v).ok());
    EXPECT_TRUE(v.valid()) << v.detail();
    EXPECT_THAT(Log(), HasSubstr("mtls:spiffe://jwtauth.test/issuer"));
  }
  {  // SAN DNS in allowed_identities.
    auto stub = stub_for(pki.dns_key, pki.dns_cert);
    v1::IssueTokenResponse resp;
    grpc::Status s = CallIssue(*stub, req, &resp);
    ASSERT_TRUE(s.ok()) << s.error_message();
  }
  {  // A valid certificate whose identity is not allowed.
    auto stub = stub_for(pki.other_key, pki.other_cert);
    v1::IssueTokenResponse resp;
    grpc::Status s = CallIssue(*stub, req, &resp);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED)
        << s.error_message();
    EXPECT_EQ(resp.token(), "");
    // ...but may still use a scoped caller token over the same channel.
    grpc::Status s2 = CallIssue(*stub, req, &resp,
                                Token(Claims({{"scope", "jwtauth.issue"}})));
    EXPECT_TRUE(s2.ok()) << s2.error_message();
  }
}

// ---- ListKeys
// ----------------------------------------------------------------

void ExpectNoPrivateMembers(const nlohmann::json& j) {
  if (j.is_object()) {
    for (const char* m : {"d", "k", "p", "q", "dp", "dq", "qi", "oth"}) {
      EXPECT_FALSE(j.contains(m))
          << "private member \"" << m << "\" in " << j.dump();
    }
    for (const auto& [k, v] : j.items()) ExpectNoPrivateMembers(v);
  } else if (j.is_array()) {
    for (const auto& v : j) ExpectNoPrivateMembers(v);
  }
}

TEST_P(AuthServiceTest, ListKeysReturnsPublicJwksAndKeyInfo) {
  auto stub = InsecureStub();
  // One verification so usage shows up.
  v1::VerifyResponse v;
  ASSERT_TRUE(CallVerify(*stub, Token(Claims()), &v).ok());
  ASSERT_TRUE(v.valid());

  grpc::ClientContext ctx;
  v1::ListKeysResponse resp;
  ASSERT_TRUE(stub->ListKeys(&ctx, v1::ListKeysRequest(), &resp).ok());
  nlohmann::json jwks = nlohmann::json::parse(resp.jwks_json());
  ASSERT_TRUE(jwks["keys"].is_array());
  std::set<std::string> jwk_kids;
  for (const auto& k : jwks["keys"]) {
    EXPECT_NE(k["kty"], "oct");
    jwk_kids.insert(k.value("kid", ""));
  }
  // Own JWKS: without a provider, only the own signing keys.
  EXPECT_EQ(jwk_kids, (std::set<std::string>{"sign-1"}));
  ExpectNoPrivateMembers(jwks);

  std::map<std::string, v1::KeyInfo> by_kid;
  for (const v1::KeyInfo& k : resp.keys()) by_kid[k.kid()] = k;
  ASSERT_EQ(by_kid.size(), 4u);  // es-1, sign-1, hs-1, hs-known
  EXPECT_TRUE(by_kid["sign-1"].primary());
  EXPECT_FALSE(by_kid["es-1"].primary());
  // Public source ids only (no information exposure).
  EXPECT_THAT(by_kid["sign-1"].source(),
              ::testing::MatchesRegex("signing:#[0-9a-f]{8}"));
  EXPECT_EQ(by_kid["sign-1"].state(), v1::KEY_STATE_ACTIVE);
  EXPECT_EQ(by_kid["sign-1"].loaded_at().seconds(), absl::ToUnixSeconds(now_));
  EXPECT_EQ(by_kid["es-1"].kty(), "EC");
  EXPECT_EQ(by_kid["es-1"].crv(), "P-256");
  EXPECT_EQ(by_kid["es-1"].provider(), "default");
  EXPECT_FALSE(by_kid["es-1"].published());  // a provider key, not own
  EXPECT_TRUE(by_kid["sign-1"].published());
  EXPECT_EQ(by_kid["es-1"].verifications(), 1u);
  EXPECT_EQ(by_kid["es-1"].last_used().seconds(), absl::ToUnixSeconds(now_));
  EXPECT_FALSE(by_kid["sign-1"].has_last_used());
  EXPECT_EQ(by_kid["hs-1"].kty(), "oct");
  EXPECT_EQ(by_kid["hs-1"].provider(), "strict");
  EXPECT_FALSE(by_kid["hs-1"].published());
  EXPECT_EQ(by_kid["hs-known"].alg(), "HS256");
  // A secret's length is not published; public keys keep their size.
  EXPECT_EQ(by_kid["hs-1"].bits(), 0);
  EXPECT_EQ(by_kid["hs-known"].bits(), 0);
  EXPECT_EQ(by_kid["es-1"].bits(), 256);

  // With a provider: the keys trusted for that provider, own or not.
  grpc::ClientContext ctx2;
  v1::ListKeysRequest one;
  one.set_provider("default");
  v1::ListKeysResponse resp2;
  ASSERT_TRUE(stub->ListKeys(&ctx2, one, &resp2).ok());
  std::set<std::string> provider_kids;
  const nlohmann::json jwks2 = nlohmann::json::parse(resp2.jwks_json());
  for (const auto& k : jwks2["keys"]) {
    provider_kids.insert(k.value("kid", ""));
  }
  EXPECT_EQ(provider_kids, (std::set<std::string>{"es-1", "sign-1"}));
  for (const v1::KeyInfo& k : resp2.keys()) {
    EXPECT_EQ(k.provider(), "default");
    EXPECT_TRUE(k.published()) << k.kid();
  }
}

TEST_P(AuthServiceTest, ListKeysReportsRefreshTimeOfRefreshedSourcesOnly) {
  TestKey remote = GenerateTestKey(Algorithm::kEs256, "remote-1");
  const std::string jwks_source = "jwks:https://idp.test/keys";
  clock_.Advance(absl::Seconds(30));
  store_.SetSourceKeys("default", jwks_source, {remote.key});  // a JWKS load
  clock_.Advance(absl::Seconds(30));
  store_.MarkSourceRefreshed("default", jwks_source);  // a 304 Not Modified
  clock_.Advance(absl::Seconds(30));
  // A config load: static keys through ReplaceAll, the JWKS source kept.
  store_.ReplaceAll({SourceKeys{"default", "inline:es-1", {es_.key}}},
                    {{"default", jwks_source}});

  auto stub = InsecureStub();
  grpc::ClientContext ctx;
  v1::ListKeysResponse resp;
  ASSERT_TRUE(stub->ListKeys(&ctx, v1::ListKeysRequest(), &resp).ok());
  std::map<std::string, v1::KeyInfo> by_kid;
  for (const v1::KeyInfo& k : resp.keys()) by_kid[k.kid()] = k;
  ASSERT_EQ(by_kid.size(), 2u);
  ASSERT_TRUE(by_kid["remote-1"].has_refreshed_at());
  EXPECT_EQ(by_kid["remote-1"].refreshed_at().seconds(),
            absl::ToUnixSeconds(now_ + absl::Seconds(60)));
  EXPECT_EQ(by_kid["remote-1"].source(), jwks_source);
  EXPECT_FALSE(by_kid["es-1"].has_refreshed_at());  // static key
  EXPECT_THAT(by_kid["es-1"].source(),
              ::testing::MatchesRegex("inline:#[0-9a-f]{8}"));
}

TEST_P(AuthServiceTest, ListKeysNeverLeaksSecretOrPrivateBytes) {
  auto stub = InsecureStub();
  grpc::ClientContext ctx;
  v1::ListKeysResponse resp;
  ASSERT_TRUE(stub->ListKeys(&ctx, v1::ListKeysRequest(), &resp).ok());
  const std::string wire = resp.SerializeAsString();
  const std::string secret = kKnownSecret;
  EXPECT_THAT(wire, Not(HasSubstr(secret)));
  EXPECT_THAT(wire, Not(HasSubstr(Base64UrlEncode(secret))));
  EXPECT_THAT(wire, Not(HasSubstr(Base64UrlEncode(secret).substr(0, 16))));
  EXPECT_THAT(wire, Not(HasSubstr(absl::Base64Escape(secret).substr(0, 16))));
  // The signing key's private PEM body never appears either.
  absl::StatusOr<std::string> pem = signing_tk_.private_key.PrivatePem();
  ASSERT_TRUE(pem.ok());
  std::vector<std::string> lines = absl::StrSplit(*pem, '\n');
  ASSERT_GE(lines.size(), 2u);
  EXPECT_THAT(wire, Not(HasSubstr(lines[1].substr(0, 32))));
  ExpectNoPrivateMembers(nlohmann::json::parse(resp.jwks_json()));
}

TEST_P(AuthServiceTest, ListKeysFiltersByProvider) {
  auto stub = InsecureStub();
  {
    grpc::ClientContext ctx;
    v1::ListKeysRequest req;
    req.set_provider("strict");
    v1::ListKeysResponse resp;
    ASSERT_TRUE(stub->ListKeys(&ctx, req, &resp).ok());
    EXPECT_EQ(resp.keys_size(), 2);
    for (const auto& k : resp.keys()) EXPECT_EQ(k.provider(), "strict");
    EXPECT_EQ(nlohmann::json::parse(resp.jwks_json())["keys"].size(), 0u);
  }
  {
    grpc::ClientContext ctx;
    v1::ListKeysRequest req;
    req.set_provider("nope");
    v1::ListKeysResponse resp;
    EXPECT_EQ(stub->ListKeys(&ctx, req, &resp).error_code(),
              grpc::StatusCode::INVALID_ARGUMENT);
  }
}

INSTANTIATE_TEST_SUITE_P(
    Threading, AuthServiceTest,
    ::testing::Values(ServerThreading::kAsync, ServerThreading::kCallback),
    [](const ::testing::TestParamInfo<ServerThreading>& p) {
      return p.param == ServerThreading::kAsync ? "Async" : "Callback";
    });

}  // namespace
}  // namespace jwtauth::server
