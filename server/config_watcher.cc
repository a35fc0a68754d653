#include "server/config_watcher.h"

#include <pthread.h>
#include <signal.h>
#include <sys/stat.h>

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/time/clock.h"
#include "core/crypto/signature_verifier.h"

namespace jwtauth::server {
namespace {

// How long the thread sleeps between stop checks when polling is off.
constexpr absl::Duration kIdleWait = absl::Seconds(2);

sigset_t SighupSet() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGHUP);
  return set;
}

}  // namespace

FileStamp FileStamp::Of(const std::string& path) {
  FileStamp s;
  std::error_code ec;
  // Resolves every symlink (Kubernetes' ..data swap changes this).
  std::filesystem::path resolved = std::filesystem::canonical(path, ec);
  if (ec) return s;
  s.resolved = resolved.string();
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return s;  // follows symlinks
  s.exists = true;
  s.dev = st.st_dev;
  s.ino = st.st_ino;
  s.size = static_cast<uint64_t>(st.st_size);
  s.mtime_ns =
      static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
  std::ifstream in(path, std::ios::binary);
  if (in) {
    std::stringstream ss;
    ss << in.rdbuf();
    s.content_hash = crypto::Sha256(ss.str());
  }
  return s;
}

ConfigWatcher::ConfigWatcher(ConfigWatcherOptions options)
    : options_(std::move(options)) {}

ConfigWatcher::~ConfigWatcher() { Stop(); }

void ConfigWatcher::Arm(const std::vector<std::string>& files) {
  std::vector<std::pair<std::string, FileStamp>> stamps;
  stamps.reserve(files.size());
  for (const std::string& f : files) stamps.emplace_back(f, FileStamp::Of(f));
  absl::MutexLock lock(&mu_);
  stamps_ = std::move(stamps);
}

bool ConfigWatcher::CheckOnce() {
  std::string changed;
  {
    absl::MutexLock lock(&mu_);
    for (const auto& [path, stamp] : stamps_) {
      if (!(FileStamp::Of(path) == stamp)) {
        changed = path;
        break;
      }
    }
  }
  if (changed.empty()) return false;
  options_.logger->Log(LogLevel::kInfo, "config_file_changed",
                       {{"file", changed}});
  // The reload re-arms (Arm) with the files of whatever config it ends with.
  options_.reload();
  return true;
}

void ConfigWatcher::Start() {
  if (thread_.joinable()) return;
  {
    absl::MutexLock lock(&mu_);
    stop_ = false;
  }
  // The thread is born with SIGHUP blocked, so the SIGHUP that Stop() sends
  // it can only be taken by its sigtimedwait, never by the default action.
  sigset_t hup = SighupSet();
  sigset_t old;
  pthread_sigmask(SIG_BLOCK, &hup, &old);
  thread_ = std::thread([this] { Loop(); });
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
}

void ConfigWatcher::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stop_ = true;
  }
  if (!thread_.joinable()) return;
  if (options_.reload_on_sighup) {
    pthread_kill(thread_.native_handle(), SIGHUP);  // ends sigtimedwait
  }
  thread_.join();
}

bool ConfigWatcher::stopping() const {
  absl::MutexLock lock(&mu_);
  return stop_;
}

void ConfigWatcher::Loop() {
  while (true) {
    const absl::Duration interval =
        options_.interval ? options_.interval() : absl::ZeroDuration();
    const bool polling = interval > absl::ZeroDuration();
    switch (Wait(polling ? interval : kIdleWait)) {
      case Wake::kStop:
        return;
      case Wake::kSighup:
        options_.logger->Log(LogLevel::kInfo, "sighup_reload");
        options_.reload();  // logs its own outcome
        break;
      case Wake::kTimeout:
        if (polling) CheckOnce();
        break;
    }
  }
}

ConfigWatcher::Wake ConfigWatcher::Wait(absl::Duration timeout) {
  if (options_.reload_on_sighup) return WaitForSighup(timeout);
  absl::MutexLock lock(&mu_);
  return mu_.AwaitWithTimeout(absl::Condition(&stop_), timeout)
             ? Wake::kStop
             : Wake::kTimeout;
}

ConfigWatcher::Wake ConfigWatcher::WaitForSighup(absl::Duration timeout) {
  const sigset_t hup = SighupSet();
  const timespec ts = absl::ToTimespec(timeout);
  const int sig = sigtimedwait(&hup, nullptr, &ts);
  // Stop() wakes the thread with a SIGHUP of its own: check stop first.
  if (stopping()) return Wake::kStop;
  return sig == SIGHUP ? Wake::kSighup : Wake::kTimeout;  // EAGAIN, EINTR
}

}  // namespace jwtauth::server
