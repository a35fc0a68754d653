// ThreadSanitizer shim for Debian 12's prebuilt Abseil (20220623, inline
// namespace absl::debian3).
//
// What it is: libabsl_synchronization.so is not built with -fsanitize=thread,
// so TSan never sees absl::Mutex / CondVar / Notification synchronise, and
// every access to data guarded by an absl::Mutex is reported as a data race.
// This file is linked (as an object library) into every test and binary of a
// JWTAUTH_SANITIZE=thread build, together with `-Wl,--wrap=<symbol>` for each
// function below (see tests/tsan/tsan_shim.cmake). --wrap redirects every call
// made from the objects being linked (our code, including absl/gRPC header
// inlines compiled into it) to __wrap_<symbol>, which brackets the real call
// with __tsan_release / __tsan_acquire on the mutex address:
//   * lock-type operations: real call, then acquire(mu);
//   * unlock-type operations: release(mu), then real call;
//   * operations that unlock and re-lock (Await*, *LockWhen* that may block,
//     CondVar::Wait*): release(mu), real call, acquire(mu);
//   * Notification: Notify releases, a successful WaitForNotification*
//     acquires (and HasBeenNotified(), which is inline, acquires through the
//     instrumented atomic load of notified_yet_, see below).
// The real call runs with this thread's memory accesses ignored: Abseil may
// evaluate an absl::Condition predicate (our instrumented code) inside
// Lock/Unlock while TSan considers the mutex not held, which would otherwise
// be reported as a false race. Predicates must be read-only (Abseil requires
// that anyway), so nothing is lost except checking predicate reads.
//
// Limits: calls made inside libabsl itself stay invisible (irrelevant: the
// library is not instrumented). Reader locks are modelled like writer locks
// (readers also synchronise with earlier readers), which can only hide a race,
// never invent one. Thread-safety: stateless. Failure modes: none at run
// time; a missing --wrap only brings back the false reports this removes.
//
// The file also provides __tsan_default_options so that a binary run by hand
// (or spawned by a test) uses tests/tsan/tsan.supp without TSAN_OPTIONS; the
// tsan test preset sets TSAN_OPTIONS too (environment options override these).

#include <atomic>
#include <cstddef>

#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"

// Only built in JWTAUTH_SANITIZE=thread builds (tests/tsan/tsan_shim.cmake,
// which also undefines __SANITIZE_THREAD__ to keep the prebuilt libraries'
// ABI, so that macro cannot be checked here).

extern "C" {
void __tsan_acquire(void* addr);
void __tsan_release(void* addr);
void __tsan_ignore_thread_begin();
void __tsan_ignore_thread_end();

const char* __tsan_default_options() {
  return "suppressions=" JWTAUTH_TSAN_SUPPRESSIONS " second_deadlock_stack=1";
}
}  // extern "C"

namespace {

using absl::Condition;
using absl::CondVar;
using absl::Duration;
using absl::Mutex;
using absl::Notification;
using absl::Time;

// Runs the real (uninstrumented) Abseil call with accesses ignored.
class IgnoreAccesses {
 public:
  IgnoreAccesses() { __tsan_ignore_thread_begin(); }
  ~IgnoreAccesses() { __tsan_ignore_thread_end(); }
  IgnoreAccesses(const IgnoreAccesses&) = delete;
  IgnoreAccesses& operator=(const IgnoreAccesses&) = delete;
};

void Acquire(const void* p) { __tsan_acquire(const_cast<void*>(p)); }
void Release(const void* p) { __tsan_release(const_cast<void*>(p)); }

// absl::Notification is {Mutex mutex_; std::atomic<bool> notified_yet_;}.
// HasBeenNotified() is inline (an instrumented acquire load of notified_yet_),
// so Notify must also release on that address for it to synchronise.
struct NotificationLayout {
  Mutex mutex;
  std::atomic<bool> notified_yet;
};
static_assert(sizeof(NotificationLayout) == sizeof(Notification),
              "absl::Notification layout changed; update the TSan shim");
const void* NotifiedFlag(const Notification* n) {
  return reinterpret_cast<const char*>(n) +
         offsetof(NotificationLayout, notified_yet);
}

// absl::ReleasableMutexLock is {Mutex* mu_;}; Release() is out of line and
// unlocks inside the library, so the shim reads the mutex pointer itself.
static_assert(sizeof(absl::ReleasableMutexLock) == sizeof(Mutex*),
              "absl::ReleasableMutexLock layout changed; update the TSan shim");
Mutex* LockedMutex(absl::ReleasableMutexLock* l) {
  return *reinterpret_cast<Mutex**>(l);
}

}  // namespace

// Mangled names (nm -D libabsl_synchronization.so). Each __real_X is the
// original function, each __wrap_X replaces it for our objects; the list of
// --wrap flags is in tests/tsan/tsan_shim.cmake and must match.
extern "C" {

// ---- exclusive lock / unlock ----------------------------------------------
void __real__ZN4absl7debian35Mutex4LockEv(Mutex*);
void __wrap__ZN4absl7debian35Mutex4LockEv(Mutex* mu) {
  {
    IgnoreAccesses ignore;
    __real__ZN4absl7debian35Mutex4LockEv(mu);
  }
  Acquire(mu);
}

void __real__ZN4absl7debian35Mutex6UnlockEv(Mutex*);
void __wrap__ZN4absl7debian35Mutex6UnlockEv(Mutex* mu) {
  Release(mu);
  IgnoreAccesses ignore;
  __real__ZN4absl7debian35Mutex6UnlockEv(mu);
}

bool __real__ZN4absl7debian35Mutex7TryLockEv(Mutex*);
bool __wrap__ZN4absl7debian35Mutex7TryLockEv(Mutex* mu) {
  bool locked;
  {
    IgnoreAccesses ignore;
    locked = __real__ZN4absl7debian35Mutex7TryLockEv(mu);
  }
  if (locked) Acquire(mu);
  return locked;
}

// ---- shared lock / unlock -------------------------------------------------
void __real__ZN4absl7debian35Mutex10ReaderLockEv(Mutex*);
void __wrap__ZN4absl7debian35Mutex10ReaderLockEv(Mutex* mu) {
  {
    IgnoreAccesses ignore;
    __real__ZN4absl7debian35Mutex10ReaderLockEv(mu);
  }
  Acquire(mu);
}

void __real__ZN4absl7debian35Mutex12ReaderUnlockEv(Mutex*);
void __wrap__ZN4absl7debian35Mutex12ReaderUnlockEv(Mutex* mu) {
  Release(mu);
  IgnoreAccesses ignore;
  __real__ZN4absl7debian35Mutex12ReaderUnlockEv(mu);
}

bool __real__ZN4absl7debian35Mutex13ReaderTryLockEv(Mutex*);
bool __wrap__ZN4absl7debian35Mutex13ReaderTryLockEv(Mutex* mu) {
  bool locked;
  {
    IgnoreAccesses ignore;
    locked = __real__ZN4absl7debian35Mutex13ReaderTryLockEv(mu);
  }
  if (locked) Acquire(mu);
  return locked;
}

// ---- conditional locking (lock when the condition holds) ------------------
void __real__ZN4absl7debian35Mutex8LockWhenERKNS0_9ConditionE(Mutex*,
                                                              const Condition&);
void __wrap__ZN4absl7debian35Mutex8LockWhenERKNS0_9ConditionE(
    Mutex* mu, const Condition& c) {
  {
    IgnoreAccesses ignore;
    __real__ZN4absl7debian35Mutex8LockWhenERKNS0_9ConditionE(mu, c);
  }
  Acquire(mu);
}

void __real__ZN4absl7debian35Mutex14ReaderLockWhenERKNS0_9ConditionE(
    Mutex*, const Condition&);
void __wrap__ZN4absl7debian35Mutex14ReaderLockWhenERKNS0_9ConditionE(
    Mutex* mu, const Condition& c) {
  {
    IgnoreAccesses ignore;
    __real__ZN4absl7debian35Mutex14ReaderLockWhenERKNS0_9ConditionE(mu, c);
  }
  Acquire(mu);
}

// The *WithTimeout / *WithDeadline forms return with the lock held whatever
// the condition's value.
bool __real__ZN4absl7debian35Mutex19LockWhenWithTimeoutERKNS0_9ConditionENS0_8DurationE(
    Mutex*, const Condition&, Duration);
bool __wrap__ZN4absl7debian35Mutex19LockWhenWithTimeoutERKNS0_9ConditionENS0_8DurationE(
    Mutex* mu, const Condition& c, Duration d) {
  bool r;
  {
    IgnoreAccesses ignore;
    r = __real__ZN4absl7debian35Mutex19LockWhenWithTimeoutERKNS0_9ConditionENS0_8DurationE(
        mu, c, d);
  }
  Acquire(mu);
  return r;
}

bool __real__ZN4absl7debian35Mutex20LockWhenWithDeadlineERKNS0_9ConditionENS0_4TimeE(
    Mutex*, const Condition&, Time);
bool __wrap__ZN4absl7debian35Mutex20LockWhenWithDeadlineERKNS0_9ConditionENS0_4TimeE(
    Mutex* mu, const Condition& c, Time t) {
  bool r;
  {
    IgnoreAccesses ignore;
    r = __real__ZN4absl7debian35Mutex20LockWhenWithDeadlineERKNS0_9ConditionENS0_4TimeE(
        mu, c, t);
  }
  Acquire(mu);
  return r;
}

bool __real__ZN4absl7debian35Mutex25ReaderLockWhenWithTimeoutERKNS0_9ConditionENS0_8DurationE(
    Mutex*, const Condition&, Duration);
bool __wrap__ZN4absl7debian35Mutex25ReaderLockWhenWithTimeoutERKNS0_9ConditionENS0_8DurationE(
    Mutex* mu, const Condition& c, Duration d) {
  bool r;
  {
    IgnoreAccesses ignore;
    r = __real__ZN4absl7debian35Mutex25ReaderLockWhenWithTimeoutERKNS0_9ConditionENS0_8DurationE(
        mu, c, d);
  }
  Acquire(mu);
  return r;
}

bool __real__ZN4absl7debian35Mutex26ReaderLockWhenWithDeadlineERKNS0_9ConditionENS0_4TimeE(
    Mutex*, const Condition&, Time);
bool __wrap__ZN4absl7debian35Mutex26ReaderLockWhenWithDeadlineERKNS0_9ConditionENS0_4TimeE(
    Mutex* mu, const Condition& c, Time t) {
  bool r;
  {
    IgnoreAccesses ignore;
    r = __real__ZN4absl7debian35Mutex26ReaderLockWhenWithDeadlineERKNS0_9ConditionENS0_4TimeE(
        mu, c, t);
  }
  Acquire(mu);
  return r;
}

// ---- Await: called with the lock held; may unlock and re-lock -------------
void __real__ZN4absl7debian35Mutex5AwaitERKNS0_9ConditionE(Mutex*,
                                                           const Condition&);
void __wrap__ZN4absl7debian35Mutex5AwaitERKNS0_9ConditionE(Mutex* mu,
                                                           const Condition& c) {
  Release(mu);
  {
    IgnoreAccesses ignore;
    __real__ZN4absl7debian35Mutex5AwaitERKNS0_9ConditionE(mu, c);
  }
  Acquire(mu);
}

bool __real__ZN4absl7debian35Mutex16AwaitWithTimeoutERKNS0_9ConditionENS0_8DurationE(
    Mutex*, const Condition&, Duration);
bool __wrap__ZN4absl7debian35Mutex16AwaitWithTimeoutERKNS0_9ConditionENS0_8DurationE(
    Mutex* mu, const Condition& c, Duration d) {
  Release(mu);
  bool r;
  {
    IgnoreAccesses ignore;
    r = __real__ZN4absl7debian35Mutex16AwaitWithTimeoutERKNS0_9ConditionENS0_8DurationE(
        mu, c, d);
  }
  Acquire(mu);
  return r;
}

bool __real__ZN4absl7debian35Mutex17AwaitWithDeadlineERKNS0_9ConditionENS0_4TimeE(
    Mutex*, const Condition&, Time);
bool __wrap__ZN4absl7debian35Mutex17AwaitWithDeadlineERKNS0_9ConditionENS0_4TimeE(
    Mutex* mu, const Condition& c, Time t) {
  Release(mu);
  bool r;
  {
    IgnoreAccesses ignore;
    r = __real__ZN4absl7debian35Mutex17AwaitWithDeadlineERKNS0_9ConditionENS0_4TimeE(
        mu, c, t);
  }
  Acquire(mu);
  return r;
}

// ---- ReleasableMutexLock::Release (unlocks inside the library) ------------
void __real__ZN4absl7debian319ReleasableMutexLock7ReleaseEv(
    absl::ReleasableMutexLock*);
void __wrap__ZN4absl7debian319ReleasableMutexLock7ReleaseEv(
    absl::ReleasableMutexLock* l) {
  Release(LockedMutex(l));
  IgnoreAccesses ignore;
  __real__ZN4absl7debian319ReleasableMutexLock7ReleaseEv(l);
}

// ---- CondVar: Wait* unlocks mu, blocks, re-locks mu -----------------------
void __real__ZN4absl7debian37CondVar4WaitEPNS0_5MutexE(CondVar*, Mutex*);
void __wrap__ZN4absl7debian37CondVar4WaitEPNS0_5MutexE(CondVar* cv, Mutex* mu) {
  Release(mu);
  {
    IgnoreAccesses ignore;
    __real__ZN4absl7debian37CondVar4WaitEPNS0_5MutexE(cv, mu);
  }
  Acquire(mu);
}

bool __real__ZN4absl7debian37CondVar15WaitWithTimeoutEPNS0_5MutexENS0_8DurationE(
    CondVar*, Mutex*, Duration);
bool __wrap__ZN4absl7debian37CondVar15WaitWithTimeoutEPNS0_5MutexENS0_8DurationE(
    CondVar* cv, Mutex* mu, Duration d) {
  Release(mu);
  bool r;
  {
    IgnoreAccesses ignore;
    r = __real__ZN4absl7debian37CondVar15WaitWithTimeoutEPNS0_5MutexENS0_8DurationE(
        cv, mu, d);
  }
  Acquire(mu);
  return r;
}

bool __real__ZN4absl7debian37CondVar16WaitWithDeadlineEPNS0_5MutexENS0_4TimeE(
    CondVar*, Mutex*, Time);
bool __wrap__ZN4absl7debian37CondVar16WaitWithDeadlineEPNS0_5MutexENS0_4TimeE(
    CondVar* cv, Mutex* mu, Time t) {
  Release(mu);
  bool r;
  {
    IgnoreAccesses ignore;
    r = __real__ZN4absl7debian37CondVar16WaitWithDeadlineEPNS0_5MutexENS0_4TimeE(
        cv, mu, t);
  }
  Acquire(mu);
  return r;
}

// ---- Notification ---------------------------------------------------------
void __real__ZN4absl7debian312Notification6NotifyEv(Notification*);
void __wrap__ZN4absl7debian312Notification6NotifyEv(Notification* n) {
  Release(n);
  Release(NotifiedFlag(n));
  IgnoreAccesses ignore;
  __real__ZN4absl7debian312Notification6NotifyEv(n);
}

void __real__ZNK4absl7debian312Notification19WaitForNotificationEv(
    const Notification*);
void __wrap__ZNK4absl7debian312Notification19WaitForNotificationEv(
    const Notification* n) {
  {
    IgnoreAccesses ignore;
    __real__ZNK4absl7debian312Notification19WaitForNotificationEv(n);
  }
  Acquire(n);
}

bool __real__ZNK4absl7debian312Notification30WaitForNotificationWithTimeoutENS0_8DurationE(
    const Notification*, Duration);
bool __wrap__ZNK4absl7debian312Notification30WaitForNotificationWithTimeoutENS0_8DurationE(
    const Notification* n, Duration d) {
  bool notified;
  {
    IgnoreAccesses ignore;
    notified =
        __real__ZNK4absl7debian312Notification30WaitForNotificationWithTimeoutENS0_8DurationE(
            n, d);
  }
  if (notified) Acquire(n);
  return notified;
}

bool __real__ZNK4absl7debian312Notification31WaitForNotificationWithDeadlineENS0_4TimeE(
    const Notification*, Time);
bool __wrap__ZNK4absl7debian312Notification31WaitForNotificationWithDeadlineENS0_4TimeE(
    const Notification* n, Time t) {
  bool notified;
  {
    IgnoreAccesses ignore;
    notified =
        __real__ZNK4absl7debian312Notification31WaitForNotificationWithDeadlineENS0_4TimeE(
            n, t);
  }
  if (notified) Acquire(n);
  return notified;
}

}  // extern "C"
