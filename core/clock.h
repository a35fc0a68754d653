#ifndef JWTAUTH_CORE_CLOCK_H_
#define JWTAUTH_CORE_CLOCK_H_

// Time source injected everywhere time matters, so tests never sleep.

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace jwtauth {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual absl::Time Now() const = 0;
};

// Wall clock. Thread-safe; stateless.
class RealClock final : public Clock {
 public:
  absl::Time Now() const override { return absl::Now(); }
  // A process-wide instance (never destroyed).
  static const Clock& Get();
};

}  // namespace jwtauth

#endif  // JWTAUTH_CORE_CLOCK_H_
