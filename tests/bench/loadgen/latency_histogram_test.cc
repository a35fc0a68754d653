#include "tests/bench/loadgen/latency_histogram.h"

#include <cstdint>
#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace jwtauth::loadgen {
namespace {

TEST(LatencyHistogramTest, BucketsAreContiguousAndMonotonic) {
  int previous = LatencyHistogram::BucketOf(0);
  EXPECT_EQ(previous, 0);
  for (uint64_t v = 1; v < (uint64_t{1} << 22); v += 1 + v / 200) {
    const int b = LatencyHistogram::BucketOf(v);
    EXPECT_GE(b, previous) << v;
    EXPECT_LE(b, previous + 1) << v;
    previous = b;
  }
}

TEST(LatencyHistogramTest, UpperBoundIsTheLastValueOfItsBucket) {
  for (uint64_t v : {uint64_t{0}, uint64_t{127}, uint64_t{128}, uint64_t{129},
                     uint64_t{1000}, uint64_t{123456}, uint64_t{987654321}}) {
    const int b = LatencyHistogram::BucketOf(v);
    const uint64_t upper = LatencyHistogram::BucketUpperBound(b);
    EXPECT_GE(upper, v);
    EXPECT_EQ(LatencyHistogram::BucketOf(upper), b) << v;
    EXPECT_EQ(LatencyHistogram::BucketOf(upper + 1), b + 1) << v;
  }
}

TEST(LatencyHistogramTest, RelativeErrorIsBelowTwoPercent) {
  for (uint64_t v = 128; v < (uint64_t{1} << 36); v = v * 3 + 7) {
    const uint64_t upper =
        LatencyHistogram::BucketUpperBound(LatencyHistogram::BucketOf(v));
    EXPECT_LE(static_cast<double>(upper - v), 0.02 * static_cast<double>(v))
        << v;
  }
}

TEST(LatencyHistogramTest, PercentilesOfAUniformSpread) {
  LatencyHistogram h;
  for (int us = 1; us <= 1000; ++us) h.Record(absl::Microseconds(us));
  EXPECT_EQ(h.count(), 1000);
  EXPECT_EQ(h.max(), absl::Microseconds(1000));
  auto near = [](absl::Duration got, double want_us) {
    const double us = absl::ToDoubleMicroseconds(got);
    return us >= want_us && us <= want_us * 1.02;
  };
  EXPECT_TRUE(near(h.Percentile(0.50), 500)) << h.Percentile(0.50);
  EXPECT_TRUE(near(h.Percentile(0.90), 900)) << h.Percentile(0.90);
  EXPECT_TRUE(near(h.Percentile(0.99), 990)) << h.Percentile(0.99);
  EXPECT_EQ(h.Percentile(1.0), absl::Microseconds(1000));
}

TEST(LatencyHistogramTest, OneOutlierShowsOnlyInTheTail) {
  LatencyHistogram h;
  for (int i = 0; i < 999; ++i) h.Record(absl::Microseconds(100));
  h.Record(absl::Milliseconds(50));
  EXPECT_LT(h.Percentile(0.99), absl::Microseconds(102));
  EXPECT_GE(h.Percentile(0.9999), absl::Milliseconds(49));
  EXPECT_EQ(h.max(), absl::Milliseconds(50));
}

TEST(LatencyHistogramTest, EmptyAndResetReportZero) {
  LatencyHistogram h;
  EXPECT_EQ(h.Percentile(0.99), absl::ZeroDuration());
  h.Record(absl::Seconds(3));
  h.Reset();
  EXPECT_EQ(h.count(), 0);
  EXPECT_EQ(h.max(), absl::ZeroDuration());
}

TEST(LatencyHistogramTest, HugeAndNegativeValuesAreClamped) {
  LatencyHistogram h;
  h.Record(absl::Hours(1000));
  h.Record(-absl::Seconds(1));
  EXPECT_EQ(h.count(), 2);
  EXPECT_EQ(h.Percentile(0.5), absl::ZeroDuration());
}

TEST(LatencyHistogramTest, ConcurrentRecordsAreAllCounted) {
  LatencyHistogram h;
  std::vector<std::thread> threads;
  threads.reserve(4);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&h, t] {
      for (int i = 0; i < 10000; ++i) h.Record(absl::Microseconds(t * 10 + 5));
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(h.count(), 40000);
  EXPECT_EQ(h.max(), absl::Microseconds(35));
}

}  // namespace
}  // namespace jwtauth::loadgen
