#include "core/cache_control.h"

#include <cmath>
#include <optional>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace jwtauth {
namespace {

const absl::Time kNow = absl::FromUnixSeconds(1700000000);

TEST(CacheControlTest, ParsesDirectivesCaseInsensitivelyWithQuotes) {
  CacheControl cc = ParseCacheControl(
      "public, Max-Age=\"600\", S-MAXAGE = 120 , No-Cache=\"set-cookie\"");
  ASSERT_TRUE(cc.max_age.has_value());
  EXPECT_EQ(*cc.max_age, absl::Seconds(600));
  ASSERT_TRUE(cc.s_maxage.has_value());
  EXPECT_EQ(*cc.s_maxage, absl::Seconds(120));
  EXPECT_FALSE(cc.no_cache);  // field-restricted no-cache keeps it cacheable
  EXPECT_FALSE(cc.no_store);
}

TEST(CacheControlTest, InvalidMaxAgeIsStale) {
  EXPECT_EQ(ParseCacheControl("max-age=abc").max_age, absl::ZeroDuration());
  EXPECT_EQ(ParseCacheControl("max-age=-5").max_age, absl::ZeroDuration());
  EXPECT_EQ(ParseCacheControl("max-age").max_age, absl::ZeroDuration());
}

TEST(CacheControlTest, HugeMaxAgeSaturates) {
  auto cc = ParseCacheControl("max-age=99999999999999999999999999");
  ASSERT_TRUE(cc.max_age.has_value());
  EXPECT_EQ(*cc.max_age, absl::Seconds(int64_t{1} << 31));
}

TEST(CacheControlTest, ParsesAllThreeHttpDateForms) {
  const absl::Time want =
      absl::FromUnixSeconds(784111777);  // 1994-11-06 08:49:37Z
  EXPECT_EQ(ParseHttpDate("Sun, 06 Nov 1994 08:49:37 GMT"), want);
  EXPECT_EQ(ParseHttpDate("Sunday, 06-Nov-94 08:49:37 GMT"), want);
  EXPECT_EQ(ParseHttpDate("Sun Nov  6 08:49:37 1994"), want);
  EXPECT_EQ(ParseHttpDate("0"), std::nullopt);
  EXPECT_EQ(ParseHttpDate(""), std::nullopt);
}

struct HeaderCase {
  std::string name;
  std::string cache_control;
  std::string expires;
  std::string date;
  std::string age;
  // Expected delay with bounds {default 10m, min 30s, max 24h}.
  absl::Duration want;
};

class RefreshDelayTest : public testing::TestWithParam<HeaderCase> {};

TEST_P(RefreshDelayTest, FollowsTable) {
  const HeaderCase& c = GetParam();
  RefreshBounds bounds;  // 10m / 30s / 24h
  CacheHeaders h{c.cache_control, c.expires, c.date, c.age};
  EXPECT_EQ(RefreshDelayFromHeaders(h, bounds, kNow), c.want) << c.name;
}

const char kDate[] = "Tue, 14 Nov 2023 22:13:20 GMT";  // == kNow
INSTANTIATE_TEST_SUITE_P(
    Table, RefreshDelayTest,
    testing::Values(
        HeaderCase{"nothing_uses_default", "", "", "", "", absl::Minutes(10)},
        HeaderCase{"max_age", "max-age=3600", "", "", "", absl::Hours(1)},
        HeaderCase{"s_maxage_wins_over_max_age", "max-age=3600, s-maxage=120",
                   "", "", "", absl::Seconds(120)},
        HeaderCase{"s_maxage_wins_in_any_order", "s-maxage=7200,max-age=60", "",
                   "", "", absl::Hours(2)},
        HeaderCase{"max_age_wins_over_expires", "max-age=300",
                   "Tue, 14 Nov 2023 23:13:20 GMT", kDate, "",
                   absl::Minutes(5)},
        HeaderCase{"expires_relative_to_date", "",
                   "Tue, 14 Nov 2023 23:13:20 GMT",
                   "Tue, 14 Nov 2023 22:13:20 GMT", "", absl::Hours(1)},
        // Date from a server whose clock is 5 h off: only the difference
        // counts.
        HeaderCase{"expires_uses_server_date_not_local_clock", "",
                   "Wed, 15 Nov 2023 04:13:20 GMT",
                   "Wed, 15 Nov 2023 03:13:20 GMT", "", absl::Hours(1)},
        HeaderCase{"expires_without_date_uses_now", "",
                   "Tue, 14 Nov 2023 22:33:20 GMT", "", "", absl::Minutes(20)},
        HeaderCase{"expires_in_past_is_min", "",
                   "Tue, 14 Nov 2023 20:00:00 GMT", kDate, "",
                   absl::Seconds(30)},
        HeaderCase{"invalid_expires_is_min", "", "0", kDate, "",
                   absl::Seconds(30)},
        HeaderCase{"cache_control_without_freshness_falls_to_expires", "public",
                   "Tue, 14 Nov 2023 22:33:20 GMT", kDate, "",
                   absl::Minutes(20)},
        HeaderCase{"no_store_is_min", "no-store, max-age=3600", "", "", "",
                   absl::Seconds(30)},
        HeaderCase{"no_cache_is_min", "max-age=3600, no-cache", "", "", "",
                   absl::Seconds(30)},
        HeaderCase{"below_min_clamps_up", "max-age=5", "", "", "",
                   absl::Seconds(30)},
        HeaderCase{"max_age_zero_is_min", "max-age=0", "", "", "",
                   absl::Seconds(30)},
        HeaderCase{"above_max_clamps_down", "max-age=31536000", "", "", "",
                   absl::Hours(24)},
        HeaderCase{"age_is_subtracted", "max-age=3600", "", "", "600",
                   absl::Minutes(50)},
        HeaderCase{"age_beyond_lifetime_is_min", "max-age=60", "", "", "600",
                   absl::Seconds(30)}),
    [](const testing::TestParamInfo<HeaderCase>& info) {
      return info.param.name;
    });

TEST(CacheControlTest, FreshnessIsNulloptWithoutInformation) {
  EXPECT_EQ(FreshnessFromHeaders({.cache_control = "public"}, kNow),
            std::nullopt);
  EXPECT_EQ(FreshnessFromHeaders({}, kNow), std::nullopt);
}

TEST(CacheControlTest, ClampRespectsBounds) {
  EXPECT_EQ(ClampDuration(absl::Seconds(1), absl::Seconds(30), absl::Hours(1)),
            absl::Seconds(30));
  EXPECT_EQ(ClampDuration(absl::Hours(2), absl::Seconds(30), absl::Hours(1)),
            absl::Hours(1));
  EXPECT_EQ(ClampDuration(absl::Minutes(5), absl::Seconds(30), absl::Hours(1)),
            absl::Minutes(5));
}

TEST(CacheControlTest, JitterSpansExactlyPlusMinusFraction) {
  RefreshBounds bounds;
  const absl::Duration base = absl::Minutes(10);
  EXPECT_EQ(ApplyJitter(base, 0.1, 0.0, bounds), absl::Minutes(9));
  EXPECT_EQ(ApplyJitter(base, 0.1, 0.5, bounds), base);
  EXPECT_EQ(ApplyJitter(base, 0.1, 1.0, bounds), absl::Minutes(11));
  EXPECT_EQ(ApplyJitter(base, 0.0, 0.9, bounds), base);
}

TEST(CacheControlTest, JitterStaysWithinBoundsForEveryDraw) {
  RefreshBounds bounds;
  for (absl::Duration base :
       {absl::Seconds(30), absl::Minutes(10), absl::Hours(24)}) {
    for (int i = 0; i <= 100; ++i) {
      double u = i / 100.0;
      absl::Duration d = ApplyJitter(base, 0.2, u, bounds);
      EXPECT_GE(d, bounds.min);
      EXPECT_LE(d, bounds.max);
      EXPECT_GE(d, std::max(base * 0.8, bounds.min));
      EXPECT_LE(d, std::min(base * 1.2, bounds.max));
    }
  }
}

TEST(CacheControlTest, JitterSanitisesOutOfRangeInputs) {
  RefreshBounds bounds;
  const absl::Duration base = absl::Minutes(10);
  EXPECT_EQ(ApplyJitter(base, 5.0, 1.0, bounds), absl::Minutes(20));
  EXPECT_EQ(ApplyJitter(base, 0.1, -3.0, bounds), absl::Minutes(9));
  EXPECT_EQ(ApplyJitter(base, 0.1, std::nan(""), bounds), absl::Minutes(9));
  EXPECT_EQ(ApplyJitter(base, -1.0, 0.0, bounds), base);
}

}  // namespace
}  // namespace jwtauth
