# ThreadSanitizer support for JWTAUTH_SANITIZE=thread builds (included from
# cmake/jwtauth_helpers.cmake). Defines the object library jwtauth_tsan_shim:
# absl_mutex_tsan_shim.cc plus one -Wl,--wrap per Abseil synchronisation entry
# point it replaces. jwtauth_cc_test / jwtauth_cc_binary link it into every
# executable. Keep this list in sync with the __wrap_ functions in the .cc
# (symbols: nm -D /usr/lib/x86_64-linux-gnu/libabsl_synchronization.so).

set(JWTAUTH_TSAN_WRAPPED_SYMBOLS
  _ZN4absl7debian312Notification6NotifyEv
  _ZN4absl7debian319ReleasableMutexLock7ReleaseEv
  _ZN4absl7debian35Mutex10ReaderLockEv
  _ZN4absl7debian35Mutex12ReaderUnlockEv
  _ZN4absl7debian35Mutex13ReaderTryLockEv
  _ZN4absl7debian35Mutex14ReaderLockWhenERKNS0_9ConditionE
  _ZN4absl7debian35Mutex16AwaitWithTimeoutERKNS0_9ConditionENS0_8DurationE
  _ZN4absl7debian35Mutex17AwaitWithDeadlineERKNS0_9ConditionENS0_4TimeE
  _ZN4absl7debian35Mutex19LockWhenWithTimeoutERKNS0_9ConditionENS0_8DurationE
  _ZN4absl7debian35Mutex20LockWhenWithDeadlineERKNS0_9ConditionENS0_4TimeE
  _ZN4absl7debian35Mutex25ReaderLockWhenWithTimeoutERKNS0_9ConditionENS0_8DurationE
  _ZN4absl7debian35Mutex26ReaderLockWhenWithDeadlineERKNS0_9ConditionENS0_4TimeE
  _ZN4absl7debian35Mutex4LockEv
  _ZN4absl7debian35Mutex5AwaitERKNS0_9ConditionE
  _ZN4absl7debian35Mutex6UnlockEv
  _ZN4absl7debian35Mutex7TryLockEv
  _ZN4absl7debian35Mutex8LockWhenERKNS0_9ConditionE
  _ZN4absl7debian37CondVar15WaitWithTimeoutEPNS0_5MutexENS0_8DurationE
  _ZN4absl7debian37CondVar16WaitWithDeadlineEPNS0_5MutexENS0_4TimeE
  _ZN4absl7debian37CondVar4WaitEPNS0_5MutexE
  _ZNK4absl7debian312Notification19WaitForNotificationEv
  _ZNK4absl7debian312Notification30WaitForNotificationWithTimeoutENS0_8DurationE
  _ZNK4absl7debian312Notification31WaitForNotificationWithDeadlineENS0_4TimeE
)

add_library(jwtauth_tsan_shim OBJECT ${PROJECT_SOURCE_DIR}/tests/tsan/absl_mutex_tsan_shim.cc)
target_include_directories(jwtauth_tsan_shim PRIVATE ${PROJECT_SOURCE_DIR})
target_link_libraries(jwtauth_tsan_shim PUBLIC absl::synchronization absl::time)
target_compile_options(jwtauth_tsan_shim PRIVATE ${JWTAUTH_WARNING_FLAGS})
target_compile_definitions(jwtauth_tsan_shim PRIVATE
  JWTAUTH_TSAN_SUPPRESSIONS="${PROJECT_SOURCE_DIR}/tests/tsan/tsan.supp")
foreach(sym IN LISTS JWTAUTH_TSAN_WRAPPED_SYMBOLS)
  target_link_options(jwtauth_tsan_shim INTERFACE "LINKER:--wrap=${sym}")
endforeach()

# Debian's libprotobuf/libgrpc/libabsl are built without TSan, but their
# headers change class layouts when __SANITIZE_THREAD__ is defined (e.g.
# protobuf's MapFieldBase gains seq1_/seq2_, so google.protobuf.Struct seen by
# our code no longer matches libprotobuf: deterministic SEGV in
# server/proto_json.cc). Undefine the macro so our objects keep the libraries'
# ABI; -fsanitize=thread instrumentation does not depend on it.
add_compile_options(-U__SANITIZE_THREAD__)
