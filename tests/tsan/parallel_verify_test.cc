// Concurrency of the core verify path without any transport: threads call
// TokenVerifier::Verify (with its VerificationCache) while the KeyStore's
// sources are swapped, the cache is cleared and a JwksRefresher re-fetches a
// rotating JWKS from a loopback HTTP server every few milliseconds. Built
// in every preset; its purpose is the `tsan` preset, where any data race in
// these components fails the test (the gRPC suites cannot run there, see
// docs/testing.md). Besides "no race", it asserts that no token under a key
// that stayed present ever failed while keys around it were replaced.
//
// JWTAUTH_TSAN_SECONDS (default 2) sets how long each test runs.

#include <atomic>
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "core/clock.h"
#include "core/jwk.h"
#include "core/jwks_fetcher.h"
#include "core/jwks_refresher.h"
#include "core/key_store.h"
#include "core/verification_cache.h"
#include "core/verifier.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/testutil/jwks_http_server.h"
#include "tests/testutil/status_matchers.h"
#include "tests/testutil/test_keys.h"
#include "tests/testutil/wait.h"

namespace jwtauth {
namespace {

using ::jwtauth::testutil::GenerateTestKey;
using ::jwtauth::testutil::IsOk;
using ::jwtauth::testutil::JwksHttpServer;
using ::jwtauth::testutil::TestKey;

constexpr char kProvider[] = "idp";
constexpr char kIssuer[] = "https://idp.test";
constexpr int kVerifyThreads = 4;

absl::Duration RunTime() {
  int seconds = 2;
  if (const char* env = std::getenv("JWTAUTH_TSAN_SECONDS")) {
    if (!absl::SimpleAtoi(env, &seconds) || seconds < 1) seconds = 2;
  }
  return absl::Seconds(seconds);
}

std::string TokenFor(const TestKey& key, int i) {
  const int64_t now = absl::ToUnixSeconds(absl::Now());
  nlohmann::json claims = {{"iss", kIssuer},
                           {"aud", "api"},
                           {"sub", "user-" + std::to_string(i)},
                           {"iat", now},
                           {"exp", now + 3600}};
  return testutil::SignJws(key, claims.dump());
}

std::string JwksOf(const std::vector<const TestKey*>& keys) {
  std::vector<Key> v;
  for (const TestKey* k : keys) v.push_back(k->key);
  return ExportPublicJwks(v).dump();
}

// Outcomes per token kind, counted by every verify thread.
struct Tally {
  std::atomic<int64_t> calls{0};
  std::atomic<int64_t> ok{0};
  std::atomic<int64_t> stable_failures{0};  // must stay 0
  std::atomic<int64_t> bad_accepted{0};     // must stay 0
};

class ParallelVerifyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = JwksHttpServer::Start();
    ASSERT_NE(server_, nullptr);
    server_->SetReply("/jwks", {.body = JwksOf({&jwks_stable_, &rotating_a_})});
    auto cache = VerificationCache::Create({.max_entries = 64, .shards = 4});
    ASSERT_THAT(cache, IsOk());
    cache_ = *std::move(cache);
    store_.SetSourceKeys(kProvider, "static", {static_stable_.key});
  }
  void TearDown() override {
    stop_ = true;
    for (std::thread& t : threads_) {
      if (t.joinable()) t.join();
    }
    refresher_.reset();
  }

  void MakeRefresherAndVerifier() {
    JwksSourceConfig s;
    s.provider = kProvider;
    s.url = server_->Url("/jwks");
    s.timeout = absl::Seconds(5);
    // Re-fetch all the time: every fetch republishes the store.
    s.refresh = {.default_interval = absl::Milliseconds(5),
                 .min = absl::Milliseconds(5),
                 .max = absl::Milliseconds(5)};
    JwksRefresherOptions ro;
    ro.unknown_kid_min_interval = absl::Milliseconds(5);
    ro.initial_backoff = absl::Milliseconds(5);
    auto r = JwksRefresher::Create(std::move(ro), {s}, &store_, &fetcher_,
                                   &RealClock::Get());
    ASSERT_THAT(r, IsOk());
    refresher_ = *std::move(r);
    ProviderOptions p;
    p.name = kProvider;
    p.issuers = {kIssuer};
    p.audiences = {"api"};
    VerifierConfig vc;
    vc.providers = {p};
    vc.key_store = &store_;
    vc.clock = &RealClock::Get();
    vc.cache = cache_.get();
    vc.unknown_kid_observer = refresher_.get();
    auto v = TokenVerifier::Create(std::move(vc));
    ASSERT_THAT(v, IsOk());
    verifier_ = *std::move(v);
    refresher_->Start();
    ASSERT_TRUE(refresher_->WaitForInitialLoad(absl::Seconds(20)));
  }

  // Readers: each thread verifies a stable, a changing and a bad token in
  // turn, with and without a provider named.
  void StartVerifiers() {
    // More distinct tokens than cache entries: hits, misses and evictions.
    for (int i = 0; i < 48; ++i) {
      stable_.push_back(
          TokenFor(i % 2 == 0 ? static_stable_ : jwks_stable_, i));
      changing_.push_back(
          TokenFor(i % 3 == 0 ? static_rotating_
                              : (i % 3 == 1 ? rotating_a_ : rotating_b_),
                   i));
    }
    for (int i = 0; i < 8; ++i) bad_.push_back(TokenFor(unknown_, i));
    bad_.push_back("garbage");
    // A forged signature: one character inside it changed (always a real
    // change: overwriting the tail with fixed text would leave the token
    // valid whenever the signature happened to end that way).
    std::string forged = stable_[0];
    char& c = forged[forged.rfind('.') + 5];
    c = c == 'A' ? 'B' : 'A';
    bad_.push_back(std::move(forged));
    for (int t = 0; t < kVerifyThreads; ++t) {
      threads_.emplace_back([this, t] {
        VerifyOptions with_provider;
        with_provider.provider = kProvider;
        for (size_t i = t; !stop_.load(); ++i) {
          const VerifyOptions& o = i % 2 == 0 ? with_provider : VerifyOptions{};
          VerifyResult s = verifier_->Verify(stable_[i % stable_.size()], o);
          ++stable_tally_.calls;
          (s.ok() ? stable_tally_.ok : stable_tally_.stable_failures)++;
          VerifyResult c =
              verifier_->Verify(changing_[i % changing_.size()], o);
          ++changing_tally_.calls;
          if (c.ok()) ++changing_tally_.ok;
          VerifyResult b = verifier_->Verify(bad_[i % bad_.size()], o);
          ++bad_tally_.calls;
          if (b.ok()) ++bad_tally_.bad_accepted;
        }
      });
    }
  }

  // Writers: the static source gains and loses a key; the JWKS rotates
  // between two sets (the refresher re-fetches every 5 ms); the cache is
  // cleared now and then; stats are read alongside.
  void StartWriters() {
    threads_.emplace_back([this] {
      for (bool with = true; !stop_.load(); with = !with, ++swaps_) {
        std::vector<Key> keys = {static_stable_.key};
        if (with) keys.push_back(static_rotating_.key);
        store_.SetSourceKeys(kProvider, "static", std::move(keys));
        absl::SleepFor(absl::Milliseconds(1));
      }
    });
    threads_.emplace_back([this] {
      for (bool a = false; !stop_.load(); a = !a, ++rotations_) {
        server_->SetReply(
            "/jwks",
            {.body = JwksOf({&jwks_stable_, a ? &rotating_a_ : &rotating_b_})});
        if (rotations_ % 5 == 0) cache_->Clear();
        (void)cache_->stats();
        (void)store_.Sources();
        (void)refresher_->Stats();
        absl::SleepFor(absl::Milliseconds(7));
      }
    });
  }

  // At least RunTime(), and until every writer made progress (bounded):
  // under TSan a writer may get little time next to four busy readers.
  bool RunAndStop() {
    absl::SleepFor(RunTime());
    const bool progressed = testutil::WaitUntil(
        [&] {
          return swaps_.load() >= 20 && rotations_.load() >= 10 &&
                 refresher_->Stats().at(0).fetch_ok >= 3;
        },
        absl::Seconds(120));
    stop_ = true;
    for (std::thread& t : threads_) t.join();
    return progressed;
  }

  void PrintFigures() const {
    const JwksSourceStats st = refresher_->Stats().at(0);
    const VerificationCache::Stats cs = cache_->stats();
    std::printf(
        "parallel verify: stable %lld calls, %lld failures; changing %lld "
        "calls, %lld ok; bad %lld calls, %lld accepted; %d static swaps, %d "
        "JWKS rotations, %llu fetches ok, %llu failed; cache %llu hits, %llu "
        "misses, %llu evictions, %llu invalidations\n",
        static_cast<long long>(stable_tally_.calls.load()),
        static_cast<long long>(stable_tally_.stable_failures.load()),
        static_cast<long long>(changing_tally_.calls.load()),
        static_cast<long long>(changing_tally_.ok.load()),
        static_cast<long long>(bad_tally_.calls.load()),
        static_cast<long long>(bad_tally_.bad_accepted.load()), swaps_.load(),
        rotations_.load(), static_cast<unsigned long long>(st.fetch_ok),
        static_cast<unsigned long long>(st.fetch_failed),
        static_cast<unsigned long long>(cs.hits),
        static_cast<unsigned long long>(cs.misses),
        static_cast<unsigned long long>(cs.evictions),
        static_cast<unsigned long long>(cs.invalidations));
  }

  // Keys present the whole time (tokens under them must always verify)...
  const TestKey static_stable_ = GenerateTestKey(Algorithm::kEs256, "s-1");
  const TestKey jwks_stable_ = GenerateTestKey(Algorithm::kRs256, "j-1");
  // ...and keys that come and go.
  const TestKey static_rotating_ = GenerateTestKey(Algorithm::kHs256, "s-2");
  const TestKey rotating_a_ = GenerateTestKey(Algorithm::kEs256, "j-a");
  const TestKey rotating_b_ = GenerateTestKey(Algorithm::kEs256, "j-b");
  const TestKey unknown_ = GenerateTestKey(Algorithm::kEs256, "never");

  std::unique_ptr<JwksHttpServer> server_;
  CurlJwksFetcher fetcher_{CurlJwksFetcherOptions{}};
  KeyStore store_{&RealClock::Get()};
  std::unique_ptr<VerificationCache> cache_;
  std::unique_ptr<JwksRefresher> refresher_;
  std::unique_ptr<TokenVerifier> verifier_;

  std::vector<std::string> stable_, changing_, bad_;
  Tally stable_tally_, changing_tally_, bad_tally_;
  std::atomic<bool> stop_{false};
  std::atomic<int> swaps_{0}, rotations_{0};
  std::vector<std::thread> threads_;
};

TEST_F(ParallelVerifyTest, KeySwapsCacheAndRefresherUnderParallelVerify) {
  MakeRefresherAndVerifier();
  StartVerifiers();
  StartWriters();
  EXPECT_TRUE(RunAndStop());
  PrintFigures();
  EXPECT_GT(stable_tally_.calls.load(), 0);
  EXPECT_EQ(stable_tally_.stable_failures.load(), 0);
  EXPECT_EQ(bad_tally_.bad_accepted.load(), 0);
  EXPECT_GT(changing_tally_.ok.load(), 0);
  EXPECT_GE(swaps_.load(), 20);
  // The refresher swapped keys under load; the cache hit and missed.
  EXPECT_GE(refresher_->Stats().at(0).fetch_ok, 3u);
  EXPECT_GT(cache_->stats().hits, 0u);
  EXPECT_GT(cache_->stats().misses, 0u);
}

}  // namespace
}  // namespace jwtauth
