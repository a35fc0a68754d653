#include "core/verification_cache.h"

#include <memory>
#include <string>

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
  EXPECT_EQ(store_.KeyUsage()[0].verifications, 2u);
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
  EXPECT_EQ(key({}), t);
  EXPECT_NE(key({}), key({.provider = "p"}));
  EXPECT_NE(key({.provider = "p"}), key({.audience = "p"}));
  EXPECT_NE(key({.context = {{"a", "b"}}}), key({.context = {{"a", "c"}}}));
  EXPECT_EQ(key({.context = {{"a", "b"}, {"c", "d"}}}),
            key({.context = {{"c", "d"}, {"a", "b"}}}));
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
  // LRU: the most recent entry is still there.
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

}  // namespace
}  // namespace jwtauth
