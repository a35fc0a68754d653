#ifndef JWTAUTH_SERVER_LOGGING_H_
#define JWTAUTH_SERVER_LOGGING_H_

// CONTRACT (implemented by the server-platform work, issue 6). JSON lines to
// stderr, one event per line: {"ts":..., "level":"info", "event":"...", ...}.
// Never a full token, payload, secret or key bytes (TokenFingerprint() gives
// a short hash prefix for correlation). Thread-safe.
//
//   enum class LogLevel { kDebug, kInfo, kWarn, kError };
//   class Logger {
//    public:
//     void Log(LogLevel level, absl::string_view event,
//              std::initializer_list<std::pair<absl::string_view, std::string>> fields);
//     void SetLevel(LogLevel level);
//   };
//   std::string TokenFingerprint(absl::string_view token);  // "sha256:1a2b3c4d"

#endif  // JWTAUTH_SERVER_LOGGING_H_
