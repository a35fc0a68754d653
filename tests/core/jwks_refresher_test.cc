#include "core/jwks_refresher.h"

#include <atomic>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "core/jwk.h"
#include "core/key_store.h"
#include "core/policy.h"
#include "core/verifier.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/testutil/fake_clock.h"
#include "tests/testutil/jwks_http_server.h"
#include "tests/testutil/status_matchers.h"
#include "tests/testutil/test_keys.h"

namespace jwtauth {
namespace {

using ::jwtauth::testutil::FakeClock;
using ::jwtauth::testutil::HttpReply;
using ::jwtauth::testutil::IsOk;
using ::jwtauth::testutil::JwksHttpServer;
using ::jwtauth::testutil::StatusIs;
using ::jwtauth::testutil::TestKey;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kProvider[] = "idp";
constexpr char kIssuer[] = "https://idp.test";
const absl::Time kStart = absl::FromUnixSeconds(1700000000);
// Generous bound for anything that involves a real loopback round trip.
const absl::Duration kWait = absl::Seconds(20);

// Collects refresher events; tests wait on counts with a bound.
class EventLog {
 public:
  void Record(const JwksEvent& e) {
    absl::MutexLock lock(&mu_);
    events_.push_back(e);
  }
  bool WaitFor(size_t n, absl::Duration timeout) {
    absl::MutexLock lock(&mu_);
    struct Enough {
      const EventLog* log;
      size_t n;
      bool operator()() const ABSL_NO_THREAD_SAFETY_ANALYSIS {
        return log->events_.size() >= n;
      }
    } enough{this, n};
    return mu_.AwaitWithTimeout(absl::Condition(&enough), timeout);
  }
  std::vector<JwksEvent> All() const {
    absl::MutexLock lock(&mu_);
    return events_;
  }
  JwksEvent Last() const {
    absl::MutexLock lock(&mu_);
    return events_.empty() ? JwksEvent{} : events_.back();
  }
  size_t size() const {
    absl::MutexLock lock(&mu_);
    return events_.size();
  }

 private:
  mutable absl::Mutex mu_;
  std::vector<JwksEvent> events_ ABSL_GUARDED_BY(mu_);
};

std::string JwksOf(const std::vector<const TestKey*>& keys) {
  std::vector<Key> v;
  for (const TestKey* k : keys) v.push_back(k->key);
  return ExportPublicJwks(v).dump();
}

const TestKey& KeyA() {
  static const TestKey* k =
      new TestKey(testutil::GenerateTestKey(Algorithm::kEs256, "kid-a"));
  return *k;
}
const TestKey& KeyB() {
  static const TestKey* k =
      new TestKey(testutil::GenerateTestKey(Algorithm::kEs256, "kid-b"));
  return *k;
}
const TestKey& KeyC() {
  static const TestKey* k =
      new TestKey(testutil::GenerateTestKey(Algorithm::kEs256, "kid-c"));
  return *k;
}

class RefresherTest : public testing::Test {
 protected:
  void SetUp() override {
    server_ = JwksHttpServer::Start();
    ASSERT_NE(server_, nullptr);
  }
  void TearDown() override {
    refresher_.reset();  // joins before the server and store go away
  }

  JwksSourceConfig Source(absl::string_view path) {
    JwksSourceConfig s;
    s.provider = kProvider;
    s.url = server_->Url(path);
    s.timeout = absl::Seconds(3);
    return s;
  }

  JwksRefresherOptions Options() {
    JwksRefresherOptions o;
    o.random = [] { return 0.5; };  // jitter factor exactly 1
    o.on_event = [this](const JwksEvent& e) { events_.Record(e); };
    return o;
  }

  void Make(std::vector<JwksSourceConfig> sources,
            JwksRefresherOptions options) {
    auto r = JwksRefresher::Create(std::move(options), std::move(sources),
                                   &store_, fetcher_.get(), &clock_);
    ASSERT_THAT(r, IsOk());
    refresher_ = std::move(*r);
    ProviderOptions p;
    p.name = kProvider;
    p.issuers = {kIssuer, server_->Url("")};  // the latter: discovery tests
    p.audiences = {"api"};
    VerifierConfig vc;
    vc.providers = {p};
    vc.key_store = &store_;
    vc.clock = &clock_;
    vc.unknown_kid_observer = refresher_.get();
    auto v = TokenVerifier::Create(std::move(vc));
    ASSERT_THAT(v, IsOk());
    verifier_ = std::move(*v);
  }
  void Make(absl::string_view path) { Make({Source(path)}, Options()); }

  std::string TokenFor(const TestKey& key, absl::string_view kid = "",
                       absl::string_view iss = kIssuer) {
    nlohmann::json claims = {
        {"iss", iss},
        {"aud", "api"},
        {"sub", "alice"},
        {"iat", absl::ToUnixSeconds(clock_.Now())},
        {"exp", absl::ToUnixSeconds(clock_.Now()) + 86400 * 3}};
    nlohmann::json extra = nlohmann::json::object();
    if (!kid.empty()) extra["kid"] = std::string(kid);
    return testutil::SignJws(key, claims.dump(), extra);
  }

  FailureReason Verify(const std::string& token) {
    VerifyOptions o;
    o.provider = kProvider;
    VerifyResult r = verifier_->Verify(token, o);
    return r.ok() ? FailureReason::kUnspecified : r.failure().reason;
  }

  JwksSourceStats Stats() {
    auto all = refresher_->Stats();
    return all.empty() ? JwksSourceStats{} : all[0];
  }

  std::unique_ptr<JwksHttpServer> server_;
  FakeClock clock_{kStart};
  KeyStore store_{&clock_};
  std::unique_ptr<CurlJwksFetcher> fetcher_ = std::make_unique<CurlJwksFetcher>(
      CurlJwksFetcherOptions{.low_speed_bytes_per_second = 100,
                             .low_speed_time = absl::Seconds(1)});
  EventLog events_;
  std::unique_ptr<JwksRefresher> refresher_;
  std::unique_ptr<TokenVerifier> verifier_;
};

constexpr FailureReason kOk = FailureReason::kUnspecified;

TEST_F(RefresherTest, InitialLoadPublishesKeysAndReportsReady) {
  server_->SetReply("/jwks", {.body = JwksOf({&KeyA()}),
                              .headers = {{"Cache-Control", "max-age=600"}}});
  Make("/jwks");
  EXPECT_FALSE(refresher_->IsReady());
  EXPECT_EQ(Verify(TokenFor(KeyA())), FailureReason::kKeysUnavailable);
  refresher_->Start();
  ASSERT_TRUE(refresher_->WaitForInitialLoad(kWait));
  EXPECT_TRUE(refresher_->IsReady());
  EXPECT_EQ(Verify(TokenFor(KeyA())), kOk);
  JwksSourceStats st = Stats();
  EXPECT_EQ(st.fetch_ok, 1u);
  EXPECT_EQ(st.keys_loaded, 1u);
  EXPECT_EQ(st.last_success, kStart);
  EXPECT_EQ(st.next_refresh, kStart + absl::Minutes(10));
  EXPECT_EQ(st.age, absl::ZeroDuration());
  EXPECT_EQ(st.source_id, JwksSourceId(Source("/jwks")));
  clock_.Advance(absl::Seconds(100));
  EXPECT_EQ(Stats().age, absl::Seconds(100));
  EXPECT_EQ(server_->RequestCount("/jwks"), 1);
}

TEST_F(RefresherTest, NotReadyWhenTheFirstLoadFails) {
  JwksSourceConfig s = Source("/jwks");
  s.url = absl::StrCat("http://127.0.0.1:", testutil::ClosedLoopbackPort(),
                       "/jwks");
  Make({s}, Options());
  refresher_->Start();
  EXPECT_FALSE(refresher_->WaitForInitialLoad(kWait));
  EXPECT_TRUE(Stats().attempted);
  EXPECT_FALSE(refresher_->IsReady());
  EXPECT_EQ(Verify(TokenFor(KeyA())), FailureReason::kKeysUnavailable);
}

TEST_F(RefresherTest, ScheduleFollowsCacheHeadersClampedAndJittered) {
  server_->SetReply("/jwks", {.body = JwksOf({&KeyA()}),
                              .headers = {{"Cache-Control", "max-age=5"}}});
  JwksRefresherOptions o = Options();
  double u = 0.5;
  o.random = [&u] { return u; };
  Make({Source("/jwks")}, o);
  refresher_->RefreshOnce();
  EXPECT_EQ(Stats().next_refresh, kStart + absl::Seconds(30));  // min
  server_->SetReply(
      "/jwks", {.body = JwksOf({&KeyA()}),
                .headers = {{"Cache-Control", "s-maxage=600, max-age=60"}}});
  u = 0.0;  // −10 %
  refresher_->RefreshOnce();
  EXPECT_EQ(Stats().next_refresh, kStart + absl::Seconds(540));
  u = 0.999999;  // +10 %
  refresher_->RefreshOnce();
  EXPECT_NEAR(absl::ToDoubleSeconds(Stats().next_refresh - kStart), 660, 0.01);
  server_->SetReply("/jwks",
                    {.body = JwksOf({&KeyA()}),
                     .headers = {{"Cache-Control", "max-age=999999"}}});
  refresher_->RefreshOnce();
  EXPECT_EQ(Stats().next_refresh,
            kStart + absl::Hours(24));  // max wins over jitter
  server_->SetReply("/jwks", {.body = JwksOf({&KeyA()})});
  u = 0.5;
  refresher_->RefreshOnce();
  EXPECT_EQ(Stats().next_refresh, kStart + absl::Minutes(10));  // default
}

TEST_F(RefresherTest, BackgroundThreadRefreshesWhenDue) {
  server_->SetReply("/jwks", {.body = JwksOf({&KeyA()}),
                              .headers = {{"Cache-Control", "max-age=60"}}});
  Make("/jwks");
  refresher_->Start();
  ASSERT_TRUE(events_.WaitFor(1, kWait));
  server_->SetReply("/jwks", {.body = JwksOf({&KeyB()}),
                              .headers = {{"Cache-Control", "max-age=60"}}});
  clock_.Advance(absl::Seconds(61));
  refresher_->Wake();
  ASSERT_TRUE(events_.WaitFor(2, kWait));
  EXPECT_EQ(events_.Last().type, JwksEvent::Type::kLoaded);
  EXPECT_FALSE(events_.Last().early);
  EXPECT_EQ(Verify(TokenFor(KeyB())), kOk);
  EXPECT_EQ(server_->RequestCount("/jwks"), 2);
}

TEST_F(RefresherTest, RotationVerifiesNewKidAfterUnknownKidRefetch) {
  server_->SetReply("/jwks", {.body = JwksOf({&KeyA()}),
                              .headers = {{"Cache-Control", "max-age=86400"}}});
  Make("/jwks");
  refresher_->Start();
  ASSERT_TRUE(refresher_->WaitForInitialLoad(kWait));
  // The IdP rotates: B appears long before max-age runs out.
  server_->SetReply("/jwks", {.body = JwksOf({&KeyA(), &KeyB()}),
                              .headers = {{"Cache-Control", "max-age=86400"}}});
  const std::string token_b = TokenFor(KeyB());
  EXPECT_EQ(Verify(token_b), FailureReason::kKeyNotFound);  // fails fast
  ASSERT_TRUE(events_.WaitFor(2, kWait));
  EXPECT_TRUE(events_.Last().early);
  EXPECT_EQ(events_.Last().type, JwksEvent::Type::kLoaded);
  EXPECT_EQ(Verify(token_b), kOk);
  EXPECT_EQ(Verify(TokenFor(KeyA())), kOk);
  EXPECT_EQ(clock_.Now(), kStart);  // no waiting for max-age
  EXPECT_EQ(server_->RequestCount("/jwks"), 2);

  // A second rotation inside the rate-limit window is deferred to the
  // window's end, not dropped.
  server_->SetReply("/jwks", {.body = JwksOf({&KeyB(), &KeyC()}),
                              .headers = {{"Cache-Control", "max-age=86400"}}});
  const std::string token_c = TokenFor(KeyC());
  EXPECT_EQ(Verify(token_c), FailureReason::kKeyNotFound);
  EXPECT_EQ(server_->RequestCount("/jwks"), 2);
  clock_.Advance(absl::Seconds(30));
  refresher_->Wake();
  ASSERT_TRUE(events_.WaitFor(3, kWait));
  EXPECT_TRUE(events_.Last().early);
  EXPECT_EQ(Verify(token_c), kOk);
  EXPECT_EQ(server_->RequestCount("/jwks"), 3);
  EXPECT_EQ(Stats().early_refetches, 2u);
}

TEST_F(RefresherTest, OnUnknownKidAndWaitReturnsOnceTheFetchFinished) {
  server_->SetReply("/jwks", {.body = JwksOf({&KeyA()})});
  Make("/jwks");
  refresher_->Start();
  ASSERT_TRUE(refresher_->WaitForInitialLoad(kWait));
  server_->SetReply("/jwks", {.body = JwksOf({&KeyB()})});
  EXPECT_TRUE(refresher_->OnUnknownKidAndWait(kProvider, "kid-b", kWait));
  EXPECT_EQ(Verify(TokenFor(KeyB())), kOk);
  EXPECT_FALSE(refresher_->OnUnknownKidAndWait("no-such-provider", "x", kWait));
}

struct Fault {
  std::string name;
  HttpReply reply;
  bool stop_server = false;
};

class FaultTest : public RefresherTest,
                  public testing::WithParamInterface<Fault> {};

TEST_P(FaultTest, LastGoodKeysStayAndBackoffGrows) {
  server_->SetReply("/jwks", {.body = JwksOf({&KeyA()}),
                              .headers = {{"Cache-Control", "max-age=600"}}});
  JwksSourceConfig s = Source("/jwks");
  s.timeout = absl::Milliseconds(1500);
  Make({s}, Options());
  refresher_->RefreshOnce();
  ASSERT_TRUE(refresher_->IsReady());
  const std::string token = TokenFor(KeyA());
  ASSERT_EQ(Verify(token), kOk);

  if (GetParam().stop_server) {
    server_->Stop();
  } else {
    server_->SetReply("/jwks", GetParam().reply);
  }
  for (int attempt = 1; attempt <= 2; ++attempt) {
    clock_.Advance(absl::Minutes(11));
    refresher_->RefreshOnce();
    JwksEvent e = events_.Last();
    EXPECT_EQ(e.type, JwksEvent::Type::kFetchFailed);
    EXPECT_FALSE(e.status.ok());
    EXPECT_THAT(std::string(e.status.message()), Not(HasSubstr("SECRET")));
    JwksSourceStats st = Stats();
    EXPECT_EQ(st.fetch_failed, static_cast<uint64_t>(attempt));
    EXPECT_EQ(st.consecutive_failures, attempt);
    EXPECT_FALSE(st.last_error.empty());
    EXPECT_THAT(st.last_error, Not(HasSubstr("SECRET")));
    EXPECT_TRUE(st.loaded);
    EXPECT_EQ(st.keys_loaded, 1u);
    EXPECT_EQ(st.age, absl::Minutes(11) * attempt);
    // Backoff 1 s, then 2 s (jitter factor 1 here).
    EXPECT_EQ(st.next_refresh,
              clock_.Now() + absl::Seconds(1 << (attempt - 1)));
    EXPECT_TRUE(refresher_->IsReady());
    EXPECT_EQ(Verify(token), kOk) << GetParam().name;
  }
}

std::string UseEncJwks() {
  nlohmann::json jwks = ExportPublicJwks({KeyB().key});
  for (auto& k : jwks["keys"]) k["use"] = "enc";
  return jwks.dump();
}

INSTANTIATE_TEST_SUITE_P(
    Faults, FaultTest,
    testing::Values(
        Fault{"status_500", {.status = 500, .body = "SECRET internal"}},
        Fault{"status_404", {.status = 404}},
        Fault{"timeout", {.body = "{}", .hold = absl::Seconds(30)}},
        Fault{"connection_refused", {}, /*stop_server=*/true},
        Fault{"slow_drip",
              {.body = std::string(4000, ' '),
               .drip_interval = absl::Milliseconds(100)}},
        Fault{"ten_mib_body",
              {.filler_bytes = 10 * 1024 * 1024, .chunked = true}},
        Fault{"invalid_json", {.body = R"({"keys":[{"k":"SECRETSECRET")"}},
        Fault{"not_a_jwks", {.body = R"({"hello":"SECRET"})"}},
        Fault{"only_invalid_keys",
              {.body = R"({"keys":[{"kty":"RSA","n":"AQAB","e":"AQAB"},)"
                       R"({"kty":"EC","crv":"P-256","x":"zz","y":"zz"},)"
                       R"({"kty":"nope"}]})"}},
        Fault{"empty_key_set", {.body = R"({"keys":[]})"}},
        Fault{"use_enc_only", {.body = UseEncJwks()}}),
    [](const testing::TestParamInfo<Fault>& info) { return info.param.name; });

TEST_F(RefresherTest, BackoffIsCappedAtTheNormalInterval) {
  server_->SetReply("/jwks", {.status = 500});
  Make("/jwks");
  for (int i = 0; i < 14; ++i) refresher_->RefreshOnce();
  EXPECT_EQ(Stats().consecutive_failures, 14);
  EXPECT_EQ(Stats().next_refresh, clock_.Now() + absl::Minutes(10));
}

TEST_F(RefresherTest, BackoffJitterStaysWithinBounds) {
  server_->SetReply("/jwks", {.status = 500});
  JwksRefresherOptions o = Options();
  double u = 0.0;
  o.random = [&u] { return u; };
  Make({Source("/jwks")}, o);
  refresher_->RefreshOnce();
  refresher_->RefreshOnce();
  refresher_->RefreshOnce();  // nominal 4 s
  EXPECT_EQ(Stats().next_refresh, clock_.Now() + absl::Milliseconds(3600));
  u = 0.999999;
  refresher_->RefreshOnce();  // nominal 8 s
  EXPECT_NEAR(absl::ToDoubleSeconds(Stats().next_refresh - clock_.Now()), 8.8,
              0.001);
}

TEST_F(RefresherTest, SuccessAfterFailuresResetsBackoff) {
  server_->SetReply("/jwks", {.status = 503});
  Make("/jwks");
  refresher_->RefreshOnce();
  refresher_->RefreshOnce();
  EXPECT_FALSE(refresher_->IsReady());
  server_->SetReply("/jwks", {.body = JwksOf({&KeyA()})});
  refresher_->RefreshOnce();
  EXPECT_TRUE(refresher_->IsReady());
  EXPECT_EQ(Stats().consecutive_failures, 0);
  EXPECT_EQ(Stats().last_error, "");
  EXPECT_EQ(Stats().fetch_failed, 2u);
  EXPECT_EQ(Verify(TokenFor(KeyA())), kOk);
}

TEST_F(RefresherTest, MaxStaleDropsKeysOfAFailingSource) {
  server_->SetReply("/jwks", {.body = JwksOf({&KeyA()})});
  JwksSourceConfig s = Source("/jwks");
  s.max_stale = absl::Hours(1);
  Make({s}, Options());
  refresher_->RefreshOnce();
  const std::string token = TokenFor(KeyA());
  ASSERT_EQ(Verify(token), kOk);
  server_->SetReply("/jwks", {.status = 500});
  clock_.Advance(absl::Minutes(30));
  refresher_->RefreshOnce();
  EXPECT_EQ(Verify(token), kOk);  // stale but within max_stale
  clock_.Advance(absl::Minutes(31));
  refresher_->RefreshOnce();
  EXPECT_EQ(events_.Last().type, JwksEvent::Type::kKeysDropped);
  EXPECT_FALSE(refresher_->IsReady());
  EXPECT_NE(Verify(token), kOk);
  EXPECT_EQ(Stats().keys_loaded, 0u);
}

TEST_F(RefresherTest, ConditionalRequestKeepsKeysOn304) {
  server_->SetReply(
      "/jwks", {.body = JwksOf({&KeyA()}),
                .headers = {{"ETag", "\"v1\""},
                            {"Last-Modified", "Tue, 14 Nov 2023 20:00:00 GMT"},
                            {"Cache-Control", "max-age=120"}}});
  Make("/jwks");
  refresher_->RefreshOnce();
  ASSERT_EQ(store_.Sources().size(), 1u);
  EXPECT_EQ(store_.Sources()[0].refreshed_at, kStart);
  const uint64_t generation = store_.Current()->generation();
  clock_.Advance(absl::Minutes(5));
  refresher_->RefreshOnce();
  // The 304 re-stamps the source's refresh time without republishing.
  EXPECT_EQ(store_.Sources()[0].refreshed_at, kStart + absl::Minutes(5));
  EXPECT_EQ(store_.Current()->generation(), generation);
  auto reqs = server_->Requests();
  ASSERT_EQ(reqs.size(), 2u);
  EXPECT_EQ(reqs[0].if_none_match, "");
  EXPECT_EQ(reqs[1].if_none_match, "\"v1\"");
  EXPECT_EQ(reqs[1].if_modified_since, "Tue, 14 Nov 2023 20:00:00 GMT");
  EXPECT_EQ(events_.Last().type, JwksEvent::Type::kNotModified);
  JwksSourceStats st = Stats();
  EXPECT_EQ(st.fetch_not_modified, 1u);
  EXPECT_EQ(st.fetch_ok, 1u);
  EXPECT_EQ(st.age, absl::ZeroDuration());
  EXPECT_EQ(st.keys_loaded, 1u);
  EXPECT_EQ(st.next_refresh, clock_.Now() + absl::Seconds(120));
  EXPECT_EQ(Verify(TokenFor(KeyA())), kOk);
}

TEST_F(RefresherTest, OidcDiscoveryFindsJwksUri) {
  const std::string issuer = server_->Url("");
  server_->SetReply("/.well-known/openid-configuration",
                    {.body = nlohmann::json{{"issuer", issuer},
                                            {"jwks_uri", server_->Url("/keys")}}
                                 .dump()});
  server_->SetReply("/keys", {.body = JwksOf({&KeyA()})});
  JwksSourceConfig s;
  s.provider = kProvider;
  s.discover = true;
  s.issuer = issuer;
  Make({s}, Options());
  refresher_->RefreshOnce();
  EXPECT_TRUE(refresher_->IsReady());
  EXPECT_EQ(Stats().url, server_->Url("/keys"));
  EXPECT_EQ(Stats().source_id,
            absl::StrCat("oidc:", issuer, "/.well-known/openid-configuration"));
  EXPECT_EQ(Verify(TokenFor(KeyA(), "", issuer)), kOk);
  // Discovery is not repeated while the JWKS fetches succeed.
  refresher_->RefreshOnce();
  EXPECT_EQ(server_->RequestCount("/.well-known/openid-configuration"), 1);
  EXPECT_EQ(server_->RequestCount("/keys"), 2);
  // Discovered keys are bound to the discovered issuer, across refreshes
  // (issuer binding): another issuer of the provider cannot use them.
  EXPECT_EQ(Verify(TokenFor(KeyA(), "", issuer)), kOk);
  EXPECT_EQ(Verify(TokenFor(KeyA())), FailureReason::kIssuerMismatch);
}

// Issuer binding: a plain JWKS URL source with `issuer` binds its keys.
TEST_F(RefresherTest, JwksUrlSourceWithIssuerBindsItsKeys) {
  server_->SetReply("/jwks", {.body = JwksOf({&KeyA()})});
  JwksSourceConfig s = Source("/jwks");
  s.issuer = server_->Url("");
  Make({s}, Options());
  for (int round = 0; round < 2; ++round) {
    refresher_->RefreshOnce();
    EXPECT_EQ(store_.Current()->AllEntries().at(0)->key().issuer(), s.issuer);
    EXPECT_EQ(Verify(TokenFor(KeyA(), "", s.issuer)), kOk);
    EXPECT_EQ(Verify(TokenFor(KeyA())), FailureReason::kIssuerMismatch);
  }
}

TEST_F(RefresherTest, OidcDiscoveryRejectsIssuerMismatch) {
  server_->SetReply("/openid",
                    {.body = nlohmann::json{{"issuer", "https://evil.test"},
                                            {"jwks_uri", server_->Url("/keys")}}
                                 .dump()});
  server_->SetReply("/keys", {.body = JwksOf({&KeyA()})});
  JwksSourceConfig s;
  s.provider = kProvider;
  s.discovery_url = server_->Url("/openid");
  s.issuer = "https://idp.test";
  Make({s}, Options());
  refresher_->RefreshOnce();
  EXPECT_FALSE(refresher_->IsReady());
  EXPECT_THAT(Stats().last_error, HasSubstr("issuer"));
  EXPECT_EQ(server_->RequestCount("/keys"), 0);
}

TEST_F(RefresherTest, OidcDiscoveryRejectsInsecureJwksUri) {
  server_->SetReply(
      "/openid",
      {.body = nlohmann::json{{"issuer", kIssuer},
                              {"jwks_uri", "http://idp.example.invalid/keys"}}
                   .dump()});
  JwksSourceConfig s;
  s.provider = kProvider;
  s.discovery_url = server_->Url("/openid");
  s.issuer = kIssuer;
  Make({s}, Options());
  refresher_->RefreshOnce();
  EXPECT_FALSE(refresher_->IsReady());
  EXPECT_THAT(Stats().last_error, HasSubstr("jwks_uri refused"));
}

// Counts calls and delegates to a real fetcher.
class CountingFetcher final : public JwksFetcher {
 public:
  explicit CountingFetcher(JwksFetcher* inner) : inner_(inner) {}
  absl::StatusOr<FetchResponse> Fetch(const FetchRequest& r) override {
    calls_++;
    return inner_->Fetch(r);
  }
  int calls() const { return calls_.load(); }

 private:
  JwksFetcher* inner_;
  std::atomic<int> calls_{0};
};

TEST(JwksSourceConfigTest, ValidationRefusesBadSourcesWithoutFetching) {
  FakeClock clock(kStart);
  KeyStore store;
  CurlJwksFetcher curl;
  CountingFetcher fetcher(&curl);
  auto base = [] {
    JwksSourceConfig s;
    s.provider = kProvider;
    s.url = "https://idp.example.com/jwks";
    return s;
  };
  std::vector<JwksSourceConfig> bad;
  {
    auto s = base();
    s.url = "http://idp.example.com/jwks";
    bad.push_back(s);
  }
  {
    auto s = base();
    s.provider = "";
    bad.push_back(s);
  }
  {
    auto s = base();
    s.discovery_url =
        "https://idp.example.com/.well-known/openid-configuration";
    s.issuer = "x";
    bad.push_back(s);
  }
  {
    auto s = base();
    s.url = "";
    bad.push_back(s);
  }
  {
    auto s = base();
    s.url = "";
    s.discover = true;
    bad.push_back(s);
  }  // no issuer
  {
    auto s = base();
    s.refresh.min = absl::ZeroDuration();
    bad.push_back(s);
  }
  {
    auto s = base();
    s.refresh.min = absl::Hours(1);
    bad.push_back(s);
  }  // min > default
  {
    auto s = base();
    s.refresh.max = absl::Minutes(1);
    bad.push_back(s);
  }  // max < default
  {
    auto s = base();
    s.timeout = absl::ZeroDuration();
    bad.push_back(s);
  }
  {
    auto s = base();
    s.max_keys = 0;
    bad.push_back(s);
  }
  {
    auto s = base();
    s.url = "https://u:p@idp.example.com/jwks";
    bad.push_back(s);
  }
  for (const JwksSourceConfig& s : bad) {
    EXPECT_THAT(ValidateJwksSourceConfig(s),
                StatusIs(absl::StatusCode::kInvalidArgument))
        << s.url << " / " << s.provider;
    auto r = JwksRefresher::Create({}, {s}, &store, &fetcher, &clock);
    EXPECT_THAT(r, StatusIs(absl::StatusCode::kInvalidArgument));
  }
  EXPECT_THAT(ValidateJwksSourceConfig(base()), IsOk());
  {
    auto s = base();
    s.url = "http://idp.example.com/jwks";
    s.allow_insecure = true;
    EXPECT_THAT(ValidateJwksSourceConfig(s), IsOk());
  }
  EXPECT_THAT(
      JwksRefresher::Create({}, {base(), base()}, &store, &fetcher, &clock),
      StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(fetcher.calls(), 0);
}

TEST_F(RefresherTest, StormOfUnknownKidsCausesRateLimitedFetches) {
  server_->SetReply("/jwks", {.body = JwksOf({&KeyA()}),
                              .headers = {{"Cache-Control", "max-age=86400"}}});
  Make("/jwks");
  refresher_->Start();
  ASSERT_TRUE(refresher_->WaitForInitialLoad(kWait));
  ASSERT_EQ(server_->RequestCount("/jwks"), 1);

  // 10,000 real tokens with random unknown kids, from 4 threads at once.
  std::mt19937_64 rng(42);
  std::vector<std::string> tokens;
  tokens.reserve(10000);
  const std::string one = TokenFor(KeyA());  // header is replaced below
  for (int i = 0; i < 10000; ++i) {
    tokens.push_back(TokenFor(KeyA(), absl::StrCat("rnd-", rng())));
  }
  std::atomic<int> not_found{0};
  auto burst = [&](int part) {
    for (int i = part; i < 10000; i += 4) {
      if (Verify(tokens[i]) == FailureReason::kKeyNotFound) not_found++;
    }
  };
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) threads.emplace_back(burst, t);
  for (auto& t : threads) t.join();
  EXPECT_EQ(not_found.load(), 10000);
  // The first unknown kid fetched at once; everything else falls inside the
  // 30 s window and is folded into at most one deferred fetch.
  ASSERT_TRUE(server_->WaitForRequestCount("/jwks", 2, kWait));
  ASSERT_TRUE(events_.WaitFor(2, kWait));
  EXPECT_EQ(server_->RequestCount("/jwks"), 2);
  // A second burst, all within the window.
  threads.clear();
  for (int t = 0; t < 4; ++t) threads.emplace_back(burst, t);
  for (auto& t : threads) t.join();
  EXPECT_EQ(server_->RequestCount("/jwks"), 2);
  clock_.Advance(absl::Seconds(30));
  refresher_->Wake();
  ASSERT_TRUE(events_.WaitFor(3, kWait));
  refresher_->Stop();
  EXPECT_EQ(server_->RequestCount("/jwks"), 3);
  EXPECT_EQ(Stats().unknown_kid_requests, 20000u);
  EXPECT_EQ(Stats().early_refetches, 2u);
  EXPECT_EQ(Verify(one), kOk);
}

TEST_F(RefresherTest, NegativeCacheSuppressesRefetchForKidsStillUnknown) {
  server_->SetReply("/jwks", {.body = JwksOf({&KeyA()})});
  JwksRefresherOptions o = Options();
  o.unknown_kid_min_interval = absl::Seconds(1);
  o.negative_cache_ttl = absl::Minutes(5);
  Make({Source("/jwks")}, o);
  refresher_->RefreshOnce();
  EXPECT_EQ(Stats().early_refetch_due, absl::InfiniteFuture());
  refresher_->OnUnknownKid(kProvider, "ghost");
  EXPECT_EQ(Stats().early_refetch_due, kStart);  // first one: at once
  refresher_->RefreshOnce();  // serves it; "ghost" is still unknown
  EXPECT_EQ(Stats().early_refetches, 1u);
  EXPECT_EQ(Stats().early_refetch_due, absl::InfiniteFuture());

  clock_.Advance(absl::Seconds(10));  // past the rate-limit window
  refresher_->OnUnknownKid(kProvider, "ghost");
  EXPECT_EQ(Stats().early_refetch_due, absl::InfiniteFuture());
  EXPECT_EQ(Stats().unknown_kid_suppressed, 1u);
  // A kid never asked about still triggers a refetch.
  refresher_->OnUnknownKid(kProvider, "kid-a2");
  EXPECT_EQ(Stats().early_refetch_due, clock_.Now());
  refresher_->RefreshOnce();

  clock_.Advance(absl::Minutes(6));  // the negative entry expired
  refresher_->OnUnknownKid(kProvider, "ghost");
  EXPECT_EQ(Stats().early_refetch_due, clock_.Now());
  EXPECT_EQ(Stats().unknown_kid_suppressed, 1u);
  EXPECT_EQ(Stats().unknown_kid_requests, 4u);
}

TEST_F(RefresherTest, UnknownKidOfAnotherProviderIsIgnored) {
  server_->SetReply("/jwks", {.body = JwksOf({&KeyA()})});
  Make("/jwks");
  refresher_->RefreshOnce();
  refresher_->OnUnknownKid("someone-else", "kid-x");
  EXPECT_EQ(Stats().early_refetch_due, absl::InfiniteFuture());
  EXPECT_EQ(Stats().unknown_kid_requests, 0u);
}

TEST_F(RefresherTest, StopInterruptsAnInFlightFetchPromptly) {
  server_->SetReply("/jwks", {.body = "{}", .hold = absl::Seconds(60)});
  JwksSourceConfig s = Source("/jwks");
  s.timeout = absl::Seconds(50);
  Make({s}, Options());
  refresher_->Start();
  ASSERT_TRUE(server_->WaitForRequestCount("/jwks", 1, kWait));
  absl::Time start = absl::Now();
  refresher_->Stop();
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
}

TEST_F(RefresherTest, DestructorInterruptsALongWaitPromptly) {
  server_->SetReply("/jwks", {.body = JwksOf({&KeyA()}),
                              .headers = {{"Cache-Control", "max-age=86400"}}});
  Make("/jwks");
  refresher_->Start();
  ASSERT_TRUE(refresher_->WaitForInitialLoad(kWait));
  absl::Time start = absl::Now();
  refresher_.reset();
  EXPECT_LT(absl::Now() - start, absl::Seconds(2));
}

TEST_F(RefresherTest, SourcesOfOneProviderAreIndependent) {
  server_->SetReply("/a", {.body = JwksOf({&KeyA()})});
  server_->SetReply("/b", {.status = 500});
  Make({Source("/a"), Source("/b")}, Options());
  refresher_->RefreshOnce();
  EXPECT_FALSE(refresher_->IsReady());
  EXPECT_EQ(Verify(TokenFor(KeyA())), kOk);
  auto stats = refresher_->Stats();
  ASSERT_EQ(stats.size(), 2u);
  EXPECT_EQ(stats[0].fetch_ok, 1u);
  EXPECT_EQ(stats[1].fetch_failed, 1u);
  EXPECT_EQ(JwksEventTypeName(JwksEvent::Type::kFetchFailed),
            "jwks_fetch_failed");
}

}  // namespace
}  // namespace jwtauth
