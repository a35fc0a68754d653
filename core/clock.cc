#include "core/clock.h"

namespace jwtauth {

const Clock& RealClock::Get() {
  static const RealClock* const kClock = new RealClock();
  return *kClock;
}

}  // namespace jwtauth
