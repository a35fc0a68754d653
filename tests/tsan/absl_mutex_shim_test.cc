// Proves the Abseil TSan shim (tests/tsan/absl_mutex_tsan_shim.cc) works, by
// running tsan_race_helper scenarios as child processes under ThreadSanitizer:
//   * without the shim, correctly locked code is reported (the problem the
//     shim solves; if Debian ever ships an instrumented Abseil this fails and
//     the shim can go);
//   * with the shim, the same scenarios are clean;
//   * with the shim, real races (no lock, wrong lock) are still reported.
// Built only when JWTAUTH_SANITIZE=thread.

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testutil/temp_dir.h"

extern char** environ;

namespace jwtauth::testutil {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr int kTsanExitCode = 66;
// Generous: every scenario is short, even under TSan.
constexpr std::chrono::seconds kHelperTimeout{120};
constexpr char kRaceReport[] = "WARNING: ThreadSanitizer: data race";

struct RunResult {
  int exit_code = -1;
  std::string output;
};

// Runs `binary scenario` with TSAN_OPTIONS forcing halt_on_error and exit
// code 66 on a report; returns its exit code and combined stdout/stderr.
RunResult RunHelper(const std::string& binary, const std::string& scenario) {
  RunResult result;
  const testutil::TempDir dir("tsan_helper");
  const std::string out_path = dir.Path(scenario + ".log");
  std::vector<std::string> env_storage;
  for (char** e = environ; *e != nullptr; ++e) {
    if (std::string(*e).rfind("TSAN_OPTIONS=", 0) != 0) {
      env_storage.emplace_back(*e);
    }
  }
  env_storage.push_back(std::string("TSAN_OPTIONS=halt_on_error=1 exitcode=") +
                        std::to_string(kTsanExitCode) +
                        " suppressions=" JWTAUTH_TSAN_SUPPRESSIONS);
  std::vector<char*> envp;
  for (std::string& s : env_storage) envp.push_back(s.data());
  envp.push_back(nullptr);
  std::vector<std::string> args_storage = {binary, scenario};
  std::vector<char*> argv;
  for (std::string& s : args_storage) argv.push_back(s.data());
  argv.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, out_path.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
  pid_t pid = -1;
  int rc = posix_spawn(&pid, binary.c_str(), &actions, nullptr, argv.data(),
                       envp.data());
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    ADD_FAILURE() << "posix_spawn(" << binary << ") failed: " << rc;
    return result;
  }
  // Bounded wait: a helper that hangs is killed and reported, and a waitpid
  // error ends the loop instead of spinning on it.
  int status = 0;
  const auto deadline = std::chrono::steady_clock::now() + kHelperTimeout;
  pid_t waited;
  while ((waited = waitpid(pid, &status, WNOHANG)) == 0) {
    if (std::chrono::steady_clock::now() >= deadline) {
      ADD_FAILURE() << binary << " " << scenario << " still running after "
                    << kHelperTimeout.count() << " s: killed";
      kill(pid, SIGKILL);
      waited = waitpid(pid, &status, 0);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  if (waited < 0) {
    ADD_FAILURE() << "waitpid(" << binary << "): " << std::strerror(errno);
    return result;
  }
  if (WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
  std::ifstream in(out_path);
  std::stringstream buf;
  buf << in.rdbuf();
  result.output = buf.str();
  return result;
}

class SynchronisedScenario : public ::testing::TestWithParam<const char*> {};

TEST_P(SynchronisedScenario, ReportedWithoutShim) {
  RunResult r = RunHelper(JWTAUTH_TSAN_HELPER_UNSHIMMED, GetParam());
  EXPECT_EQ(r.exit_code, kTsanExitCode) << r.output;
  EXPECT_THAT(r.output, HasSubstr(kRaceReport));
}

TEST_P(SynchronisedScenario, CleanWithShim) {
  RunResult r = RunHelper(JWTAUTH_TSAN_HELPER_SHIMMED, GetParam());
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, Not(HasSubstr("ThreadSanitizer")));
}

INSTANTIATE_TEST_SUITE_P(
    AbslSync, SynchronisedScenario,
    ::testing::Values("mutex", "reader_writer", "trylock", "releasable",
                      "condvar_wait", "condvar_wait_with_timeout", "await",
                      "await_with_timeout", "lock_when", "notification_wait",
                      "notification_with_timeout", "notification_poll"));

class RacyScenario : public ::testing::TestWithParam<const char*> {};

TEST_P(RacyScenario, StillReportedWithShim) {
  RunResult r = RunHelper(JWTAUTH_TSAN_HELPER_SHIMMED, GetParam());
  EXPECT_EQ(r.exit_code, kTsanExitCode) << r.output;
  EXPECT_THAT(r.output, HasSubstr(kRaceReport));
}

INSTANTIATE_TEST_SUITE_P(RealRaces, RacyScenario,
                         ::testing::Values("unguarded", "wrong_mutex"));

// The test binary itself links the shim: data guarded by an absl::Mutex and
// shared with another thread must not be reported in-process either (a report
// makes the process exit with 66, failing the ctest entry).
TEST(AbslMutexShimInProcess, GuardedCounterIsClean) {
  absl::Mutex mu;
  int counter = 0;
  auto body = [&] {
    for (int i = 0; i < 1000; ++i) {
      absl::MutexLock lock(&mu);
      ++counter;
    }
  };
  std::thread a(body);
  std::thread b(body);
  a.join();
  b.join();
  absl::MutexLock lock(&mu);
  EXPECT_EQ(counter, 2000);
}

}  // namespace
}  // namespace jwtauth::testutil
