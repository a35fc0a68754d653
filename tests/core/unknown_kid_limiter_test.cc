#include "core/unknown_kid_limiter.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"

namespace jwtauth {
namespace {

const absl::Time kT0 = absl::FromUnixSeconds(1'700'000'000);
constexpr absl::Duration kWindow = absl::Seconds(30);

TEST(EarlyRefetchLimiterTest, FirstRequestIsDueAtOnce) {
  EarlyRefetchLimiter limiter;
  EXPECT_EQ(limiter.due(), absl::InfiniteFuture());
  EXPECT_TRUE(limiter.Request(kT0, kWindow));
  EXPECT_EQ(limiter.due(), kT0);
  // A second request while one is pending changes nothing.
  EXPECT_FALSE(limiter.Request(kT0 + absl::Seconds(1), kWindow));
  EXPECT_EQ(limiter.due(), kT0);
}

TEST(EarlyRefetchLimiterTest, RequestInsideWindowIsDeferredToItsEnd) {
  EarlyRefetchLimiter limiter;
  ASSERT_TRUE(limiter.Request(kT0, kWindow));
  EXPECT_TRUE(limiter.BeginFetch(kT0, /*forced=*/false));
  EXPECT_EQ(limiter.due(), absl::InfiniteFuture());
  EXPECT_TRUE(limiter.Request(kT0 + absl::Seconds(5), kWindow));
  EXPECT_EQ(limiter.due(), kT0 + kWindow);
  // After the window a request is due at once again.
  EXPECT_TRUE(limiter.BeginFetch(kT0 + kWindow, false));
  EXPECT_TRUE(limiter.Request(kT0 + 3 * kWindow, kWindow));
  EXPECT_EQ(limiter.due(), kT0 + 3 * kWindow);
}

TEST(EarlyRefetchLimiterTest, ScheduledFetchServesPendingRequestWithoutWindow) {
  EarlyRefetchLimiter limiter;
  ASSERT_TRUE(limiter.Request(kT0, kWindow));
  ASSERT_TRUE(limiter.BeginFetch(kT0, false));
  ASSERT_TRUE(limiter.Request(kT0 + absl::Seconds(1), kWindow));
  // A regular fetch before the deferred one is due serves the request but
  // is not early: the window keeps its start.
  EXPECT_FALSE(limiter.BeginFetch(kT0 + absl::Seconds(2), false));
  EXPECT_EQ(limiter.due(), absl::InfiniteFuture());
  ASSERT_TRUE(limiter.Request(kT0 + absl::Seconds(3), kWindow));
  EXPECT_EQ(limiter.due(), kT0 + kWindow);
  // A forced fetch is always early and restarts the window.
  EXPECT_TRUE(limiter.BeginFetch(kT0 + absl::Seconds(4), /*forced=*/true));
  ASSERT_TRUE(limiter.Request(kT0 + absl::Seconds(4), kWindow));
  EXPECT_EQ(limiter.due(), kT0 + absl::Seconds(4) + kWindow);
}

TEST(NegativeKidCacheTest, RemembersPerProviderUntilTtl) {
  NegativeKidCache cache(absl::Minutes(5), 100);
  cache.Remember("p", "k", kT0);
  EXPECT_TRUE(cache.Contains("p", "k", kT0));
  EXPECT_TRUE(
      cache.Contains("p", "k", kT0 + absl::Minutes(5) - absl::Seconds(1)));
  EXPECT_FALSE(cache.Contains("p", "k", kT0 + absl::Minutes(5)));
  EXPECT_FALSE(cache.Contains("q", "k", kT0));
  EXPECT_FALSE(cache.Contains("p", "other", kT0));
  // Remembering again extends the entry without counting it twice.
  cache.Remember("p", "k", kT0 + absl::Minutes(4));
  EXPECT_EQ(cache.size(), 1u);
  EXPECT_TRUE(cache.Contains("p", "k", kT0 + absl::Minutes(8)));
  cache.Forget("p", "k");
  EXPECT_FALSE(cache.Contains("p", "k", kT0));
  EXPECT_EQ(cache.size(), 0u);
  cache.Forget("p", "k");  // unknown: no effect
  cache.Forget("nobody", "k");
  EXPECT_EQ(cache.size(), 0u);
}

TEST(NegativeKidCacheTest, FullCacheDropsExpiredEntriesFirst) {
  NegativeKidCache cache(absl::Minutes(1), 3);
  cache.Remember("p", "old", kT0);
  cache.Remember("q", "young1", kT0 + absl::Seconds(50));
  cache.Remember("q", "young2", kT0 + absl::Seconds(50));
  ASSERT_EQ(cache.size(), 3u);
  const absl::Time later = kT0 + absl::Seconds(70);  // "old" has expired
  cache.Remember("p", "new", later);
  EXPECT_EQ(cache.size(), 3u);
  EXPECT_TRUE(cache.Contains("q", "young1", later));
  EXPECT_TRUE(cache.Contains("q", "young2", later));
  EXPECT_TRUE(cache.Contains("p", "new", later));
}

TEST(NegativeKidCacheTest, FullCacheOfLiveEntriesStartsOver) {
  NegativeKidCache cache(absl::Minutes(5), 3);
  for (int i = 0; i < 3; ++i) cache.Remember("p", absl::StrCat("k", i), kT0);
  cache.Remember("p", "k3", kT0);
  EXPECT_EQ(cache.size(), 1u);
  EXPECT_TRUE(cache.Contains("p", "k3", kT0));
  EXPECT_FALSE(cache.Contains("p", "k0", kT0));
}

TEST(NegativeKidCacheTest, ZeroEntriesDisablesTheCache) {
  NegativeKidCache cache(absl::Minutes(5), 0);
  cache.Remember("p", "k", kT0);
  EXPECT_FALSE(cache.Contains("p", "k", kT0));
  EXPECT_EQ(cache.size(), 0u);
}

}  // namespace
}  // namespace jwtauth
