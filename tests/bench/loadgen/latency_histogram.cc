#include "tests/bench/loadgen/latency_histogram.h"

#include <algorithm>
#include <cmath>

namespace jwtauth::loadgen {

// Values below 2^(kSubBucketBits+1) get one bucket each. Above, a value with
// its highest set bit at `msb` keeps its top kSubBucketBits+1 bits:
// index = 64 * (msb - 6) + (v >> (msb - 6)), contiguous from 128 upwards.
int LatencyHistogram::BucketOf(uint64_t ns) {
  constexpr uint64_t kLinear = uint64_t{2} << kSubBucketBits;
  if (ns < kLinear) return static_cast<int>(ns);
  const uint64_t clamp = (uint64_t{2} << kMaxExponent) - 1;
  ns = std::min(ns, clamp);
  const int msb = 63 - __builtin_clzll(ns);
  const int shift = msb - kSubBucketBits;
  return (shift << kSubBucketBits) + static_cast<int>(ns >> shift);
}

uint64_t LatencyHistogram::BucketUpperBound(int index) {
  constexpr int kLinear = 2 << kSubBucketBits;
  if (index < kLinear) return static_cast<uint64_t>(index);
  const int shift = (index >> kSubBucketBits) - 1;
  const uint64_t sub =
      static_cast<uint64_t>(index & ((1 << kSubBucketBits) - 1)) +
      (uint64_t{1} << kSubBucketBits);
  return ((sub + 1) << shift) - 1;
}

void LatencyHistogram::Record(absl::Duration latency) {
  const int64_t ns = std::max<int64_t>(0, absl::ToInt64Nanoseconds(latency));
  const uint64_t v = static_cast<uint64_t>(ns);
  counts_[static_cast<size_t>(BucketOf(v))].fetch_add(
      1, std::memory_order_relaxed);
  uint64_t seen = max_ns_.load(std::memory_order_relaxed);
  while (v > seen &&
         !max_ns_.compare_exchange_weak(seen, v, std::memory_order_relaxed)) {
  }
}

void LatencyHistogram::Reset() {
  for (auto& c : counts_) c.store(0, std::memory_order_relaxed);
  max_ns_.store(0, std::memory_order_relaxed);
}

int64_t LatencyHistogram::count() const {
  int64_t n = 0;
  for (const auto& c : counts_) n += c.load(std::memory_order_relaxed);
  return n;
}

absl::Duration LatencyHistogram::max() const {
  return absl::Nanoseconds(
      static_cast<int64_t>(max_ns_.load(std::memory_order_relaxed)));
}

absl::Duration LatencyHistogram::Percentile(double q) const {
  const int64_t total = count();
  if (total == 0) return absl::ZeroDuration();
  // The rank of the q-quantile, 1-based: the smallest value with at least
  // ceil(q * total) recorded values at or below it.
  const int64_t rank = std::clamp<int64_t>(
      static_cast<int64_t>(std::ceil(q * static_cast<double>(total))), 1,
      total);
  int64_t seen = 0;
  for (int i = 0; i < kBuckets; ++i) {
    seen += counts_[static_cast<size_t>(i)].load(std::memory_order_relaxed);
    if (seen >= rank) {
      const uint64_t upper = std::min(BucketUpperBound(i),
                                      max_ns_.load(std::memory_order_relaxed));
      return absl::Nanoseconds(static_cast<int64_t>(upper));
    }
  }
  return max();
}

}  // namespace jwtauth::loadgen
