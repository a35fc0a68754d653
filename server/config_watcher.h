#ifndef JWTAUTH_SERVER_CONFIG_WATCHER_H_
#define JWTAUTH_SERVER_CONFIG_WATCHER_H_

// ConfigWatcher: decides when the config must be reloaded and calls a reload
// callback; it never reads or builds a config itself.
//
// Triggers:
//  - A watched file changed. Arm(files) records a FileStamp of each file
//    (the config file and every key, secret, TLS and CA file it names);
//    CheckOnce() compares them with the files as they are now. A stamp
//    follows symlinks and also holds the resolved target path, inode, size,
//    mtime and a SHA-256 of the content, because Kubernetes updates mounted
//    ConfigMaps/Secrets by atomically swapping a `..data` symlink (same
//    path, new target) and an in-place edit may keep size and mtime.
//  - SIGHUP (with `reload_on_sighup`): the watcher thread takes it with
//    sigtimedwait, so the process must block SIGHUP in every thread before
//    any thread starts (main does).
//
// Threading: Start() runs one thread that polls every `interval()` (0 or
// less: no polling, SIGHUP only) and waits for SIGHUP in between; Stop()
// (and the destructor) wakes and joins it, never detaches. Arm/CheckOnce are
// thread-safe; the reload callback runs on the watcher thread (or on the
// caller of CheckOnce) and must not call Stop(). Not copyable or movable.
//
//   ConfigWatcher watcher({.logger = &logger,
//                          .reload = [&] { app.ReloadFromFile(); },
//                          .interval = [] { return absl::Seconds(2); }});
//   watcher.Arm(config.WatchedFiles());
//   watcher.Start();

#include <cstdint>
#include <functional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "server/logging.h"

namespace jwtauth::server {

// What a file looked like when stamped. A missing or unreadable file has
// `exists == false` (and stamps equal to any other missing file).
struct FileStamp {
  std::string resolved;  // canonical path: changes on a ..data swap
  uint64_t dev = 0, ino = 0, size = 0;
  int64_t mtime_ns = 0;
  std::string content_hash;  // SHA-256 of the content
  bool exists = false;
  bool operator==(const FileStamp&) const = default;

  static FileStamp Of(const std::string& path);
};

struct ConfigWatcherOptions {
  Logger* logger = nullptr;        // required, not owned
  std::function<void()> reload{};  // required
  // Poll interval, read before each wait (it may follow the live config).
  // Null or <= 0: files are only checked by CheckOnce().
  std::function<absl::Duration()> interval{};
  bool reload_on_sighup = false;
};

class ConfigWatcher final {
 public:
  explicit ConfigWatcher(ConfigWatcherOptions options);
  ~ConfigWatcher();  // Stop()
  ConfigWatcher(const ConfigWatcher&) = delete;
  ConfigWatcher& operator=(const ConfigWatcher&) = delete;

  // Stamps `files` now; later checks compare against these. Called after
  // every load attempt, so an edit after a rejected reload retriggers.
  void Arm(const std::vector<std::string>& files) ABSL_LOCKS_EXCLUDED(mu_);

  // If a watched file changed since Arm(): logs "config_file_changed",
  // calls reload and returns true. Otherwise false.
  bool CheckOnce() ABSL_LOCKS_EXCLUDED(mu_);

  // Starts the thread (idempotent) / wakes and joins it (idempotent).
  void Start() ABSL_LOCKS_EXCLUDED(mu_);
  void Stop() ABSL_LOCKS_EXCLUDED(mu_);

 private:
  enum class Wake { kTimeout, kSighup, kStop };

  void Loop();
  Wake Wait(absl::Duration timeout) ABSL_LOCKS_EXCLUDED(mu_);
  Wake WaitForSighup(absl::Duration timeout) ABSL_LOCKS_EXCLUDED(mu_);
  bool stopping() const ABSL_LOCKS_EXCLUDED(mu_);

  const ConfigWatcherOptions options_;
  mutable absl::Mutex mu_;
  std::vector<std::pair<std::string, FileStamp>> stamps_ ABSL_GUARDED_BY(mu_);
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace jwtauth::server

#endif  // JWTAUTH_SERVER_CONFIG_WATCHER_H_
