#include "server/logging.h"

#include <cstdio>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "core/crypto/signature_verifier.h"

namespace jwtauth::server {

absl::string_view LogLevelName(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug:
      return "debug";
    case LogLevel::kInfo:
      return "info";
    case LogLevel::kWarn:
      return "warn";
    case LogLevel::kError:
      return "error";
  }
  return "info";
}

std::optional<LogLevel> LogLevelFromName(absl::string_view name) {
  std::string n = absl::AsciiStrToLower(name);
  if (n == "debug") return LogLevel::kDebug;
  if (n == "info") return LogLevel::kInfo;
  if (n == "warn" || n == "warning") return LogLevel::kWarn;
  if (n == "error") return LogLevel::kError;
  return std::nullopt;
}

std::string JsonEscape(absl::string_view s) {
  std::string out;
  out.reserve(s.size() + 8);
  for (unsigned char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20 || c == 0x7f) {
          char buf[8];
          std::snprintf(buf, sizeof(buf), "\\u%04x", c);
          out += buf;
        } else {
          out.push_back(static_cast<char>(c));
        }
    }
  }
  return out;
}

Logger::Logger(LogLevel level)
    : Logger(level, [](absl::string_view line) {
        std::fwrite(line.data(), 1, line.size(), stderr);
        std::fflush(stderr);
      }) {}

Logger::Logger(LogLevel level, Sink sink)
    : level_(static_cast<int>(level)), sink_(std::move(sink)) {}

std::string Logger::FormatLine(absl::Time ts, LogLevel level,
                               absl::string_view event,
                               std::initializer_list<Field> fields) {
  std::string line = absl::StrCat(
      "{\"ts\":\"",
      absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", ts, absl::UTCTimeZone()),
      "\",\"level\":\"", LogLevelName(level), "\",\"event\":\"",
      JsonEscape(event), "\"");
  for (const Field& f : fields) {
    // Reserved keys are never overwritten by a field (they'd duplicate).
    if (f.first == "ts" || f.first == "level" || f.first == "event") continue;
    absl::StrAppend(&line, ",\"", JsonEscape(f.first), "\":\"",
                    JsonEscape(f.second), "\"");
  }
  line += "}\n";
  return line;
}

void Logger::Log(LogLevel level, absl::string_view event,
                 std::initializer_list<Field> fields) {
  if (!Enabled(level)) return;
  std::string line = FormatLine(absl::Now(), level, event, fields);
  absl::MutexLock lock(&mu_);
  sink_(line);
}

std::string TokenFingerprint(absl::string_view token) {
  if (token.empty()) return "sha256:none";
  std::string digest = crypto::Sha256(token);
  return absl::StrCat("sha256:", absl::BytesToHexString(digest).substr(0, 8));
}

}  // namespace jwtauth::server
