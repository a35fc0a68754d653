#ifndef JWTAUTH_TESTS_TESTUTIL_WAIT_H_
#define JWTAUTH_TESTS_TESTUTIL_WAIT_H_

// WaitUntil: polls a condition until it holds or a deadline passes, so a
// test that waits for another thread never spins forever when that thread
// stalls or dies. The caller fails the test (with what it waited for) on
// false, after stopping its own threads.
//
//   bool started = WaitUntil([&] { return server.is_running(); });
//   if (!started) { server.stop(); thread.join(); }
//   ASSERT_TRUE(started) << "server did not start within 30 s";

#include <thread>

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace jwtauth::testutil {

// Generous: sanitizer builds on a loaded CI machine are slow, and a passing
// test never waits this long.
inline constexpr absl::Duration kWaitTimeout = absl::Seconds(30);

// True as soon as `done()` returns true; false once `timeout` has passed
// without it. Between polls it yields (for waits expected to be short), or
// sleeps `poll` when the check itself is costly (an RPC, a file read).
template <typename Predicate>
bool WaitUntil(Predicate done, absl::Duration timeout = kWaitTimeout,
               absl::Duration poll = absl::ZeroDuration()) {
  const absl::Time deadline = absl::Now() + timeout;
  while (!done()) {
    if (absl::Now() >= deadline) return false;
    if (poll > absl::ZeroDuration()) {
      absl::SleepFor(poll);
    } else {
      std::this_thread::yield();
    }
  }
  return true;
}

}  // namespace jwtauth::testutil

#endif  // JWTAUTH_TESTS_TESTUTIL_WAIT_H_
