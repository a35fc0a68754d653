#include "core/verification_cache.h"

#include <atomic>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "core/key_store.h"
#include "core/verifier.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/testutil/fake_clock.h"
#include "tests/testutil/status_matchers.h"
#include "tests/testutil/test_keys.h"

// Options structs are filled with designated initializers that leave the
// remaining members at their defaults; g++ -Wextra would flag each one.
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

namespace jwtauth {
namespace {

using ::jwtauth::testutil::CachedTestKey;
using ::jwtauth::testutil::FakeClock;
using ::jwtauth::testutil::GenerateTestKey;
using ::jwtauth::testutil::SignJws;
using ::jwtauth::testutil::TestKey;
using json = nlohmann::json;

class VerificationCacheTest : public ::testing::Test {
 protected:
  VerificationCacheTest() : key_(CachedTestKey(Algorithm::kHs256)) {
    store_.SetSourceKeys("p", "static", {key_.key});
    cache_ = Cache({});
    verifier_ = MakeVerifier(cache_.get());
  }
  static std::unique_ptr<VerificationCache> Cache(
      VerificationCache::Options o) {
    auto c = VerificationCache::Create(o);
    EXPECT_THAT(c, testutil::IsOk());
    return *std::move(c);
  }
  std::unique_ptr<TokenVerifier> MakeVerifier(VerificationCache* cache) {
    ProviderOptions o;
    o.name = "p";
    o.issuers = {"iss"};
    o.audiences = {"aud", "aud2"};
    auto v = TokenVerifier::Create({.providers = {o},
                                    .key_store = &store_,
                                    .clock = &clock_,
                                    .cache = cache});
    EXPECT_THAT(v, testutil::IsOk());
    return *std::move(v);
  }
  std::string Token(int64_t ttl = 300, const TestKey* k = nullptr,
                    const char* sub = "s") {
    int64_t now = absl::ToUnixSeconds(clock_.Now());
    json c = {{"iss", "iss"}, {"aud", "aud"}, {"sub", sub}, {"exp", now + ttl}};
    return SignJws(k ? *k : key_, c.dump());
  }

  FakeClock clock_;
  KeyStore store_;
  TestKey key_;
  std::unique_ptr<VerificationCache> cache_;
  std::unique_ptr<TokenVerifier> verifier_;
};

TEST_F(VerificationCacheTest, CreateRejectsZeroBounds) {
  EXPECT_FALSE(VerificationCache::Create({.max_entries = 0}).ok());
  EXPECT_FALSE(VerificationCache::Create({.max_bytes = 0}).ok());
  EXPECT_FALSE(VerificationCache::Create({.max_entries = 2, .shards = 4}).ok());
}

TEST_F(VerificationCacheTest, SecondVerifyIsAHitWithTheSameResult) {
  std::string t = Token();
  VerifyResult a = verifier_->Verify(t);
  ASSERT_TRUE(a.ok());
  VerifyResult b = verifier_->Verify(t);
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->claims_json(), a->claims_json());
  EXPECT_EQ(&b->claims(), &a->claims());  // shared, not re-parsed
  VerificationCache::Stats s = cache_->stats();
  EXPECT_EQ(s.hits, 1u);
  EXPECT_EQ(s.inserts, 1u);
  EXPECT_EQ(s.entries, 1u);
  EXPECT_GT(s.bytes, 0u);
  // Hits count as key usage.
  KeySetSnapshot snap = store_.Current();
  EXPECT_EQ(snap->AllEntries().at(0)->verifications(), 2u);
}

TEST_F(VerificationCacheTest, OptionsArePartOfTheKey) {
  std::string t = Token();
  ASSERT_TRUE(verifier_->Verify(t).ok());
  // A different audience must be evaluated, not served from the cache.
  EXPECT_EQ(verifier_->Verify(t, {.audience = "other"}).reason(),
            FailureReason::kAudienceMismatch);
  // KeyFor may return a view of a thread-local buffer: copy before the next.
  auto key = [&](const VerifyOptions& o) {
    return std::string(VerificationCache::KeyFor(t, o));
  };
  EXPECT_NE(key({}), key({.provider = "p"}));
  EXPECT_NE(key({.provider = "p"}), key({.audience = "p"}));
  EXPECT_NE(key({.context = {{"a", "b"}}}), key({.context = {{"a", "c"}}}));
  EXPECT_EQ(key({.context = {{"a", "b"}, {"c", "d"}}}),
            key({.context = {{"c", "d"}, {"a", "b"}}}));
}

// Verification-cache key collision (CWE-436): the key was `token NUL len
// provider len audience` with the bare token for empty options, so the token
// `T\0<len 0><len 11>api://other` with empty options hit the entry of Verify(T,
// audience=api://other).
TEST_F(VerificationCacheTest, FramingInsideTheTokenCannotCollideWithOptions) {
  const std::string t = Token();
  auto key = [](absl::string_view tok, const VerifyOptions& o) {
    return std::string(VerificationCache::KeyFor(tok, o));
  };
  const std::string framed_aud = t + std::string("\0\0\0\0\0", 5) + "\x0b" +
                                 std::string(3, '\0') + "api://other";
  EXPECT_NE(key(framed_aud, {}), key(t, {.audience = "api://other"}));
  EXPECT_NE(key(t + "x", {}), key(t, {.provider = "x"}));
  EXPECT_NE(key(t, {.provider = "ab"}),
            key(t, {.provider = "a", .audience = "b"}));
  // The exploit against the verifier: cache Verify(t, audience=aud), then
  // send t with the old framing of that audience appended.
  ASSERT_TRUE(verifier_->Verify(t, {.audience = "aud"}).ok());
  const std::string exploit =
      t + std::string("\0\0\0\0\0\x03\0\0\0", 9) + "aud";
  VerifyResult r = verifier_->Verify(exploit);
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.reason(), FailureReason::kMalformed);
}

// Property: over random tuples whose parts are drawn from a small alphabet
// rich in framing bytes (NUL, length-like bytes, separators, pieces of other
// parts), two tuples have the same key exactly when they are equal.
TEST_F(VerificationCacheTest, KeyIsInjectiveOverRandomFramings) {
  std::mt19937 rng(20261205);
  const std::vector<std::string> atoms = {std::string(1, '\0'),
                                          "\x01",
                                          "\x0b",
                                          std::string("\0\0\0", 3),
                                          "a",
                                          "b",
                                          ".",
                                          "api://other",
                                          "p",
                                          "\xff"};
  auto part = [&]() {
    std::string s;
    const int n = static_cast<int>(rng() % 4);
    for (int i = 0; i < n; ++i) s += atoms[rng() % atoms.size()];
    return s;
  };
  using Tuple = std::tuple<std::string, std::string, std::string,
                           std::map<std::string, std::string>>;
  std::map<std::string, Tuple> seen;
  size_t distinct = 0;
  for (int i = 0; i < 20000; ++i) {
    Tuple tup{part(), part(), part(), {}};
    const int ctx = static_cast<int>(rng() % 3);
    for (int c = 0; c < ctx; ++c) std::get<3>(tup)[part()] = part();
    VerifyOptions o;
    o.provider = std::get<1>(tup);
    o.audience = std::get<2>(tup);
    for (const auto& [k, v] : std::get<3>(tup)) o.context[k] = v;
    std::string k(VerificationCache::KeyFor(std::get<0>(tup), o));
    auto [it, inserted] = seen.emplace(k, tup);
    if (inserted) {
      ++distinct;
    } else {
      ASSERT_EQ(it->second, tup) << "two different requests share a key";
    }
  }
  EXPECT_GT(distinct, 5000u);  // the generator explores, not repeats
}

// Property, end to end: a verifier with a cache answers every request
// exactly as one without a cache, whatever framing the requests carry.
TEST_F(VerificationCacheTest, CachedVerdictEqualsUncachedOverRandomFramings) {
  std::unique_ptr<TokenVerifier> uncached = MakeVerifier(nullptr);
  const std::string t = Token();
  std::mt19937 rng(7);
  const std::vector<std::string> pieces = {t,
                                           std::string(1, '\0'),
                                           std::string("\0\0\0\0", 4),
                                           "\x03",
                                           "aud",
                                           "aud2",
                                           "p",
                                           "other",
                                           ".",
                                           "%00"};
  const std::vector<std::string> fields = {
      "", "aud", "aud2", "p", "other", std::string("aud\0", 4)};
  for (int i = 0; i < 3000; ++i) {
    std::string token = rng() % 3 == 0 ? t : "";
    const int n = static_cast<int>(rng() % 4);
    for (int j = 0; j < n; ++j) token += pieces[rng() % pieces.size()];
    VerifyOptions o;
    o.audience = fields[rng() % fields.size()];
    if (rng() % 4 == 0) o.provider = "p";
    VerifyResult cached = verifier_->Verify(token, o);
    VerifyResult fresh = uncached->Verify(token, o);
    ASSERT_EQ(cached.ok(), fresh.ok()) << "request " << i;
    ASSERT_EQ(cached.reason(), fresh.reason()) << "request " << i;
  }
  EXPECT_GT(cache_->stats().hits, 0u);  // the cache did serve some of them
}

TEST_F(VerificationCacheTest, NeverServedAtOrAfterExp) {
  std::string t = Token(/*ttl=*/10);
  ASSERT_TRUE(verifier_->Verify(t).ok());
  clock_.Advance(absl::Seconds(10));  // now == exp: within skew, re-verified
  EXPECT_TRUE(verifier_->Verify(t).ok());
  EXPECT_EQ(cache_->stats().hits, 0u);
  EXPECT_EQ(cache_->stats().invalidations, 1u);
  clock_.Advance(absl::Seconds(60));
  EXPECT_EQ(verifier_->Verify(t).reason(), FailureReason::kExpired);
}

TEST_F(VerificationCacheTest, RemovedKeyInvalidatesReloadedKeyDoesNot) {
  std::string t = Token();
  ASSERT_TRUE(verifier_->Verify(t).ok());
  store_.SetSourceKeys("p", "static", {key_.key});  // refresh, same key
  ASSERT_TRUE(verifier_->Verify(t).ok());
  EXPECT_EQ(cache_->stats().hits, 1u);
  TestKey other = GenerateTestKey(Algorithm::kHs256, key_.kid);
  store_.SetSourceKeys("p", "static", {other.key});  // key replaced
  EXPECT_EQ(verifier_->Verify(t).reason(), FailureReason::kSignatureInvalid);
  EXPECT_EQ(cache_->stats().hits, 1u);
  EXPECT_EQ(cache_->stats().invalidations, 1u);
}

TEST_F(VerificationCacheTest, FailuresAreNotCached) {
  std::string t = Token(/*ttl=*/300, nullptr);
  t[t.size() - 3] = t[t.size() - 3] == 'A' ? 'B' : 'A';
  EXPECT_FALSE(verifier_->Verify(t).ok());
  EXPECT_FALSE(verifier_->Verify(t).ok());
  EXPECT_EQ(cache_->stats().inserts, 0u);
  EXPECT_EQ(cache_->stats().entries, 0u);
}

TEST_F(VerificationCacheTest, OtherVerifierGenerationIsNotServed) {
  std::string t = Token();
  ASSERT_TRUE(verifier_->Verify(t).ok());
  auto next = MakeVerifier(cache_.get());
  ASSERT_TRUE(next->Verify(t).ok());
  EXPECT_EQ(cache_->stats().hits, 0u);
  ASSERT_TRUE(next->Verify(t).ok());
  EXPECT_EQ(cache_->stats().hits, 1u);
}

TEST_F(VerificationCacheTest, BoundedByEntriesAndBytes) {
  auto small = Cache({.max_entries = 4, .max_bytes = 1 << 20, .shards = 1});
  auto v = MakeVerifier(small.get());
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(v->Verify(Token(300, nullptr, std::to_string(i).c_str())).ok());
  }
  EXPECT_EQ(small->stats().entries, 4u);
  EXPECT_EQ(small->stats().evictions, 6u);
  // CLOCK: the most recent entry is still there.
  ASSERT_TRUE(v->Verify(Token(300, nullptr, "9")).ok());
  EXPECT_EQ(small->stats().hits, 1u);

  auto tiny = Cache({.max_entries = 1000, .max_bytes = 4000, .shards = 1});
  auto w = MakeVerifier(tiny.get());
  for (int i = 0; i < 20; ++i) {
    ASSERT_TRUE(w->Verify(Token(300, nullptr, std::to_string(i).c_str())).ok());
  }
  EXPECT_LE(tiny->stats().bytes, 4000u);
  EXPECT_LT(tiny->stats().entries, 20u);
  EXPECT_GT(tiny->stats().entries, 0u);
}

// A token whose shard entry was evicted is still served from this thread's
// slot (stats count a hit, no miss), and the slot obeys Clear().
TEST_F(VerificationCacheTest, ThreadSlotServesAfterEvictionUntilClear) {
  auto one = Cache({.max_entries = 1, .shards = 1});
  auto v = MakeVerifier(one.get());
  const std::string t1 = Token(300, nullptr, "1");
  const std::string t2 = Token(300, nullptr, "2");
  ASSERT_TRUE(v->Verify(t1).ok());  // miss, insert
  ASSERT_TRUE(v->Verify(t1).ok());  // shard hit: copied to the slot
  ASSERT_TRUE(v->Verify(t2).ok());  // miss, insert, evicts t1
  EXPECT_EQ(one->stats().evictions, 1u);
  ASSERT_TRUE(v->Verify(t1).ok());  // slot hit
  EXPECT_EQ(one->stats().hits, 2u);
  EXPECT_EQ(one->stats().misses, 2u);
  one->Clear();
  ASSERT_TRUE(v->Verify(t1).ok());  // re-verified
  EXPECT_EQ(one->stats().hits, 2u);
  EXPECT_EQ(one->stats().misses, 3u);
}

// Only the shard knows the entry is gone; the slot alone must still refuse
// a removed key, exp and another verifier.
TEST_F(VerificationCacheTest, ThreadSlotObeysKeyRemovalExpAndVerifier) {
  auto one = Cache({.max_entries = 1, .shards = 1});
  auto v = MakeVerifier(one.get());
  const std::string t1 = Token(/*ttl=*/30, nullptr, "1");
  const std::string t2 = Token(300, nullptr, "2");
  // `t` in this thread's slot, no longer in the shard.
  auto slot_only = [&](const std::string& t) {
    ASSERT_TRUE(v->Verify(t).ok());
    ASSERT_TRUE(v->Verify(t).ok());
    ASSERT_TRUE(v->Verify(t2).ok());
  };
  slot_only(t1);
  auto other_verifier = MakeVerifier(one.get());
  uint64_t hits = one->stats().hits;
  ASSERT_TRUE(other_verifier->Verify(t1).ok());
  EXPECT_EQ(one->stats().hits, hits);  // other verifier: not served

  const std::string t3 = Token(300, nullptr, "3");
  slot_only(t3);
  TestKey other = GenerateTestKey(Algorithm::kHs256, key_.kid);
  store_.SetSourceKeys("p", "static", {other.key});  // key replaced
  EXPECT_EQ(v->Verify(t3).reason(), FailureReason::kSignatureInvalid);
  store_.SetSourceKeys("p", "static", {key_.key});

  slot_only(t1);
  hits = one->stats().hits;
  clock_.Advance(absl::Seconds(30));  // now == t1's exp
  ASSERT_TRUE(v->Verify(t1).ok());    // within skew: re-verified
  EXPECT_EQ(one->stats().hits, hits);
}

// CLOCK: an entry hit since the hand last passed survives the next
// eviction; an untouched one goes. Checked from a fresh thread (no slots).
TEST_F(VerificationCacheTest, ReferencedEntrySurvivesEviction) {
  auto two = Cache({.max_entries = 2, .shards = 1});
  auto v = MakeVerifier(two.get());
  const std::string a = Token(300, nullptr, "a");
  const std::string b = Token(300, nullptr, "b");
  const std::string c = Token(300, nullptr, "c");
  ASSERT_TRUE(v->Verify(a).ok());
  ASSERT_TRUE(v->Verify(b).ok());
  ASSERT_TRUE(v->Verify(a).ok());  // a referenced
  ASSERT_TRUE(v->Verify(c).ok());  // evicts b
  EXPECT_EQ(two->stats().evictions, 1u);
  std::thread([&] {
    const uint64_t hits = two->stats().hits;
    ASSERT_TRUE(v->Verify(a).ok());
    EXPECT_EQ(two->stats().hits, hits + 1);
    ASSERT_TRUE(v->Verify(b).ok());
    EXPECT_EQ(two->stats().hits, hits + 1);
  }).join();
}

// Concurrent hits, misses, evictions and Clear(): every answer is right and
// every lookup is counted once.
TEST_F(VerificationCacheTest, ConcurrentLookupsInsertsAndClears) {
  auto small = Cache({.max_entries = 8, .shards = 2});
  auto v = MakeVerifier(small.get());
  std::vector<std::string> tokens;
  for (int i = 0; i < 24; ++i) {
    tokens.push_back(Token(300, nullptr, std::to_string(i).c_str()));
  }
  constexpr int kThreads = 4;
  constexpr int kCalls = 3000;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kCalls; ++i) {
        // Mostly a few hot tokens, sometimes a cold one.
        const size_t n = i % 5 == 0 ? (i * 7 + t) % tokens.size() : i % 3;
        VerifyResult r = v->Verify(tokens[n]);
        if (!r.ok() || r->claims().at("sub") != std::to_string(n)) {
          failures.fetch_add(1);
        }
        if (t == 0 && i % 500 == 0) small->Clear();
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  VerificationCache::Stats s = small->stats();
  EXPECT_EQ(s.hits + s.misses, uint64_t{kThreads} * kCalls);
  EXPECT_GT(s.hits, 0u);
  EXPECT_LE(s.entries, 8u);
}
}  // namespace
}  // namespace jwtauth

namespace jwtauth {
namespace {

// A request whose options are longer than any token never reaches the cache
// (neither lookup nor insert): the key buffer stays bounded by the limits.
TEST_F(VerificationCacheTest, OversizedOptionsBypassTheCache) {
  const std::string t = Token();
  const std::string huge(64 * 1024, 'a');
  EXPECT_EQ(verifier_->Verify(t, {.audience = huge}).reason(),
            FailureReason::kAudienceMismatch);
  VerificationCache::Stats s = cache_->stats();
  EXPECT_EQ(s.hits + s.misses, 0u);
  ASSERT_TRUE(verifier_->Verify(t, {.audience = "aud"}).ok());
  EXPECT_EQ(cache_->stats().misses, 1u);  // normal requests still use it
}

}  // namespace
}  // namespace jwtauth
