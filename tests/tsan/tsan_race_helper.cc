// Helper program for absl_mutex_shim_test: runs one two-thread scenario named
// by argv[1] and exits 0. It is built twice, with and without the Abseil TSan
// shim (tests/tsan/absl_mutex_tsan_shim.cc), and the test runs both builds
// under ThreadSanitizer (halt_on_error=1, exit code 66 on a report):
//   * every correctly synchronised scenario must be clean with the shim and
//     reported without it (so the scenario really depends on the shim);
//   * the racy scenarios ("unguarded", "wrong_mutex") must be reported even
//     with the shim (so the shim does not hide real races).
// Each scenario forces the interesting interleaving by construction (the
// main thread holds the lock while the other thread starts), not by sleeping.

#include <chrono>
#include <cstdio>
#include <cstring>
#include <functional>
#include <map>
#include <string>
#include <thread>

#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"

namespace {

constexpr int kIterations = 1000;
constexpr std::chrono::seconds kPollTimeout{30};

// Plain (non-atomic) data: any access pair without happens-before is a race.
struct Shared {
  absl::Mutex mu;
  absl::CondVar cv;
  int counter = 0;
  int payload = 0;
  bool ready = false;
};

bool IsReady(Shared* s) { return s->ready; }

void TwoThreads(const std::function<void()>& body) {
  std::thread a(body);
  std::thread b(body);
  a.join();
  b.join();
}

int Mutex() {
  Shared s;
  TwoThreads([&] {
    for (int i = 0; i < kIterations; ++i) {
      absl::MutexLock lock(&s.mu);
      ++s.counter;
    }
  });
  return s.counter == 2 * kIterations ? 0 : 1;
}

int ReaderWriter() {
  Shared s;
  int seen = 0;
  std::thread writer([&] {
    for (int i = 0; i < kIterations; ++i) {
      absl::WriterMutexLock lock(&s.mu);
      ++s.counter;
    }
  });
  std::thread reader([&] {
    for (int i = 0; i < kIterations; ++i) {
      absl::ReaderMutexLock lock(&s.mu);
      seen = s.counter;
    }
  });
  writer.join();
  reader.join();
  return seen <= kIterations ? 0 : 1;
}

int TryLock() {
  Shared s;
  TwoThreads([&] {
    for (int i = 0; i < kIterations;) {
      if (s.mu.TryLock()) {
        ++s.counter;
        s.mu.Unlock();
        ++i;
      }
    }
  });
  return s.counter == 2 * kIterations ? 0 : 1;
}

int Releasable() {
  Shared s;
  TwoThreads([&] {
    for (int i = 0; i < kIterations; ++i) {
      absl::ReleasableMutexLock lock(&s.mu);
      ++s.counter;
      lock.Release();
    }
  });
  return s.counter == 2 * kIterations ? 0 : 1;
}

// The main thread holds mu while the producer starts, so the producer can
// only publish while the main thread is inside Wait / Await (which unlock).
int CondVarWait() {
  Shared s;
  s.mu.Lock();
  std::thread producer([&] {
    absl::MutexLock lock(&s.mu);
    s.payload = 42;
    s.ready = true;
    s.cv.Signal();
  });
  while (!s.ready) s.cv.Wait(&s.mu);
  int got = s.payload;
  s.mu.Unlock();
  producer.join();
  return got == 42 ? 0 : 1;
}

int CondVarWaitWithTimeout() {
  Shared s;
  s.mu.Lock();
  std::thread producer([&] {
    absl::MutexLock lock(&s.mu);
    s.payload = 42;
    s.ready = true;
    s.cv.SignalAll();
  });
  while (!s.ready) s.cv.WaitWithTimeout(&s.mu, absl::Seconds(30));
  int got = s.payload;
  s.mu.Unlock();
  producer.join();
  return got == 42 ? 0 : 1;
}

int Await() {
  Shared s;
  s.mu.Lock();
  std::thread producer([&] {
    absl::MutexLock lock(&s.mu);
    s.payload = 42;
    s.ready = true;
  });
  s.mu.Await(absl::Condition(&s.ready));
  int got = s.payload;
  s.mu.Unlock();
  producer.join();
  return got == 42 ? 0 : 1;
}

// Instrumented predicate (a function of ours), evaluated by Abseil possibly in
// the producer's Unlock; the waiter then writes what the predicate read.
int AwaitWithTimeout() {
  Shared s;
  s.mu.Lock();
  std::thread producer([&] {
    absl::MutexLock lock(&s.mu);
    s.payload = 42;
    s.ready = true;
  });
  bool ok =
      s.mu.AwaitWithTimeout(absl::Condition(&IsReady, &s), absl::Seconds(30));
  int got = s.payload;
  s.ready = false;
  s.mu.Unlock();
  producer.join();
  return ok && got == 42 ? 0 : 1;
}

int LockWhen() {
  Shared s;
  s.mu.Lock();
  std::thread consumer([&] {
    s.mu.LockWhen(absl::Condition(&IsReady, &s));
    int got = s.payload;
    s.ready = false;
    s.counter = got;
    s.mu.Unlock();
  });
  s.payload = 42;
  s.ready = true;
  s.mu.Unlock();
  consumer.join();
  return s.counter == 42 ? 0 : 1;
}

int NotificationWait() {
  absl::Notification done;
  int payload = 0;
  std::thread producer([&] {
    payload = 42;
    done.Notify();
  });
  done.WaitForNotification();
  int got = payload;
  producer.join();
  return got == 42 ? 0 : 1;
}

int NotificationWithTimeout() {
  absl::Notification done;
  int payload = 0;
  std::thread producer([&] {
    payload = 42;
    done.Notify();
  });
  bool ok = done.WaitForNotificationWithTimeout(absl::Seconds(30));
  int got = payload;
  producer.join();
  return ok && got == 42 ? 0 : 1;
}

// HasBeenNotified() is inline: the shim must make Notify visible to it.
// The poll is bounded (std::chrono, so no Abseil code joins the scenario):
// a Notify that never becomes visible exits 3 instead of hanging the test.
int NotificationPoll() {
  absl::Notification done;
  int payload = 0;
  std::thread producer([&] {
    payload = 42;
    done.Notify();
  });
  const auto deadline = std::chrono::steady_clock::now() + kPollTimeout;
  while (!done.HasBeenNotified()) {
    if (std::chrono::steady_clock::now() >= deadline) {
      producer.join();
      std::fprintf(stderr, "notification_poll: Notify not visible in 30 s\n");
      return 3;
    }
    std::this_thread::yield();
  }
  int got = payload;
  producer.join();
  return got == 42 ? 0 : 1;
}

// Real races: must be reported with or without the shim.
int Unguarded() {
  Shared s;
  TwoThreads([&] {
    for (int i = 0; i < kIterations; ++i) ++s.counter;
  });
  return 0;
}

int WrongMutex() {
  Shared s;
  absl::Mutex other;
  std::thread a([&] {
    for (int i = 0; i < kIterations; ++i) {
      absl::MutexLock lock(&s.mu);
      ++s.counter;
    }
  });
  std::thread b([&] {
    for (int i = 0; i < kIterations; ++i) {
      absl::MutexLock lock(&other);
      ++s.counter;
    }
  });
  a.join();
  b.join();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::map<std::string, int (*)()> scenarios = {
      {"mutex", Mutex},
      {"reader_writer", ReaderWriter},
      {"trylock", TryLock},
      {"releasable", Releasable},
      {"condvar_wait", CondVarWait},
      {"condvar_wait_with_timeout", CondVarWaitWithTimeout},
      {"await", Await},
      {"await_with_timeout", AwaitWithTimeout},
      {"lock_when", LockWhen},
      {"notification_wait", NotificationWait},
      {"notification_with_timeout", NotificationWithTimeout},
      {"notification_poll", NotificationPoll},
      {"unguarded", Unguarded},
      {"wrong_mutex", WrongMutex},
  };
  if (argc != 2 || scenarios.count(argv[1]) == 0) {
    std::fprintf(stderr, "usage: %s <scenario>\n", argv[0]);
    return 2;
  }
  return scenarios.at(argv[1])();
}
