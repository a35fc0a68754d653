// LocalVerifier against the production AuthService (TestServer on
// 127.0.0.1:0), real keys and real crypto: for every token of a corpus the
// local answer must equal the remote Verify answer (every VerifyResponse
// field), with the expected path (local or remote fallback); across a key
// rotation done by a server config reload; with the server gone (last good
// keys until max_stale, then a clear error); and the background refresh
// thread must stop with the verifier.

#include "client/local_verifier.h"

#include <atomic>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/time/clock.h"
#include "client/client.h"
#include "core/algorithm.h"
#include "core/crypto/key_material.h"
#include "core/crypto/signature_verifier.h"
#include "core/issuer.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/message_differencer.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/testutil/fake_clock.h"
#include "tests/testutil/status_matchers.h"
#include "tests/testutil/test_keys.h"
#include "tests/testutil/test_server.h"
#include "tests/testutil/wait.h"

namespace jwtauth::client {
namespace {

using ::jwtauth::testutil::IsOk;
using ::jwtauth::testutil::StatusIs;
using ::jwtauth::testutil::TestKey;
using Source = VerifyResult::Source;

constexpr char kIss[] = "https://issuer.test";
constexpr char kPartnerIss[] = "https://partner.test";
constexpr char kHsSecret[] = "0123456789abcdef0123456789abcdef";

// The service's config; {keys} is the default provider's asymmetric keys.
constexpr char kConfig[] = R"(server: {listen: "127.0.0.1:0", admin_listen: ""}
signing: {alg: ES256, kid: own, private_key_file: "{dir}/own.pem",
          issuer: https://issuer.test}
providers:
  - name: default
    issuers: [https://issuer.test]
    audiences: [api]
    required_claims: [sub]
    metadata: [{path: org.id, field: org_id}]
    keys:
{keys}
      - {kid: hs, alg: HS256, secret_file: "{dir}/hs.txt"}
  - name: partner
    issuers: [https://partner.test]
    audiences: [api]
    keys: [{kid: test-es384, alg: ES384, public_key_file: "{dir}/es384.pem"}]
)";

// The local mirror of provider "default" above.
ProviderOptions DefaultPolicy() {
  ProviderOptions p;
  p.name = "default";
  p.issuers = {kIss};
  p.audiences = {"api"};
  p.required_claims = {"sub"};
  p.metadata = {MetadataMapping{.path = "org.id", .field = "org_id"}};
  return p;
}

std::string PublicPem(const TestKey& k) {
  absl::StatusOr<std::string> pem = k.private_key.PublicPem();
  EXPECT_THAT(pem, IsOk());
  return pem.ok() ? *pem : "";
}

std::string KeyLine(const TestKey& k, absl::string_view file) {
  return absl::StrCat("      - {kid: ", k.kid, ", alg: ", AlgorithmName(k.alg),
                      ", public_key_file: \"{dir}/", file, "\"}\n");
}

std::string Payload(absl::string_view iss, absl::Duration exp_in,
                    nlohmann::json extra = nlohmann::json::object()) {
  const int64_t now = absl::ToUnixSeconds(absl::Now());
  nlohmann::json p = {{"iss", iss},
                      {"aud", "api"},
                      {"sub", "alice"},
                      {"iat", now},
                      {"exp", now + absl::ToInt64Seconds(exp_in)},
                      {"org", {{"id", "o-1"}}},
                      {"big", 12345678901234567},
                      {"scope", "read write"}};
  for (const auto& [name, value] : extra.items()) {
    if (value.is_null()) {
      p.erase(name);  // null = leave the claim out
    } else {
      p[name] = value;
    }
  }
  return p.dump();
}

std::string SignWith(const crypto::KeyMaterial& secret_or_key, Algorithm alg,
                     absl::string_view header, absl::string_view payload) {
  auto signer = crypto::NewSigner(alg, secret_or_key);
  EXPECT_THAT(signer, IsOk());
  if (!signer.ok()) return "";
  return testutil::SignJwsWithHeader(**signer, header, payload);
}

std::unique_ptr<Client> ClientFor(const std::string& target) {
  return std::make_unique<Client>(
      grpc::CreateChannel(target, grpc::InsecureChannelCredentials()));
}

// Every field of the two answers, and the wire responses as a whole.
void ExpectAgree(const VerifyResult& local, const VerifyResult& remote) {
  EXPECT_EQ(local.valid, remote.valid);
  EXPECT_EQ(local.reason, remote.reason);
  EXPECT_EQ(local.detail, remote.detail);
  EXPECT_EQ(local.provider, remote.provider);
  EXPECT_EQ(local.kid, remote.kid);
  EXPECT_EQ(local.alg, remote.alg);
  EXPECT_EQ(local.claims, remote.claims);
  EXPECT_EQ(local.expires_at, remote.expires_at);
  EXPECT_EQ(local.metadata, remote.metadata);
  EXPECT_TRUE(
      google::protobuf::util::MessageDifferencer::Equals(local.raw, remote.raw))
      << "local:  " << local.raw.ShortDebugString()
      << "\nremote: " << remote.raw.ShortDebugString();
}

class LocalVerifierTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto own = crypto::KeyMaterial::Generate(Algorithm::kEs256);
    ASSERT_THAT(own, IsOk());
    auto own_pem = own->PrivatePem();
    ASSERT_THAT(own_pem, IsOk());
    files_ = {{"own.pem", *own_pem},      {"hs.txt", kHsSecret},
              {"es.pem", PublicPem(es_)}, {"rs.pem", PublicPem(rs_)},
              {"ed.pem", PublicPem(ed_)}, {"es384.pem", PublicPem(es384_)}};
  }

  std::string Config(const std::string& keys) const {
    return absl::StrReplaceAll(kConfig, {{"{keys}\n", keys}});
  }
  std::string DefaultKeys() const {
    return KeyLine(es_, "es.pem") + KeyLine(rs_, "rs.pem") +
           KeyLine(ed_, "ed.pem");
  }

  void StartServer(const std::string& keys) {
    auto server = testutil::TestServer::Start(Config(keys), files_,
                                              {.start_refresher = false});
    ASSERT_THAT(server, IsOk());
    server_ = *std::move(server);
    client_ = ClientFor(server_->target());
  }

  // Rewrites the server's config file and reloads it (as on SIGHUP).
  void Reload(const std::string& keys) {
    std::string text =
        absl::StrReplaceAll(Config(keys), {{"{dir}", server_->dir()}});
    std::ofstream(absl::StrCat(server_->dir(), "/config.yaml")) << text;
    ASSERT_THAT(server_->app().ReloadFromFile(), IsOk());
  }

  std::unique_ptr<LocalVerifier> NewLocal(LocalVerifierOptions options) {
    if (options.providers.empty()) options.providers = {DefaultPolicy()};
    auto local = LocalVerifier::Create(client_.get(), std::move(options));
    EXPECT_THAT(local, IsOk());
    if (!local.ok()) return nullptr;
    EXPECT_TRUE((*local)->WaitForInitialLoad(testutil::kWaitTimeout));
    return *std::move(local);
  }

  VerifyResult Remote(const v1::VerifyRequest& request) {
    absl::StatusOr<VerifyResult> r = client_->Verify(request);
    EXPECT_THAT(r, IsOk());
    return r.ok() ? *std::move(r) : VerifyResult{};
  }

  // Local and remote answers agree; returns the local path's source.
  Source CheckAgreement(const LocalVerifier& local,
                        const v1::VerifyRequest& request) {
    absl::StatusOr<VerifyResult> l = local.Verify(request);
    EXPECT_THAT(l, IsOk());
    if (!l.ok()) return Source::kRemote;
    ExpectAgree(*l, Remote(request));
    return l->source;
  }
  Source CheckAgreement(const LocalVerifier& local, absl::string_view token) {
    v1::VerifyRequest request;
    request.set_token(std::string(token));
    return CheckAgreement(local, request);
  }

  const TestKey& es_ = testutil::CachedTestKey(Algorithm::kEs256);
  const TestKey& rs_ = testutil::CachedTestKey(Algorithm::kRs256);
  const TestKey& ed_ = testutil::CachedTestKey(Algorithm::kEdDsa);
  const TestKey& es384_ = testutil::CachedTestKey(Algorithm::kEs384);
  std::map<std::string, std::string> files_;
  std::unique_ptr<testutil::TestServer> server_;
  std::unique_ptr<Client> client_;
};

struct Case {
  std::string name;
  v1::VerifyRequest request;
  Source source;  // the path expected to answer
  bool valid;     // the expected answer
  v1::FailureReason reason = v1::FAILURE_REASON_UNSPECIFIED;
};

v1::VerifyRequest Req(std::string token, std::string audience = "",
                      std::string provider = "") {
  v1::VerifyRequest r;
  r.set_token(std::move(token));
  r.set_audience(std::move(audience));
  r.set_provider(std::move(provider));
  return r;
}

// Keys, algorithms, headers and routing.
std::vector<Case> KeyCases(const TestKey& es, const TestKey& rs,
                           const TestKey& ed, const TestKey& es384) {
  using testutil::SignJws;
  const std::string good = Payload(kIss, absl::Hours(1));
  std::string bad_sig = SignJws(es, good);
  char& flip = bad_sig[bad_sig.size() - 10];  // inside the signature
  flip = flip == 'A' ? 'B' : 'A';
  auto secret = crypto::KeyMaterial::FromSecret(kHsSecret);
  auto rsa_pem_secret = crypto::KeyMaterial::FromSecret(PublicPem(rs));
  EXPECT_THAT(secret, IsOk());
  EXPECT_THAT(rsa_pem_secret, IsOk());
  const TestKey stranger = testutil::GenerateTestKey(Algorithm::kEs256, "x");
  const auto kLocal = Source::kLocal;
  const auto kRemote = Source::kRemote;
  const std::string kNoKid = R"({"alg":"ES256"})";
  return {
      {"good ES256", Req(SignJws(es, good)), kLocal, true},
      {"good RS256", Req(SignJws(rs, good)), kLocal, true},
      {"good EdDSA", Req(SignJws(ed, good)), kLocal, true},
      {"good, Bearer", Req("Bearer " + SignJws(es, good)), kLocal, true},
      {"good, no kid",
       Req(SignWith(es.private_key, Algorithm::kEs256, kNoKid, good)), kLocal,
       true},
      {"good, provider named", Req(SignJws(rs, good), "", "default"), kLocal,
       true},
      {"bad signature", Req(bad_sig), kLocal, false, v1::SIGNATURE_INVALID},
      {"unknown key, no kid",
       Req(SignWith(stranger.private_key, Algorithm::kEs256, kNoKid, good)),
       kRemote, false, v1::SIGNATURE_INVALID},
      {"unknown kid", Req(SignJws(stranger, good)), kRemote, false,
       v1::KEY_NOT_FOUND},
      {"alg none",
       Req(SignWith(es.private_key, Algorithm::kEs256, R"({"alg":"none"})",
                    good)),
       kLocal, false, v1::UNSUPPORTED_ALGORITHM},
      {"alg confusion: ES256 header, RSA kid",
       Req(SignWith(es.private_key, Algorithm::kEs256,
                    R"({"alg":"ES256","kid":"test-rs256"})", good)),
       kLocal, false, v1::UNSUPPORTED_ALGORITHM},
      {"alg confusion: HS256 with the RSA public key as secret",
       Req(SignWith(*rsa_pem_secret, Algorithm::kHs256,
                    R"({"alg":"HS256","kid":"test-rs256"})", good)),
       kRemote, false, v1::UNSUPPORTED_ALGORITHM},
      {"good HS256",
       Req(SignWith(*secret, Algorithm::kHs256, R"({"alg":"HS256","kid":"hs"})",
                    good)),
       kRemote, true},
      {"crit header",
       Req(SignWith(es.private_key, Algorithm::kEs256,
                    R"({"alg":"ES256","kid":"test-es256","crit":["exp"]})",
                    good)),
       kLocal, false, v1::HEADER_REJECTED},
      {"typ dpop+jwt", Req(SignJws(es, good, {{"typ", "dpop+jwt"}})), kLocal,
       false, v1::HEADER_REJECTED},
      {"partner token (provider not local)",
       Req(SignJws(es384, Payload(kPartnerIss, absl::Hours(1)))), kRemote,
       true},
      {"partner named (provider not local)",
       Req(SignJws(es384, Payload(kPartnerIss, absl::Hours(1))), "", "partner"),
       kRemote, true},
  };
}

// Claims, policy and token shape.
std::vector<Case> ClaimCases(const TestKey& es, const TestKey& ed) {
  using testutil::SignJws;
  const int64_t now = absl::ToUnixSeconds(absl::Now());
  auto signed_es = [&](nlohmann::json extra, absl::Duration exp_in) {
    return SignJws(es, Payload(kIss, exp_in, std::move(extra)));
  };
  const auto kLocal = Source::kLocal;
  const absl::Duration hour = absl::Hours(1);
  return {
      {"good, audience override",
       Req(signed_es({{"aud", "other"}}, hour), "other"), kLocal, true},
      {"audience override mismatch", Req(signed_es({}, hour), "other"), kLocal,
       false, v1::AUDIENCE_MISMATCH},
      {"expired", Req(signed_es({}, -hour)), kLocal, false, v1::EXPIRED},
      {"not yet valid", Req(signed_es({{"nbf", now + 3600}}, 2 * hour)), kLocal,
       false, v1::NOT_YET_VALID},
      {"issued in future", Req(signed_es({{"iat", now + 3600}}, 2 * hour)),
       kLocal, false, v1::ISSUED_IN_FUTURE},
      {"wrong aud", Req(signed_es({{"aud", "other"}}, hour)), kLocal, false,
       v1::AUDIENCE_MISMATCH},
      {"claim missing",
       Req(SignJws(ed, Payload(kIss, hour, {{"sub", nullptr}}))), kLocal, false,
       v1::CLAIM_MISSING},
      {"exp not a number", Req(signed_es({{"exp", "soon"}}, hour)), kLocal,
       false, v1::CLAIM_INVALID},
      {"wrong iss", Req(SignJws(es, Payload("https://evil.test", hour))),
       Source::kRemote, false, v1::ISSUER_MISMATCH},
      {"malformed", Req("abc.def"), kLocal, false, v1::MALFORMED},
      {"not base64", Req("a*b.c.d"), kLocal, false, v1::MALFORMED},
      {"empty", Req(""), kLocal, false, v1::TOKEN_MISSING},
      {"Bearer alone", Req("Bearer"), kLocal, false, v1::TOKEN_MISSING},
      {"too large", Req(signed_es({{"pad", std::string(9000, 'x')}}, hour)),
       kLocal, false, v1::TOKEN_TOO_LARGE},
  };
}

TEST_F(LocalVerifierTest, AgreesWithRemoteVerifyOnCorpus) {
  ASSERT_NO_FATAL_FAILURE(StartServer(DefaultKeys()));
  std::unique_ptr<LocalVerifier> local = NewLocal({});
  ASSERT_NE(local, nullptr);
  ASSERT_TRUE(local->IsReady());
  std::vector<Case> corpus = KeyCases(es_, rs_, ed_, es384_);
  for (Case& c : ClaimCases(es_, ed_)) corpus.push_back(std::move(c));
  EXPECT_EQ(corpus.size(), 31u);
  for (const Case& c : corpus) {
    SCOPED_TRACE(c.name);
    absl::StatusOr<VerifyResult> l = local->Verify(c.request);
    ASSERT_THAT(l, IsOk());
    EXPECT_EQ(l->source, c.source);
    EXPECT_EQ(l->valid, c.valid);
    EXPECT_EQ(l->reason, c.reason);
    ExpectAgree(*l, Remote(c.request));
  }
}

TEST_F(LocalVerifierTest, LocalAnswerCarriesClaimsAndMetadata) {
  ASSERT_NO_FATAL_FAILURE(StartServer(DefaultKeys()));
  std::unique_ptr<LocalVerifier> local = NewLocal({});
  ASSERT_NE(local, nullptr);
  const std::string payload = Payload(kIss, absl::Hours(1));
  absl::StatusOr<VerifyResult> r =
      local->Verify(testutil::SignJws(rs_, payload));
  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(r->source, Source::kLocal);
  ASSERT_TRUE(r->valid);
  EXPECT_EQ(r->raw.claims_json(), payload);  // exactly as signed
  EXPECT_EQ(r->claims["big"].get<int64_t>(), 12345678901234567);
  EXPECT_EQ(r->metadata.at("org_id"), "o-1");
  EXPECT_EQ(r->provider, "default");
  EXPECT_EQ(r->kid, "test-rs256");
  EXPECT_EQ(r->alg, "RS256");
  ASSERT_TRUE(r->expires_at.has_value());
  EXPECT_EQ(absl::ToUnixSeconds(*r->expires_at),
            nlohmann::json::parse(payload)["exp"].get<int64_t>());
}

// Tokens the service issues itself (its signing key is published to the
// providers that accept its issuer) are the main local-mode workload.
TEST_F(LocalVerifierTest, TokenIssuedByTheServiceVerifiesLocally) {
  ASSERT_NO_FATAL_FAILURE(StartServer(DefaultKeys()));
  std::unique_ptr<LocalVerifier> local = NewLocal({});
  ASSERT_NE(local, nullptr);
  IssueRequest issue;
  issue.subject = "alice";
  issue.audiences = {"api"};
  issue.claims = {{"org", {{"id", "o-2"}}}};
  auto issued = server_->state()->Current()->issuer->Issue(issue);
  ASSERT_THAT(issued, IsOk());
  EXPECT_EQ(CheckAgreement(*local, issued->token), Source::kLocal);
  absl::StatusOr<VerifyResult> r = local->Verify(issued->token);
  ASSERT_THAT(r, IsOk());
  EXPECT_TRUE(r->valid) << r->detail;
  EXPECT_EQ(r->kid, "own");
  EXPECT_EQ(r->metadata.at("org_id"), "o-2");
}

// Rotation by config reload: the new key is added, then the old one
// removed. The background refresh (and the unknown-kid early refresh) pick
// each step up; once refreshed, local and remote agree again.
TEST_F(LocalVerifierTest, FollowsKeyRotationAndAgreesAtEachStep) {
  const TestKey old_key = testutil::GenerateTestKey(Algorithm::kEs256, "old");
  const TestKey new_key = testutil::GenerateTestKey(Algorithm::kEs256, "new");
  files_["old.pem"] = PublicPem(old_key);
  files_["new.pem"] = PublicPem(new_key);
  ASSERT_NO_FATAL_FAILURE(StartServer(KeyLine(old_key, "old.pem")));
  std::unique_ptr<LocalVerifier> local =
      NewLocal({.refresh_interval = absl::Milliseconds(100),
                .unknown_kid_min_interval = absl::Milliseconds(100)});
  ASSERT_NE(local, nullptr);
  const std::string payload = Payload(kIss, absl::Hours(1));
  const std::string old_token = testutil::SignJws(old_key, payload);
  const std::string new_token = testutil::SignJws(new_key, payload);

  // Step 1: only the old key.
  EXPECT_EQ(CheckAgreement(*local, old_token), Source::kLocal);
  EXPECT_EQ(CheckAgreement(*local, new_token), Source::kRemote);  // unknown

  // Step 2: the new key is added; until the refresh the new token goes
  // remote (and is valid there), then it is verified locally.
  ASSERT_NO_FATAL_FAILURE(
      Reload(KeyLine(old_key, "old.pem") + KeyLine(new_key, "new.pem")));
  EXPECT_TRUE(testutil::WaitUntil(
      [&] {
        auto r = local->Verify(new_token);
        return r.ok() && r->valid && r->source == Source::kLocal;
      },
      testutil::kWaitTimeout, absl::Milliseconds(20)));
  EXPECT_EQ(CheckAgreement(*local, new_token), Source::kLocal);
  EXPECT_EQ(CheckAgreement(*local, old_token), Source::kLocal);

  // Step 3: the old key is retired. After the refresh local mode no longer
  // knows its kid: the old token goes remote and is rejected there.
  ASSERT_NO_FATAL_FAILURE(Reload(KeyLine(new_key, "new.pem")));
  EXPECT_TRUE(testutil::WaitUntil(
      [&] {
        auto r = local->Verify(old_token);
        return r.ok() && r->source == Source::kRemote;
      },
      testutil::kWaitTimeout, absl::Milliseconds(20)));
  EXPECT_EQ(CheckAgreement(*local, old_token), Source::kRemote);
  absl::StatusOr<VerifyResult> old = local->Verify(old_token);
  ASSERT_THAT(old, IsOk());
  EXPECT_FALSE(old->valid);
  EXPECT_EQ(old->reason, v1::KEY_NOT_FOUND);
  EXPECT_EQ(CheckAgreement(*local, new_token), Source::kLocal);
}

// With the service gone the last good keys keep verifying until max_stale;
// then they are dropped and the remote fallback fails with the RPC error.
// A fake clock moves time; RefreshNow() runs the refresh attempts.
TEST_F(LocalVerifierTest, ServerDownKeepsLastGoodKeysUntilMaxStale) {
  ASSERT_NO_FATAL_FAILURE(StartServer(DefaultKeys()));
  testutil::FakeClock clock(absl::Now());
  std::unique_ptr<LocalVerifier> local =
      NewLocal({.max_stale = absl::Minutes(10), .clock = &clock});
  ASSERT_NE(local, nullptr);
  const std::string token =
      testutil::SignJws(es_, Payload(kIss, absl::Hours(1)));
  server_.reset();  // the service is gone

  absl::StatusOr<VerifyResult> r = local->Verify(token);
  ASSERT_THAT(r, IsOk());
  EXPECT_TRUE(r->valid);
  EXPECT_EQ(r->source, Source::kLocal);

  clock.Advance(absl::Minutes(6));
  local->RefreshNow();  // fails: keys kept (6 min < max_stale)
  std::vector<JwksSourceStats> stats = local->KeyStats();
  ASSERT_EQ(stats.size(), 1u);
  EXPECT_GE(stats[0].consecutive_failures, 1);
  EXPECT_TRUE(stats[0].loaded);
  r = local->Verify(token);
  ASSERT_THAT(r, IsOk());
  EXPECT_TRUE(r->valid);
  EXPECT_EQ(r->source, Source::kLocal);

  clock.Advance(absl::Minutes(5));
  local->RefreshNow();  // fails again, 11 min > max_stale: keys dropped
  EXPECT_FALSE(local->IsReady());
  EXPECT_THAT(local->Verify(token), StatusIs(absl::StatusCode::kUnavailable));
  // Without keys nothing is answered locally, not even a malformed token.
  EXPECT_THAT(local->Verify("abc.def"),
              StatusIs(absl::StatusCode::kUnavailable));
}

// A provider whose keys never load (the service does not know it) keeps
// every request remote, also tokens of the providers that did load.
TEST_F(LocalVerifierTest, ProviderWithoutKeysKeepsEveryRequestRemote) {
  ASSERT_NO_FATAL_FAILURE(StartServer(DefaultKeys()));
  ProviderOptions ghost = DefaultPolicy();
  ghost.name = "ghost";
  ghost.issuers = {"https://ghost.test"};
  auto local = LocalVerifier::Create(client_.get(),
                                     {.providers = {DefaultPolicy(), ghost}});
  ASSERT_THAT(local, IsOk());
  EXPECT_FALSE((*local)->WaitForInitialLoad(testutil::kWaitTimeout));
  std::vector<JwksSourceStats> stats = (*local)->KeyStats();
  ASSERT_EQ(stats.size(), 2u);
  EXPECT_TRUE(stats[0].loaded);
  EXPECT_FALSE(stats[1].loaded);
  EXPECT_THAT(stats[1].last_error, ::testing::HasSubstr("unknown provider"));
  const std::string ghost_token =
      testutil::SignJws(es_, Payload("https://ghost.test", absl::Hours(1)));
  EXPECT_EQ(CheckAgreement(**local, ghost_token), Source::kRemote);
  const std::string good =
      testutil::SignJws(es_, Payload(kIss, absl::Hours(1)));
  EXPECT_EQ(CheckAgreement(**local, good), Source::kRemote);
  EXPECT_EQ(CheckAgreement(**local, "abc.def"), Source::kRemote);
}

TEST_F(LocalVerifierTest, DestructorStopsTheRefreshThread) {
  ASSERT_NO_FATAL_FAILURE(StartServer(DefaultKeys()));
  auto events = std::make_shared<std::atomic<int>>(0);
  std::unique_ptr<LocalVerifier> local =
      NewLocal({.refresh_interval = absl::Milliseconds(10),
                .on_key_event = [events](const JwksEvent&) { ++*events; }});
  ASSERT_NE(local, nullptr);
  ASSERT_TRUE(testutil::WaitUntil([&] { return *events >= 3; }))
      << "background refresh did not run";
  local.reset();  // joins the thread
  const int after = events->load();
  // Proving that nothing happens needs a wait: 20 refresh intervals, each
  // of which would have fetched had the thread survived.
  absl::SleepFor(absl::Milliseconds(200));
  EXPECT_EQ(events->load(), after);
}

TEST_F(LocalVerifierTest, CreateRejectsBadOptions) {
  Client client(
      grpc::CreateChannel("127.0.0.1:1", grpc::InsecureChannelCredentials()));
  EXPECT_THAT(LocalVerifier::Create(&client, {}),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(LocalVerifier::Create(nullptr, {.providers = {DefaultPolicy()}}),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(LocalVerifier::Create(&client,
                                    {.providers = {DefaultPolicy()},
                                     .refresh_interval = absl::ZeroDuration()}),
              StatusIs(absl::StatusCode::kInvalidArgument));
  ProviderOptions skewed = DefaultPolicy();
  skewed.clock_skew = absl::Hours(1);  // the server's config check refuses it
  EXPECT_THAT(LocalVerifier::Create(&client, {.providers = {skewed}}),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(LocalVerifier::Create(
                  &client, {.providers = {DefaultPolicy(), DefaultPolicy()}}),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace jwtauth::client
