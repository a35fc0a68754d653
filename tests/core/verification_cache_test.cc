#include "core/verification_cache.h"

#include <map>
#include <memory>
#include <random>
#include <string>
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
