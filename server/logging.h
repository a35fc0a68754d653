#ifndef JWTAUTH_SERVER_LOGGING_H_
#define JWTAUTH_SERVER_LOGGING_H_

// Logger: structured JSON-lines logging to stderr (or any sink), one event
// per line:
//   {"ts":"2026-11-02T10:00:00.123Z","level":"info","event":"config_loaded",...}
//
// Field values are always JSON strings, escaped. Callers must never pass a
// full token, payload, secret or key bytes; TokenFingerprint() gives a short
// hash prefix for correlating a token across log lines.
//
// Thread-safe: the level is an atomic (a disabled level costs one relaxed
// load), and a line is formatted outside the lock and written with one
// fwrite/append under a short mutex so lines never interleave.
// Not copyable or movable.
//
//   logger.Log(LogLevel::kWarn, "reload_rejected",
//              {{"file", path}, {"error", status.ToString()}});

#include <atomic>
#include <cstdio>
#include <functional>
#include <initializer_list>
#include <optional>
#include <string>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace jwtauth::server {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };

// "debug", "info", "warn", "error".
absl::string_view LogLevelName(LogLevel level);
// Accepts "debug", "info", "warn"/"warning", "error" (case-insensitive).
std::optional<LogLevel> LogLevelFromName(absl::string_view name);

class Logger final {
 public:
  using Field = std::pair<absl::string_view, std::string>;
  // Receives one complete line (with trailing '\n'). Used by tests.
  using Sink = std::function<void(absl::string_view line)>;

  // Writes to stderr.
  explicit Logger(LogLevel level = LogLevel::kInfo);
  // Writes to `sink` (called under the logger's mutex, so serialised).
  Logger(LogLevel level, Sink sink);
  Logger(const Logger&) = delete;
  Logger& operator=(const Logger&) = delete;

  void Log(LogLevel level, absl::string_view event,
           std::initializer_list<Field> fields = {}) ABSL_LOCKS_EXCLUDED(mu_);
  void SetLevel(LogLevel level) {
    level_.store(static_cast<int>(level), std::memory_order_relaxed);
  }
  LogLevel level() const {
    return static_cast<LogLevel>(level_.load(std::memory_order_relaxed));
  }
  bool Enabled(LogLevel level) const {
    return static_cast<int>(level) >= level_.load(std::memory_order_relaxed);
  }

  // Formats one line without writing it (exposed for tests).
  static std::string FormatLine(absl::Time ts, LogLevel level,
                                absl::string_view event,
                                std::initializer_list<Field> fields);

 private:
  std::atomic<int> level_;
  absl::Mutex mu_;
  Sink sink_ ABSL_GUARDED_BY(mu_);
};

// "sha256:" + the first 8 hex digits of SHA-256(token). Safe to log: it
// identifies a token without revealing it. Empty token → "sha256:none".
std::string TokenFingerprint(absl::string_view token);

// JSON string escaping (quotes not included). Exposed for metrics/admin.
std::string JsonEscape(absl::string_view s);

}  // namespace jwtauth::server

#endif  // JWTAUTH_SERVER_LOGGING_H_
