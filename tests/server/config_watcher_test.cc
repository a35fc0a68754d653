// ConfigWatcher on real files in a temporary directory: what counts as a
// change (in-place edits, Kubernetes `..data` symlink swaps, deletion), that
// a reload re-arms it, and that its thread reloads on polling and SIGHUP and
// stops promptly.

#include "server/config_watcher.h"

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testutil/temp_dir.h"
#include "tests/testutil/wait.h"

namespace jwtauth::server {
namespace {

namespace fs = std::filesystem;
using ::jwtauth::testutil::kWaitTimeout;
using ::jwtauth::testutil::WaitUntil;

class ConfigWatcherTest : public ::testing::Test {
 protected:
  std::string Write(const std::string& name, const std::string& content) {
    fs::create_directories((dir_ / name).parent_path());
    std::ofstream(dir_ / name, std::ios::binary | std::ios::trunc) << content;
    return (dir_ / name).string();
  }

  // A watcher whose reload counts and re-arms, as the Application does.
  std::unique_ptr<ConfigWatcher> NewWatcher(std::vector<std::string> files,
                                            absl::Duration interval,
                                            bool reload_on_sighup = false) {
    files_ = std::move(files);
    auto w = std::make_unique<ConfigWatcher>(
        ConfigWatcherOptions{.logger = &logger_,
                             .reload =
                                 [this] {
                                   ++reloads_;
                                   watcher_->Arm(files_);
                                 },
                             .interval = [interval] { return interval; },
                             .reload_on_sighup = reload_on_sighup});
    watcher_ = w.get();
    watcher_->Arm(files_);
    return w;
  }

  testutil::TempDir tmp_{"watcher_test"};
  fs::path dir_{tmp_.path()};
  Logger logger_{LogLevel::kError, [](absl::string_view) {}};
  std::vector<std::string> files_;
  ConfigWatcher* watcher_ = nullptr;
  std::atomic<int> reloads_{0};
};

TEST_F(ConfigWatcherTest, UnchangedFilesTriggerNothing) {
  auto w = NewWatcher({Write("a.yaml", "a: 1"), Write("hs.txt", "secret")},
                      absl::ZeroDuration());
  EXPECT_FALSE(w->CheckOnce());
  EXPECT_EQ(reloads_, 0);
}

TEST_F(ConfigWatcherTest, InPlaceEditOfTheSameSizeIsAChange) {
  const std::string path = Write("hs.txt", "secret-one");
  auto w = NewWatcher({path}, absl::ZeroDuration());
  const auto mtime = fs::last_write_time(path);
  Write("hs.txt", "secret-two");
  fs::last_write_time(path, mtime);  // same size and mtime: content differs
  EXPECT_TRUE(w->CheckOnce());
  EXPECT_EQ(reloads_, 1);
  EXPECT_FALSE(w->CheckOnce());  // re-armed by the reload
}

TEST_F(ConfigWatcherTest, KubernetesDataSymlinkSwapIsAChange) {
  Write("..v1/hs.txt", "0123456789abcdef");
  Write("..v2/hs.txt", "0123456789abcdef");  // same content, new target
  fs::create_directory_symlink("..v1", dir_ / "..data");
  fs::create_symlink("..data/hs.txt", dir_ / "hs.txt");
  auto w = NewWatcher({(dir_ / "hs.txt").string()}, absl::ZeroDuration());
  EXPECT_FALSE(w->CheckOnce());

  fs::create_directory_symlink("..v2", dir_ / "..data_tmp");
  fs::rename(dir_ / "..data_tmp", dir_ / "..data");  // as the kubelet does
  EXPECT_TRUE(w->CheckOnce());
  EXPECT_EQ(reloads_, 1);
}

TEST_F(ConfigWatcherTest, DeletedFileIsAChangeAndItsReturnAnother) {
  const std::string path = Write("hs.txt", "secret");
  auto w = NewWatcher({path}, absl::ZeroDuration());
  fs::remove(path);
  EXPECT_TRUE(w->CheckOnce());
  EXPECT_FALSE(w->CheckOnce());  // armed on the missing file
  Write("hs.txt", "secret");
  EXPECT_TRUE(w->CheckOnce());
  EXPECT_EQ(reloads_, 2);
}

TEST_F(ConfigWatcherTest, PollingThreadReloadsAndStops) {
  const std::string path = Write("a.yaml", "a: 1");
  auto w = NewWatcher({path}, absl::Milliseconds(10));
  w->Start();
  Write("a.yaml", "a: 2");
  EXPECT_TRUE(WaitUntil([&] { return reloads_ >= 1; }))
      << "no reload within " << kWaitTimeout;
  const absl::Time start = absl::Now();
  w->Stop();
  EXPECT_LT(absl::Now() - start, absl::Seconds(1));
}

// The watcher takes SIGHUP with sigtimedwait: the process blocks it first
// (main does so before starting any thread).
TEST_F(ConfigWatcherTest, SighupReloadsAndStopWakesTheWait) {
  sigset_t hup;
  sigemptyset(&hup);
  sigaddset(&hup, SIGHUP);
  ASSERT_EQ(pthread_sigmask(SIG_BLOCK, &hup, nullptr), 0);
  // No polling: only SIGHUP reloads; the idle wait is long.
  auto w = NewWatcher({Write("a.yaml", "a: 1")}, absl::ZeroDuration(),
                      /*reload_on_sighup=*/true);
  w->Start();
  ASSERT_EQ(::kill(::getpid(), SIGHUP), 0);
  EXPECT_TRUE(WaitUntil([&] { return reloads_ >= 1; }))
      << "no reload within " << kWaitTimeout;
  const absl::Time start = absl::Now();
  w->Stop();
  EXPECT_LT(absl::Now() - start, absl::Seconds(1));
  EXPECT_EQ(reloads_, 1);  // Stop's own wake-up is not a reload
}

}  // namespace
}  // namespace jwtauth::server
