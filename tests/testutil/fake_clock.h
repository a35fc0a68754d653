#ifndef JWTAUTH_TESTS_TESTUTIL_FAKE_CLOCK_H_
#define JWTAUTH_TESTS_TESTUTIL_FAKE_CLOCK_H_

// FakeClock: a Clock that moves only when a test says so. Thread-safe
// (tests may advance it while other threads read it). Not copyable.
//
//   FakeClock clock(absl::FromUnixSeconds(1'700'000'000));
//   clock.Advance(absl::Seconds(61));

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "core/clock.h"

namespace jwtauth::testutil {

class FakeClock final : public Clock {
 public:
  explicit FakeClock(absl::Time now = absl::FromUnixSeconds(1'700'000'000))
      : now_(now) {}
  FakeClock(const FakeClock&) = delete;
  FakeClock& operator=(const FakeClock&) = delete;

  absl::Time Now() const override {
    absl::MutexLock lock(&mu_);
    return now_;
  }
  void Set(absl::Time now) {
    absl::MutexLock lock(&mu_);
    now_ = now;
  }
  void Advance(absl::Duration d) {
    absl::MutexLock lock(&mu_);
    now_ += d;
  }

 private:
  mutable absl::Mutex mu_;
  absl::Time now_ ABSL_GUARDED_BY(mu_);
};

// FixedClock: a Clock stopped at one instant, with no lock: for a harness
// that never moves time and calls Now() on every verification (fuzzers, the
// differential driver), where FakeClock's mutex would be pure overhead.
class FixedClock final : public Clock {
 public:
  explicit FixedClock(absl::Time now) : now_(now) {}
  absl::Time Now() const override { return now_; }

 private:
  absl::Time now_;
};

}  // namespace jwtauth::testutil

#endif  // JWTAUTH_TESTS_TESTUTIL_FAKE_CLOCK_H_
