#ifndef JWTAUTH_TESTS_BENCH_LOADGEN_LATENCY_HISTOGRAM_H_
#define JWTAUTH_TESTS_BENCH_LOADGEN_LATENCY_HISTOGRAM_H_

// LatencyHistogram: fixed log-linear buckets over nanoseconds (HdrHistogram's
// layout with 64 sub-buckets per power of two, so a reported percentile is
// within 1/64 ≈ 1.6 % of the true value), from 0 to about 2^40 ns (18 min).
// Record() is one relaxed atomic increment plus a max update: no lock and no
// allocation, so completion callbacks on several gRPC threads can share one.
//
// Not copyable or movable (atomics). Thread-safe: Record() from any thread;
// read the percentiles once recording has stopped.
//
//   LatencyHistogram h;
//   h.Record(absl::Microseconds(180));
//   absl::Duration p99 = h.Percentile(0.99);

#include <array>
#include <atomic>
#include <cstdint>

#include "absl/time/time.h"

namespace jwtauth::loadgen {

class LatencyHistogram final {
 public:
  LatencyHistogram() { Reset(); }
  LatencyHistogram(const LatencyHistogram&) = delete;
  LatencyHistogram& operator=(const LatencyHistogram&) = delete;

  void Record(absl::Duration latency);
  void Reset();

  int64_t count() const;
  absl::Duration max() const;
  // The upper edge of the bucket holding the q-quantile (0 < q <= 1), never
  // above max(); zero when empty.
  absl::Duration Percentile(double q) const;

  // Bucket index of a value in nanoseconds; exposed for the tests.
  static int BucketOf(uint64_t ns);
  // Largest value (ns) that falls in bucket `index`.
  static uint64_t BucketUpperBound(int index);

 private:
  static constexpr int kSubBucketBits = 6;  // 64 sub-buckets
  static constexpr int kMaxExponent = 40;
  static constexpr int kBuckets =
      (2 << kSubBucketBits) +
      (kMaxExponent - kSubBucketBits) * (1 << kSubBucketBits);

  std::array<std::atomic<int64_t>, kBuckets> counts_;
  std::atomic<uint64_t> max_ns_{0};
};

}  // namespace jwtauth::loadgen

#endif  // JWTAUTH_TESTS_BENCH_LOADGEN_LATENCY_HISTOGRAM_H_
